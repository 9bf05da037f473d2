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

/** One route per pod block of every node of the other clusters, through that node's overlay IP. Pure. */
export function routesOf(nodes: readonly NodeModel[], n: NodeModel): RouteSpec[] {
  return nodes
    .filter((p) => p.name !== n.name && p.cluster !== n.cluster)
    .flatMap((p) => routesTo(p, pairMode(n.mode, p.mode)));
}
