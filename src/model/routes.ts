import type { NodeModel, RouteSpec } from "./types.js";

/** Each peer's routes, made once and shared by every node that needs them (model data is read-only). */
const routesVia = new WeakMap<NodeModel, RouteSpec[]>();

function routesTo(p: NodeModel): RouteSpec[] {
  const known = routesVia.get(p);
  if (known) return known;
  const made = (p.podBlocks ?? []).map((dst) => ({ peer: p.name, dst, via: p.device.address }));
  routesVia.set(p, made);
  return made;
}

/** One route per pod block of every node of the other clusters, through that node's overlay IP. Pure. */
export function routesOf(nodes: readonly NodeModel[], n: NodeModel): RouteSpec[] {
  return nodes.filter((p) => p.name !== n.name && p.cluster !== n.cluster).flatMap(routesTo);
}
