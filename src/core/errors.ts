/**
 * meshctl's one error vocabulary, at the bottom of the tree (every layer may import it; it imports nothing).
 * Each error says what KIND of failure it is; only src/cli maps kinds and run outcomes to exit codes.
 * Anything thrown that is not a MeshctlError is a bug.
 */

export type ErrorKind =
  /** The inventory or a playbook is invalid; nothing was contacted. */
  | "invalid-input"
  /** The command line is wrong. */
  | "usage"
  /** What is on a node or cluster is in the way (not meshctl's): the user must resolve it. */
  | "conflict"
  /** A node, cluster or local system answered, but an operation on it failed. */
  | "remote"
  /** A host could not be connected to or logged into (or the connection was lost). */
  | "unreachable"
  /** Something read from a node or cluster could not be understood. */
  | "parse"
  /** The user interrupted the run (Ctrl-C). */
  | "interrupted"
  /** An operation did not finish in its time. */
  | "timeout"
  /** meshctl itself broke (a bug). */
  | "internal";

export class MeshctlError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind = "remote",
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line is wrong (an option's value, an unknown --limit name, ...). */
export class UsageError extends MeshctlError {
  constructor(message: string) {
    super(message, "usage");
  }
}

/** Something on a node or cluster that meshctl did not make is in the way. */
export class ConflictError extends MeshctlError {
  constructor(message: string) {
    super(message, "conflict");
  }
}

/** Output of a node or cluster that cannot be understood. */
export class ParseError extends MeshctlError {
  constructor(message: string) {
    super(message, "parse");
  }
}

/** A bug in meshctl, named as such. */
export class InternalError extends MeshctlError {
  constructor(message: string) {
    super(message, "internal");
  }
}

/** How a whole run (apply, diff, teardown, verify, diagnose, ...) ended; src/cli maps it to an exit code. */
export type Outcome = "ok" | "changes-pending" | "failed" | "unreachable" | "interrupted";

/** True when `e` means a host could not be reached or logged into. */
export function isUnreachable(e: unknown): boolean {
  return e instanceof MeshctlError && e.kind === "unreachable";
}

/** What a result needs of any error: unreachable or failed, and a one-line message. */
export function classifyError(e: unknown): { unreachable: boolean; message: string } {
  if (e instanceof MeshctlError) {
    const message = e.kind === "internal" ? `internal error: ${e.message}` : e.message;
    return { unreachable: isUnreachable(e), message };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { unreachable: false, message: `internal error: ${err.message}` };
}
