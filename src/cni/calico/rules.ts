/** Calico's pure rules behind the CNI seam: IPPools for the other clusters' CIDRs, and its checks. */
import type { CniRules } from "../model.js";
import { checkCalicoPort, checkPools } from "./checks.js";
import { diffPools, samePools, teardownPools } from "./diff.js";
import type { CalicoState } from "./observed.js";
import { desiredPools, ipPoolManifest } from "./pools.js";

export const calicoRules: CniRules<CalicoState> = {
  name: "calico",
  desired: (cluster, mesh) => desiredPools(cluster, mesh).map(ipPoolManifest),
  diff: (cluster, mesh, state) => diffPools(cluster, mesh, state.pools),
  teardown: (state) => teardownPools(state.pools),
  sameManaged: samePools,
  checkCluster: (cluster, mesh, state, inventory) => checkPools(cluster, mesh, state.pools, inventory),
  checkNode: (node, _cluster, facts) => checkCalicoPort(node, facts),
};
