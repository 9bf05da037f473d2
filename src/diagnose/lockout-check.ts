/** Diagnose's view of the lock-out refusal (#10.1b): the same pure rule `apply` and `diff` refuse a node by. */
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { lockoutReasons, pathsBack } from "../plan/lockout.js";
import { resolvedOrUndefined } from "./device-checks.js";
import { finding } from "./finding.js";
import type { Finding } from "./types.js";

export function checkLockout(node: NodeModel, facts: NodeFacts): Finding[] {
  // As the diff sees the node: with its paths resolved (no overlay route when no peer uses the tunnel).
  const reasons = lockoutReasons(resolvedOrUndefined(node, facts) ?? node, facts);
  if (reasons.length === 0) {
    const paths = pathsBack(facts, [], node).map((p) => p.ip);
    const known = paths.length > 0 ? paths.join(", ") : "none known";
    return [
      finding(
        node,
        "lock-out",
        "error",
        true,
        `no route of the mesh captures this node's paths back (${known})`,
      ),
    ];
  }
  return reasons.map((r) =>
    finding(
      node,
      "lock-out",
      "error",
      false,
      `${r}: apply refuses this node`,
      "renumber the pod CIDR / pod blocks or the overlay in the inventory (or move the address) so that no route of the mesh holds it",
    ),
  );
}
