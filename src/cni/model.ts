/**
 * The CNI seam's pure side: what a cluster change and a cluster read are, and a CNI's rules (desired
 * resources, diff with inverses, rollback check, diagnose checks), whatever the CNI. src/cni/types.ts
 * adds the I/O side (reading and changing a cluster).
 */
import type { Finding } from "../core/finding.js";
import type { NodeFacts } from "../facts/types.js";
import type { KubeNode } from "../inventory/types.js";
import type { ClusterModel, NodeModel } from "../model/types.js";
import type { Cidr } from "../net/addr.js";
import type { ChangeBase } from "../plan/change.js";
import type { CniName } from "./names.js";

/** One cluster-side operation; `text` is how it is shown. The CNI's session knows how to run it. */
export interface ClusterOp {
  text: string;
}

/** A change in a cluster (e.g. an IPPool), with its inverse: rollback is data, as for nodes. */
export interface ClusterChange extends ChangeBase {
  forward: ClusterOp[];
  inverse: ClusterOp[];
}

/** A Kubernetes object meshctl wants in a cluster (what `meshctl plan` prints). */
export interface ClusterResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** What a cluster says, read in one go; each CNI adds its own resources to it. */
export interface ClusterState {
  /** Pod blocks by Kubernetes node name. */
  blocks: ReadonlyMap<string, Cidr[]>;
  /** The cluster's Kubernetes Nodes (name, InternalIP): the node list of a `nodes_from: kubernetes` cluster. */
  nodes: readonly KubeNode[];
}

/**
 * A CNI's pure rules. A state is only ever handed back to the CNI that read it (members are methods, so
 * a `CniRules<CalicoState>` serves as a `CniRules`).
 */
export interface CniRules<S extends ClusterState = ClusterState> {
  name: CniName;
  /** What meshctl wants in `cluster`, given every cluster of the mesh. */
  desired(cluster: ClusterModel, mesh: readonly ClusterModel[]): ClusterResource[];
  /** desired × observed → ordered changes with inverses; a foreign object in the way throws a ConflictError. */
  diff(cluster: ClusterModel, mesh: readonly ClusterModel[], state: S): ClusterChange[];
  /** Teardown: remove everything meshctl owns in the cluster, nothing else. */
  teardown(state: S): ClusterChange[];
  /** Whether two reads agree on everything meshctl manages (the rollback check). */
  sameManaged(a: S, b: S): boolean;
  /** diagnose: the cluster's resources, with fixes. */
  checkCluster(cluster: ClusterModel, mesh: readonly ClusterModel[], state: S, inventory?: string): Finding[];
  /** diagnose: what this CNI does on a node that can break the mesh (e.g. Calico's VXLAN port). */
  checkNode(node: NodeModel, cluster: ClusterModel, facts: NodeFacts): Finding[];
}
