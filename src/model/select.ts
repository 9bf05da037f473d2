/** Which nodes and clusters a run acts on, from --limit (parsed in src/cli). Pure. */
import { UsageError } from "../core/errors.js";
import type { ClusterModel, MeshModel, NodeModel } from "./types.js";

/** Node or cluster names to act on; undefined: all. */
export type Limit = ReadonlySet<string>;

/** The nodes a limit selects: named, or in a named cluster. Names it does not know are a usage error. */
export function selectNodes(model: MeshModel, limit?: Limit): NodeModel[] {
  if (!limit) return model.nodes;
  const known = new Set<string>([...model.nodes.map((n) => n.name), ...model.clusters.map((c) => c.name)]);
  const unknown = [...limit].filter((l) => !known.has(l));
  if (unknown.length > 0) {
    throw new UsageError(`--limit names no node or cluster of the inventory: ${unknown.join(", ")}`);
  }
  return model.nodes.filter((n) => limit.has(n.name) || limit.has(n.cluster));
}

/** The clusters whose own resources (IPPools) a run acts on: all, or those the limit names. */
export function selectClusters(model: MeshModel, limit?: Limit): ClusterModel[] {
  return model.clusters.filter((c) => !limit || limit.has(c.name));
}
