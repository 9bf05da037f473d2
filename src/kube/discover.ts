/** `meshctl discover`: each cluster's pod blocks per node, and writing them into the inventory file. */
import { readFile, writeFile } from "node:fs/promises";
import { isMap, isSeq, parseDocument } from "yaml";
import { cniOf } from "../cni/index.js";
import { classifyError } from "../core/errors.js";
import type { Connector } from "../exec/ssh/types.js";
import type { Inventory } from "../inventory/types.js";
import type { ClusterModel, NodeModel } from "../model/types.js";
import type { Cidr } from "../net/addr.js";

export interface DiscoveredCluster {
  cluster: string;
  control: string;
  error?: string;
  nodes: { name: string; blocks: Cidr[]; inInventory?: Cidr[] }[];
}

export async function discoverBlocks(
  inv: Inventory,
  clusters: ClusterModel[],
  nodes: NodeModel[],
  connector: Connector,
): Promise<DiscoveredCluster[]> {
  return Promise.all(
    clusters.map(async (c): Promise<DiscoveredCluster> => {
      const control = nodes.find((n) => n.name === c.control) as NodeModel;
      const invNodes = inv.clusters.find((x) => x.name === c.name)?.nodes ?? [];
      try {
        const conn = await connector.connect(control.name, control.ssh);
        try {
          const s = await cniOf(c).open(conn, c, clusters);
          return {
            cluster: c.name,
            control: c.control,
            nodes: invNodes.map((n) => ({
              name: n.name,
              blocks: s.before.blocks.get(n.name) ?? [],
              ...(n.podBlocks ? { inInventory: n.podBlocks } : {}),
            })),
          };
        } finally {
          conn.close();
        }
      } catch (e) {
        return { cluster: c.name, control: c.control, error: classifyError(e).message, nodes: [] };
      }
    }),
  );
}

/**
 * Writes discovered blocks into the inventory as `pod_blocks`, keeping its comments and layout. Only
 * nodes with blocks found are touched. Returns the names of the nodes whose blocks changed.
 */
export async function writeBlocks(file: string, found: DiscoveredCluster[]): Promise<string[]> {
  const doc = parseDocument(await readFile(file, "utf8"));
  const changed: string[] = [];
  const clusters = doc.get("clusters");
  if (!isSeq(clusters)) return changed;
  for (const c of clusters.items) {
    if (!isMap(c)) continue;
    const d = found.find((f) => f.cluster === String(c.get("name")));
    const nodes = c.get("nodes");
    if (!d || !isSeq(nodes)) continue;
    for (const n of nodes.items) {
      if (!isMap(n)) continue;
      const hit = d.nodes.find((x) => x.name === String(n.get("name")));
      if (!hit || hit.blocks.length === 0) continue;
      const before = JSON.stringify(hit.inInventory ?? null);
      if (before === JSON.stringify(hit.blocks)) continue;
      const seq = doc.createNode([...hit.blocks]);
      seq.flow = true;
      n.set("pod_blocks", seq);
      changed.push(hit.name);
    }
  }
  if (changed.length > 0) await writeFile(file, doc.toString());
  return changed;
}
