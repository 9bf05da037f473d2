import { type ErrorKind, MeshctlError } from "../core/errors.js";

/** A node answered but something went wrong at a stage of the run. */
export class NodeRunError extends MeshctlError {
  constructor(
    readonly node: string,
    readonly stage: string,
    detail: string,
    kind: ErrorKind = "remote",
  ) {
    super(`${node}: ${stage}: ${detail}`, kind);
  }
}

/**
 * Contact with a node was lost after a change set was sent to it (timeout, connection cut, session ended).
 * `armed`: the node arms its own revert (commit-confirmed) and undoes the change set within the window.
 */
export class LostContactError extends NodeRunError {
  constructor(
    node: string,
    readonly why: string,
    readonly armed?: { windowSec: number; initialSec: number; sentAt: number },
  ) {
    super(node, "lost contact after the change", why);
  }
}
