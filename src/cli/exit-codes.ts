/**
 * The only place that turns error kinds and run outcomes into exit codes: the README's "Exit codes"
 * table is the contract (0, 1, 2, 3, 4, 64, 70, 130, 141).
 */
import type { ErrorKind, Outcome } from "../core/errors.js";

export const ExitCode = {
  ok: 0,
  /** A run failed: a node or cluster failed, or an error the user must fix. */
  failed: 1,
  /** `diff`: changes are pending (the mesh is not in sync). */
  changesPending: 2,
  /** The inventory or a playbook is invalid; nothing was contacted. */
  invalidInput: 3,
  /** At least one host was unreachable (and none failed otherwise). */
  unreachable: 4,
  /** Command-line usage error. */
  usage: 64,
  /** meshctl itself broke (a bug): please report it. */
  internal: 70,
  /** Interrupted (Ctrl-C or SIGTERM): changes already sent finished; nothing more was started. */
  interrupted: 130,
  /** A second SIGTERM: left at once (128 + 15, the convention). */
  terminated: 143,
  /** stdout's reader went away (`meshctl plan | head`): 128 + SIGPIPE, as a tool killed by it. */
  brokenPipe: 141,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const BY_OUTCOME: Record<Outcome, ExitCodeValue> = {
  ok: ExitCode.ok,
  "changes-pending": ExitCode.changesPending,
  failed: ExitCode.failed,
  unreachable: ExitCode.unreachable,
  interrupted: ExitCode.interrupted,
};

const BY_KIND: Record<ErrorKind, ExitCodeValue> = {
  "invalid-input": ExitCode.invalidInput,
  usage: ExitCode.usage,
  conflict: ExitCode.failed,
  remote: ExitCode.failed,
  unreachable: ExitCode.unreachable,
  parse: ExitCode.failed,
  interrupted: ExitCode.interrupted,
  timeout: ExitCode.failed,
  internal: ExitCode.internal,
};

export const exitCodeOfOutcome = (o: Outcome): ExitCodeValue => BY_OUTCOME[o];
export const exitCodeOfKind = (k: ErrorKind): ExitCodeValue => BY_KIND[k];

/** A result's JSON with its exit code first (the JSON contract keeps `exitCode`). */
export const withExitCode = (outcome: Outcome, json: unknown): unknown => ({
  exitCode: exitCodeOfOutcome(outcome),
  ...(json as object),
});
