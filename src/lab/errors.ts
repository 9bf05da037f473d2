import { MeshctlError } from "../core/errors.js";

/** Anything the lab cannot do that the user can fix (not root, a missing tool, a lab already up, ...). */
export class LabError extends MeshctlError {
  constructor(message: string) {
    super(message, "remote");
  }
}
