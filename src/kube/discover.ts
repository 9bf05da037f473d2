/** `meshctl discover`: each cluster's pod blocks per node, and writing them into the inventory file. */
import { readFile, writeFile } from "node:fs/promises";
import { isMap, isSeq, parseDocument } from "yaml";
import { readClusters } from "../exec/clusters.js";
import type { Connector } from "../exec/ssh/types.js";
import type { ClusterModel, MeshModel } from "../model/types.js";
import type { Cidr } from "../net/addr.js";

export interface DiscoveredCluster {
  cluster: string;
  control: string;
  error?: string;
  nodes: { name: string; blocks: Cidr[]; inInventory?: Cidr[] }[];
}

/** `model`: the inventory's model (its pod blocks are the inventory's). */
export async function discoverBlocks(
  model: MeshModel,
  clusters: ClusterModel[],
  connector: Connector,
): Promise<DiscoveredCluster[]> {
  const reads = await readClusters(model, clusters, connector);
  return clusters.map((c, i): DiscoveredCluster => {
    const read = reads[i] as (typeof reads)[number];
    if ("error" in read) return { cluster: c.name, control: c.control, error: read.error, nodes: [] };
    return {
      cluster: c.name,
      control: c.control,
      nodes: model.nodes
        .filter((n) => n.cluster === c.name)
        .map((n) => ({
          name: n.name,
          blocks: read.facts.blocks.get(n.name) ?? [],
          ...(n.podBlocks ? { inInventory: n.podBlocks } : {}),
        })),
    };
  });
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
