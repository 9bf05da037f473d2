/** Which nodes and clusters a run acts on, from --limit (parsed in src/cli; semantics in limit.ts). Pure. */
import { type Limit, limitNamesCluster, selectByLimit } from "./limit.js";
import type { ClusterModel, MeshModel, NodeModel } from "./types.js";

export type { Limit };

/** The nodes a limit selects (names, globs, !exclusions); a pattern matching nothing is a usage error. */
export function selectNodes(model: MeshModel, limit?: Limit): NodeModel[] {
  return selectByLimit(
    model.nodes,
    model.clusters.map((c) => c.name),
    limit,
  );
}

/** The clusters whose own resources (IPPools) a run acts on: all, or those the limit names itself. */
export function selectClusters(model: MeshModel, limit?: Limit): ClusterModel[] {
  return model.clusters.filter((c) => limitNamesCluster(limit, c.name));
}
