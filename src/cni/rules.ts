/** A cluster's CNI rules, by its inventory's `cni:` (pure: no I/O module behind it). */
import type { ClusterModel } from "../model/types.js";
import { calicoRules } from "./calico/rules.js";
import type { CniRules } from "./model.js";
import type { CniName } from "./names.js";

const RULES: Record<CniName, CniRules> = { calico: calicoRules };

export const rulesOf = (cluster: Pick<ClusterModel, "cni">): CniRules => RULES[cluster.cni];
