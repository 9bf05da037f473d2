/**
 * Reads clusters through their CNI (kubectl on their control nodes, read-only): the CNI's resources for its
 * checks and, for nodes whose inventory lists no pod_blocks, the blocks the CNI assigned them.
 */
import { type ClusterState, cniOf } from "../cni/index.js";
import { classifyError } from "../core/errors.js";
import type { Connector } from "../exec/ssh/types.js";
import type { Inventory } from "../inventory/types.js";
import { buildModel, type DiscoveredBlocks, nodesWithoutBlocks } from "../model/build.js";
import type { ClusterModel, MeshModel } from "../model/types.js";
import type { Cidr } from "../net/addr.js";

export type ClusterRead = { cluster: string; facts: ClusterState } | { cluster: string; error: string };

export async function readClusters(
  model: MeshModel,
  clusters: readonly ClusterModel[],
  connector: Connector,
): Promise<ClusterRead[]> {
  return Promise.all(
    clusters.map(async (c): Promise<ClusterRead> => {
      const control = model.nodes.find((n) => n.name === c.control);
      if (!control) return { cluster: c.name, error: `control node ${c.control} is not in the inventory` };
      try {
        const conn = await connector.connect(control.name, control.ssh);
        try {
          return { cluster: c.name, facts: (await cniOf(c).open(conn, c, model.clusters)).before };
        } finally {
          conn.close();
        }
      } catch (e) {
        return { cluster: c.name, error: classifyError(e).message };
      }
    }),
  );
}

/** Clusters that must be read for the pod blocks of nodes whose inventory lists none. */
export function clustersNeedingBlocks(inv: Inventory, model: MeshModel): ClusterModel[] {
  const need = new Set(nodesWithoutBlocks(inv));
  return model.clusters.filter((c) => model.nodes.some((n) => n.cluster === c.name && need.has(n.name)));
}

/** The model with the blocks found in the clusters read (nodes still without blocks stay without). */
export function modelWithBlocks(inv: Inventory, reads: readonly ClusterRead[]): MeshModel {
  const discovered = new Map<string, Cidr[]>();
  for (const r of reads) {
    if ("facts" in r) for (const [node, blocks] of r.facts.blocks) discovered.set(node, blocks);
  }
  return buildModel(inv, discovered as DiscoveredBlocks);
}
