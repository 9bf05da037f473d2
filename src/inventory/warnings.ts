/**
 * What is allowed but probably not meant: reported as warnings (stderr, and `warnings` in -o json|yaml);
 * they never change the exit code. Pure.
 */
import { type Cidr, cidrContainsCidr } from "../net/addr.js";
import type { PathIssue } from "./validate.js";

/** Ranges no one routes on the internet (RFC 1918, RFC 6598 shared space, RFC 2544 benchmarking). */
export const PRIVATE_RANGES = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "198.18.0.0/15",
] as Cidr[];

export function inventoryWarnings(inv: { mesh: { overlay?: string | undefined } }): PathIssue[] {
  const overlay = inv.mesh.overlay as Cidr | undefined;
  const warnings: PathIssue[] = [];
  if (overlay !== undefined && !PRIVATE_RANGES.some((r) => cidrContainsCidr(r, overlay))) {
    warnings.push({
      path: ["mesh", "overlay"],
      message: `overlay ${overlay} is not in a private range (${PRIVATE_RANGES.join(", ")}): its addresses belong to someone on the internet, whom the mesh nodes can then no longer reach`,
    });
  }
  return warnings;
}
