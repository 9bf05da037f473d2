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
