/** What a run reports: per target (node, or a cluster's IPPools) and as a whole. Pure. */
import type { Outcome } from "../core/errors.js";
import type { AnyChange } from "./targets.js";

export type Mode = "apply" | "diff" | "teardown";

/** Where a target is in its run, for progress counts: connect → facts → plan → apply (→ rollback). */
export type Step = "connect" | "facts" | "plan" | "apply" | "rollback";

export type HostStatus = "ok" | "changed" | "failed" | "unreachable" | "rolled-back";

/** The outcome for one target: a node, or a cluster's IPPools (kind "cluster"). */
export interface HostResult {
  kind: "node" | "cluster";
  name: string;
  cluster: string;
  /** The address meshctl connects to (a node's SSH host; for a cluster, its control node's). */
  address: string;
  status: HostStatus;
  /** What the diff found (diff: pending; apply: what was to be done). */
  changes: AnyChange[];
  /** What this run changed and left in place. */
  applied: AnyChange[];
  /** Resources found already as wanted. */
  okCount: number;
  /** Mutating commands sent (0 when in sync). */
  commandsSent: number;
  error?: string;
  /** Set when a rollback ran: whether the target is back at its state before the run. */
  rollback?: { restored: boolean; detail: string };
}

export interface RunResult {
  mode: Mode;
  hosts: HostResult[];
  outcome: Outcome;
}

export type RunEvent =
  | { id: string; kind: "stage"; step: Step; text: string }
  | { id: string; kind: "done"; result: HostResult };

/** How the run ended; a run interrupted (Ctrl-C, SIGTERM) ends "interrupted", whatever its hosts did. */
export function outcomeOf(mode: Mode, hosts: readonly HostResult[], interrupted = false): Outcome {
  if (interrupted) return "interrupted";
  if (hosts.some((n) => n.status === "failed" || n.status === "rolled-back")) return "failed";
  if (hosts.some((n) => n.status === "unreachable")) return "unreachable";
  if (hosts.some((n) => n.error)) return "failed";
  if (mode === "diff" && hosts.some((n) => n.changes.length > 0)) return "changes-pending";
  return "ok";
}

export function rollbackReport(
  restored: boolean,
  undone: number,
  errors: string[],
  why = "",
): HostResult["rollback"] {
  return {
    restored,
    detail: restored
      ? `undid ${undone} change(s)${why}: back at its prior state`
      : `undid ${undone} change(s)${why} but it differs from its prior state${errors.length ? `: ${errors.join("; ")}` : ""}`,
  };
}
