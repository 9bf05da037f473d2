/** Calico behind the CNI seam: its pure rules plus reading and changing a cluster through kubectl. */
import type { Cni } from "../types.js";
import type { CalicoState } from "./observed.js";
import { calicoRules } from "./rules.js";
import { CalicoSession } from "./session.js";

export const calico: Cni<CalicoState> = {
  ...calicoRules,
  open: (conn, cluster) => CalicoSession.open(conn, cluster),
};
