/**
 * The model resolved once: the inventory's model plus what the clusters say (pod blocks the inventory
 * leaves out) → the final model every verb uses. Pure: the reading is done elsewhere (src/exec/clusters.ts).
 */
import type { Cidr } from "../net/addr.js";
import { routesOf } from "./routes.js";
import type { ClusterModel, MeshModel, NodeModel } from "./types.js";

/** Pod blocks the clusters reported, by node name (a node's Kubernetes name is its inventory name). */
export type DiscoveredBlocks = ReadonlyMap<string, readonly Cidr[]>;

/** Nodes whose pod blocks are still unknown (neither in the inventory nor reported). */
export function nodesWithoutBlocks(model: MeshModel): NodeModel[] {
  return model.nodes.filter((n) => n.podBlocks === undefined);
}

/** The clusters to ask for pod blocks: those with a node whose blocks are unknown. */
export function clustersToAsk(model: MeshModel): ClusterModel[] {
  const need = new Set(nodesWithoutBlocks(model).map((n) => n.cluster as string));
  return model.clusters.filter((c) => need.has(c.name));
}

/**
 * `base` with the blocks the clusters reported for nodes that had none, and every node's routes to them.
 * Blocks the inventory lists always win; a node nobody reported stays without (and gets no routes).
 */
export function resolveModel(base: MeshModel, discovered: DiscoveredBlocks): MeshModel {
  const nodes = base.nodes.map((n): NodeModel => {
    const found = n.podBlocks === undefined ? discovered.get(n.name) : undefined;
    return found === undefined ? n : { ...n, podBlocks: [...found] };
  });
  return { clusters: base.clusters, nodes: nodes.map((n) => ({ ...n, routes: routesOf(nodes, n) })) };
}
