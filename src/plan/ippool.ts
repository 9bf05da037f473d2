/** Calico IPPool manifests meshctl owns: one per other cluster's pod and service CIDR. Pure. */
import type { IpPoolSpec } from "../model/types.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "meshctl";
export const FOR_CLUSTER_LABEL = "meshctl.io/for-cluster";

export interface IpPoolManifest {
  apiVersion: "crd.projectcalico.org/v1";
  kind: "IPPool";
  metadata: { name: string; labels: Record<string, string> };
  spec: { cidr: string; natOutgoing: false; disabled: true };
}

export function ipPoolManifest(p: IpPoolSpec): IpPoolManifest {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name: p.name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [FOR_CLUSTER_LABEL]: p.forCluster } },
    spec: { cidr: p.cidr, natOutgoing: false, disabled: true },
  };
}
