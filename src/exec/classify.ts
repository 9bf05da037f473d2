import { MeshctlError } from "../cli/errors.js";
import { isUnreachable } from "./ssh/errors.js";

/** What the recap needs to know of an error: unreachable or failed, and a one-line message. */
export function classifyError(e: unknown): { unreachable: boolean; message: string } {
  if (e instanceof MeshctlError) return { unreachable: isUnreachable(e), message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { unreachable: false, message: `internal error: ${err.message}` };
}
