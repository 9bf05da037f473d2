/**
 * The few error classes the CLI maps to exit codes (see README "Exit codes"). Every stage throws one of
 * these (or a subclass) for anything the user can fix; anything else is a bug and exits 70.
 */
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
  /** Interrupted (Ctrl-C): changes already sent finished; nothing more was started. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class MeshctlError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
