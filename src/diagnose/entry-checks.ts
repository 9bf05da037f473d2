/**
 * Diagnose checks of meshctl's entries (FDB, permanent neighbours, routes through the tunnel or direct,
 * the connected route), read from the plan's diff itself: an entry is wrong exactly when `meshctl apply`
 * would add, fix or delete it; what the node refuses (something foreign in the way) is the diff's refusal.
 */
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import type { Change } from "../plan/change.js";
import { PlanConflict } from "../plan/conflict.js";
import { diffNode, resolveNode } from "../plan/node-diff.js";
import { deviceOwnership } from "../plan/ownership.js";
import { applyCmd, type CheckContext, finding } from "./finding.js";
import type { Finding } from "./types.js";

const LABEL: Partial<Record<Change["resource"], string>> = {
  fdb: "FDB",
  neighbour: "neighbour",
  route: "route",
};

/** One entry change in words: what is missing, wrong or not wanted. */
function describeEntry(c: Change): string {
  const what = LABEL[c.resource] ?? c.resource;
  if (c.action === "create") return `${what} ${c.key}: missing (${c.after ?? ""})`;
  if (c.action === "delete") return `${what} ${c.before ?? c.key}: not wanted`;
  return `${what} ${c.key}: ${c.before ?? "?"} (wanted: ${c.after ?? "?"})`;
}

/** The node's diff, or the conflict that refuses the node (as a finding). */
export function diffOrConflict(node: NodeModel, facts: NodeFacts, apply: string): Change[] | Finding {
  try {
    return diffNode(node, facts).changes;
  } catch (e) {
    if (!(e instanceof PlanConflict)) throw e;
    const text = e.message.startsWith(`${node.name}: `) ? e.message.slice(node.name.length + 2) : e.message;
    return finding(node, "ownership", "error", false, `apply refuses this node: ${text}`, `then ${apply}`);
  }
}

/** The entries are as the inventory wants them: what `meshctl diff` would change on them. */
export function checkEntries(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const apply = applyCmd(ctx, node.name);
  // A foreign device is the device check's finding (the diff refuses the node for it too).
  if (deviceOwnership(node.device, facts).state === "foreign") return [];
  const diff = diffOrConflict(node, facts, apply);
  if (!Array.isArray(diff)) return [diff];
  // A missing device is the device check's finding; everything on it is missing with it.
  if (diff.some((c) => c.resource === "device" && c.action === "create")) return [];
  const changes = diff.filter((c) => c.resource in LABEL);
  if (changes.length === 0) {
    const desired = resolveNode(node, facts);
    const total = desired.fdb.length + desired.neighbours.length + desired.routes.length;
    const text = `all ${total} FDB entries, neighbours and routes are in place`;
    return [finding(node, "entries", "error", true, text)];
  }
  const shown = changes.slice(0, 5).map(describeEntry).join("; ");
  const more = changes.length > 5 ? `; … (${changes.length - 5} more)` : "";
  const text = `${changes.length} mesh entries missing, wrong or not wanted: ${shown}${more}`;
  return [finding(node, "entries", "error", false, text, apply)];
}
