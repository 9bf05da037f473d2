/** The CNI of a cluster, by its inventory's `cni:`. */
import type { ClusterModel } from "../model/types.js";
import { calico } from "./calico/index.js";
import type { CniName } from "./names.js";
import type { Cni } from "./types.js";

const CNIS: Record<CniName, Cni> = { calico };

export const cniOf = (cluster: Pick<ClusterModel, "cni">): Cni => CNIS[cluster.cni];

export type { ClusterChange, ClusterSession, ClusterState, Cni } from "./types.js";
