/**
 * Calico IPPools meshctl owns: one disabled, no-NAT pool per other cluster's pod and service CIDR (so
 * Felix's natOutgoing rule leaves traffic to them alone). The one IPPool manifest type. Pure.
 */
import type { ClusterModel } from "../../model/types.js";
import type { Cidr, DnsLabel } from "../../net/addr.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "meshctl";
export const FOR_CLUSTER_LABEL = "meshctl.io/for-cluster";

export interface IpPoolSpec {
  name: DnsLabel;
  cidr: Cidr;
  /** The cluster whose CIDR this is. */
  forCluster: DnsLabel;
  kind: "pod" | "svc";
}

/** An IPPool as meshctl writes it (desired) or as it restores an observed one (inverse). */
export interface IpPoolManifest {
  apiVersion: "crd.projectcalico.org/v1";
  kind: "IPPool";
  metadata: { name: string; labels: Record<string, string> };
  spec: { cidr: string; natOutgoing: boolean; disabled: boolean };
}

/** An IPPool as the cluster reports it. */
export interface ObservedPool {
  name: string;
  cidr?: Cidr;
  /** The raw cidr when it is not a canonical IPv4 network (IPv6 pools, typos). */
  rawCidr: string;
  natOutgoing: boolean;
  disabled: boolean;
  labels: Record<string, string>;
  /** Labelled as meshctl's: only these are ever changed or deleted. */
  managed: boolean;
}

/** The pools `cluster` needs: pod-<other> and svc-<other> for every other cluster, in cluster order. */
export function desiredPools(
  cluster: Pick<ClusterModel, "name">,
  mesh: readonly ClusterModel[],
): IpPoolSpec[] {
  return mesh
    .filter((o) => o.name !== cluster.name)
    .flatMap((o) => [
      { name: `pod-${o.name}` as DnsLabel, cidr: o.podCidr, forCluster: o.name, kind: "pod" as const },
      { name: `svc-${o.name}` as DnsLabel, cidr: o.serviceCidr, forCluster: o.name, kind: "svc" as const },
    ]);
}

export function ipPoolManifest(p: IpPoolSpec): IpPoolManifest {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name: p.name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [FOR_CLUSTER_LABEL]: p.forCluster } },
    spec: { cidr: p.cidr, natOutgoing: false, disabled: true },
  };
}

/** The manifest that puts an observed pool back as it was (an inverse). */
export function manifestOf(p: ObservedPool): IpPoolManifest {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name: p.name, labels: { ...p.labels } },
    spec: { cidr: p.rawCidr, natOutgoing: p.natOutgoing, disabled: p.disabled },
  };
}
