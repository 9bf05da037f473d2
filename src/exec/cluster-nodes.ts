/**
 * Before a run over an inventory with `nodes_from: kubernetes` clusters: open those clusters (the same
 * one connection and one kubectl read the run uses for pod blocks and IPPools — the sessions are handed
 * to the engine, not opened twice) and make the inventory's node list from the Nodes they report.
 * A cluster that cannot be read stops everything: its nodes are unknown, and pruning the mesh of them
 * because a read failed is exactly what must never happen.
 */
import { classifyError, MeshctlError } from "../core/errors.js";
import { clustersWithNodesFrom, withClusterNodes } from "../inventory/cluster-nodes.js";
import type { Inventory, InventoryCluster, KubeNode } from "../inventory/types.js";
import { buildModel } from "../model/build.js";
import { type OpenCluster, openCluster } from "./clusters.js";
import type { OpenedClusters } from "./parties.js";
import type { Connector } from "./ssh/types.js";

export interface ClusterNodes {
  /** The inventory with every `nodes_from` cluster's nodes. */
  inventory: Inventory;
  /** The sessions opened (hand them to the engine's run, which closes them). */
  opened: OpenedClusters;
}

/**
 * The inventory with its `nodes_from` clusters' nodes, for a verb that reads the clusters on its own
 * later (verify, diagnose) or not at all (ping): the sessions are closed at once.
 */
export async function withNodesFrom(inv: Inventory, connector: Connector): Promise<Inventory> {
  const { inventory, opened } = await readClusterNodes(inv, connector);
  for (const p of opened.values()) (await p).conn.close();
  return inventory;
}

/**
 * Opens the `nodes_from` clusters, and `also` (names; e.g. every cluster, for `watch`), reads their Nodes
 * and returns the inventory with them. Throws (after closing what it opened) when any cannot be read.
 */
export async function readClusterNodes(
  inv: Inventory,
  connector: Connector,
  also: readonly string[] = [],
): Promise<ClusterNodes> {
  const dynamic = clustersWithNodesFrom(inv);
  const want = inv.clusters.filter((c) => dynamic.includes(c) || also.includes(c.name));
  if (want.length === 0) return { inventory: inv, opened: new Map() };
  const model = buildModel(inv);
  const clusterModel = (c: InventoryCluster) => model.clusters.find((m) => m.name === c.name) ?? c;
  const opened = new Map(want.map((c) => [c.name as string, openCluster(model, clusterModel(c), connector)]));
  const reads = await Promise.allSettled(opened.values());
  const failed = want.flatMap((c, i) => {
    const r = reads[i] as PromiseSettledResult<OpenCluster>;
    return r.status === "rejected" ? [`cluster ${c.name}: ${classifyError(r.reason).message}`] : [];
  });
  try {
    if (failed.length > 0) {
      throw new MeshctlError(
        `cannot read the clusters' nodes, so nothing was changed (a cluster that cannot be read is never pruned):\n  ${failed.join("\n  ")}`,
      );
    }
    const reported = new Map<string, readonly KubeNode[]>();
    want.forEach((c, i) => {
      const r = reads[i] as PromiseFulfilledResult<OpenCluster>;
      reported.set(c.name, r.value.session.before.nodes);
    });
    return { inventory: withClusterNodes(inv, reported), opened };
  } catch (e) {
    for (const r of reads) if (r.status === "fulfilled") r.value.conn.close();
    throw e;
  }
}
