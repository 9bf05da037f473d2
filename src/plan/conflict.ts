import { ConflictError } from "../core/errors.js";

/** Something on the node that meshctl did not make is in the way; the message names the node. */
export class PlanConflict extends ConflictError {
  constructor(node: string, detail: string) {
    super(`${node}: ${detail}`);
  }
}
