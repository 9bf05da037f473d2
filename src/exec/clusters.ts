/**
 * Reading clusters through their CNI (kubectl on their control nodes): one connection and one CNI session
 * per cluster. The one place that does it, for every verb (apply/diff/teardown keep the session open to change
 * IPPools; the others read and close).
 */
import { type ClusterSession, type ClusterState, cniOf } from "../cni/index.js";
import { classifyError, MeshctlError } from "../core/errors.js";
import type { SshTarget } from "../inventory/types.js";
import type { DiscoveredBlocks } from "../model/resolve.js";
import type { ClusterModel, MeshModel } from "../model/types.js";
import type { Cidr } from "../net/addr.js";
import type { Connection, Connector } from "./ssh/types.js";

export interface OpenCluster {
  conn: Connection;
  session: ClusterSession;
}

/** Connects to the cluster's control node and reads the cluster (the caller closes `conn`). */
export async function openCluster(
  model: MeshModel,
  c: ClusterModel,
  connector: Connector,
): Promise<OpenCluster> {
  const ssh = controlSsh(model, c);
  if (!ssh) throw new MeshctlError(`control node ${c.control} of cluster ${c.name} is not in the inventory`);
  const conn = await connector.connect(c.control, ssh);
  try {
    return { conn, session: await cniOf(c).open(conn, c, model.clusters) };
  } catch (e) {
    conn.close();
    throw e;
  }
}

/**
 * How to reach a cluster's control node: its node in the model, else (a `nodes_from` cluster not read
 * yet) its inventory entry, which must give its host.
 */
export function controlSsh(model: MeshModel, c: ClusterModel): SshTarget | undefined {
  const node = model.nodes.find((n) => n.name === c.control);
  if (node) return node.ssh;
  const o = c.nodesFrom?.overrides.find((x) => x.name === c.control);
  return o?.host === undefined ? undefined : { host: o.host, ...o.ssh };
}

export type ClusterRead = { cluster: string; facts: ClusterState } | { cluster: string; error: string };

/** Reads each cluster once and closes; a cluster that cannot be read is a value, not a throw. */
export async function readClusters(
  model: MeshModel,
  clusters: readonly ClusterModel[],
  connector: Connector,
): Promise<ClusterRead[]> {
  return Promise.all(
    clusters.map(async (c): Promise<ClusterRead> => {
      try {
        const { conn, session } = await openCluster(model, c, connector);
        conn.close();
        return { cluster: c.name, facts: session.before };
      } catch (e) {
        return { cluster: c.name, error: classifyError(e).message };
      }
    }),
  );
}

/** The pod blocks the clusters read reported, by node name. */
export function reportedBlocks(facts: readonly ClusterState[]): DiscoveredBlocks {
  const found = new Map<string, Cidr[]>();
  for (const f of facts) for (const [node, blocks] of f.blocks) found.set(node, blocks);
  return found;
}

/** Facts of the clusters that could be read. */
export const factsOf = (reads: readonly ClusterRead[]): ClusterState[] =>
  reads.flatMap((r) => ("facts" in r ? [r.facts] : []));
