/**
 * The CNI seam: everything meshctl does in a cluster goes through one `Cni` — read the cluster (its pod
 * blocks per node, and the CNI's own resources), the resources meshctl wants there, their diff with
 * inverses, the rollback check, and the CNI's diagnose checks. The engine and diagnose see only this;
 * each CNI lives in its own folder (src/cni/calico/), its kubectl I/O apart from its pure rules.
 */
import type { Connection } from "../exec/ssh/types.js";
import type { ClusterModel } from "../model/types.js";
import type { ClusterChange, ClusterState, CniRules } from "./model.js";

export type { ClusterChange, ClusterOp, ClusterResource, ClusterState, CniRules } from "./model.js";

/** The outcome of a change set in a cluster, with the cluster read back. */
export interface ClusterApplyOutcome<S extends ClusterState = ClusterState> {
  applied: ClusterChange[];
  failure?: string;
  after: S;
}

/** One cluster's conversation (I/O): read on open, apply + read back, roll back + read back. */
export interface ClusterSession<S extends ClusterState = ClusterState> {
  readonly before: S;
  apply(changes: readonly ClusterChange[]): Promise<ClusterApplyOutcome<S>>;
  rollback(applied: readonly ClusterChange[]): Promise<{ after: S; errors: string[] }>;
}

/** A CNI: its pure rules (src/cni/model.ts) and how to read and change a cluster (I/O). */
export interface Cni<S extends ClusterState = ClusterState> extends CniRules<S> {
  /** Reads the cluster through kubectl on its control node. */
  open(conn: Connection, cluster: ClusterModel, mesh: readonly ClusterModel[]): Promise<ClusterSession<S>>;
}
