import type { NodeModel, RouteSpec } from "./types.js";

/** One route per pod block of every node of the other clusters, through that node's overlay IP. Pure. */
export function routesOf(nodes: readonly NodeModel[], n: NodeModel): RouteSpec[] {
  return nodes
    .filter((p) => p.name !== n.name && p.cluster !== n.cluster)
    .flatMap((p) => (p.podBlocks ?? []).map((dst) => ({ peer: p.name, dst, via: p.device.address })));
}
