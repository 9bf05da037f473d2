import { pairMode } from "./paths.js";
import type { MeshMode, NodeModel, RouteSpec } from "./types.js";

/**
 * Each peer's routes per pair mode, made once and shared by every node that needs them (model data is
 * read-only): with one mode for the whole mesh, N nodes share N lists.
 */
const routesVia = new WeakMap<NodeModel, Map<MeshMode, RouteSpec[]>>();

function routesTo(p: NodeModel, pair: MeshMode): RouteSpec[] {
  const byMode = routesVia.get(p) ?? new Map<MeshMode, RouteSpec[]>();
  routesVia.set(p, byMode);
  const known = byMode.get(pair);
  if (known) return known;
  const made = (p.podBlocks ?? []).map(
    (dst): RouteSpec => ({ peer: p.name, dst, via: p.device.address, underlay: p.device.localIp, pair }),
  );
  byMode.set(pair, made);
  return made;
}

/**
 * Every route a node of one cluster and mode wants, per node list: the same for all of them but the node's
 * own (none, another cluster's node of the same name aside), so made once per group, not once per node.
 */
const byGroup = new WeakMap<readonly NodeModel[], Map<string, RouteSpec[]>>();

/** One route per pod block of every node of the other clusters, through that node's overlay IP. Pure. */
export function routesOf(nodes: readonly NodeModel[], n: NodeModel): RouteSpec[] {
  let groups = byGroup.get(nodes);
  if (groups === undefined) {
    groups = new Map();
    byGroup.set(nodes, groups);
  }
  const key = `${n.cluster} ${n.mode}`;
  let group = groups.get(key);
  if (group === undefined) {
    group = [];
    for (const p of nodes)
      if (p.cluster !== n.cluster) for (const r of routesTo(p, pairMode(n.mode, p.mode))) group.push(r);
    groups.set(key, group);
  }
  // A route's peer is the node it leads to (routesTo): leaving out the node's own name is `p.name !== n.name`.
  return group.filter((r) => r.peer !== n.name);
}
