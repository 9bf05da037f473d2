/**
 * Calico's checks for `meshctl diagnose`. In the cluster: every other cluster's pod and service CIDR has
 * an IPPool, meshctl's, disabled, with natOutgoing false — and no foreign pool overlaps them. On a node:
 * the mesh's UDP port is not Felix's vxlanPort. Pure.
 */
import type { Finding } from "../../core/finding.js";
import type { NodeFacts } from "../../facts/types.js";
import type { ClusterModel, NodeModel } from "../../model/types.js";
import { type Cidr, cidrsOverlap } from "../../net/addr.js";
import { desiredPools, type IpPoolSpec, type ObservedPool } from "./pools.js";

export const CALICO_DEVICE = "vxlan.calico";
export const CALICO_DEFAULT_PORT = 4789;

const what = (w: IpPoolSpec) =>
  `cluster ${w.forCluster}'s ${w.kind === "pod" ? "pod" : "service"} CIDR ${w.cidr}`;

export function checkPools(
  cluster: ClusterModel,
  mesh: readonly ClusterModel[],
  observed: readonly ObservedPool[],
  inventory?: string,
): Finding[] {
  const wantedPools = desiredPools(cluster, mesh);
  const apply = `meshctl apply${inventory ? ` -i ${inventory}` : ""} --limit ${cluster.name}`;
  const f = (ok: boolean, severity: Finding["severity"], finding: string, fix?: string): Finding => ({
    cluster: cluster.name,
    check: "ippool",
    ok,
    severity,
    finding,
    ...(ok || fix === undefined ? {} : { fix }),
  });
  const out: Finding[] = [];
  for (const w of wantedPools) {
    const same = observed.find((o) => o.name === w.name);
    const foreign = observed.filter(
      (o) => !o.managed && o.name !== w.name && o.cidr !== undefined && cidrsOverlap(o.cidr, w.cidr as Cidr),
    );
    for (const o of foreign) {
      out.push(
        f(
          false,
          "error",
          `IPPool ${o.name} (${o.rawCidr}) is not meshctl's and overlaps ${what(w)}: meshctl will not create or change ${w.name} next to it`,
          `kubectl delete ippools.crd.projectcalico.org ${o.name} (or narrow its cidr), then ${apply}`,
        ),
      );
    }
    if (!same) {
      out.push(
        f(
          false,
          "error",
          `IPPool ${w.name} for ${what(w)} is missing: its destination is in no pool, so Calico's natOutgoing rule masquerades this cluster's pod traffic to it (the far side sees node addresses, not pods)`,
          apply,
        ),
      );
      continue;
    }
    if (!same.managed) {
      out.push(
        f(
          false,
          "error",
          `IPPool ${w.name} exists but is not meshctl's (no app.kubernetes.io/managed-by=meshctl label): meshctl will not touch it`,
          `kubectl label ippools.crd.projectcalico.org ${w.name} app.kubernetes.io/managed-by=meshctl, then ${apply}`,
        ),
      );
      continue;
    }
    const wrong: string[] = [];
    if (same.rawCidr !== w.cidr) wrong.push(`cidr is ${same.rawCidr}, not ${w.cidr}`);
    if (!same.disabled)
      wrong.push(
        "it is enabled: Calico may hand its addresses to this cluster's pods, clashing with the other cluster's",
      );
    if (same.natOutgoing)
      wrong.push(
        "natOutgoing is true: traffic from those addresses to outside every pool is masqueraded here",
      );
    out.push(
      wrong.length > 0
        ? f(false, "error", `IPPool ${w.name} (${what(w)}): ${wrong.join("; ")}`, apply)
        : f(true, "error", `IPPool ${w.name} covers ${what(w)}, disabled, natOutgoing false`),
    );
  }
  const wanted = new Set<string>(wantedPools.map((w) => w.name));
  for (const o of observed) {
    if (o.managed && !wanted.has(o.name)) {
      out.push(
        f(
          false,
          "warning",
          `IPPool ${o.name} (${o.rawCidr}) is meshctl's but the inventory no longer wants it (stale)`,
          apply,
        ),
      );
    }
  }
  return out;
}

/** Felix drops VXLAN packets to its own vxlanPort from hosts it does not know, whatever the VNI. */
export function checkCalicoPort(node: NodeModel, facts: NodeFacts): Finding[] {
  const port = node.device.port;
  const calico = facts.vxlanPorts.find((v) => v.device === CALICO_DEVICE);
  const calicoPort = calico?.port ?? CALICO_DEFAULT_PORT;
  const base = { node: node.name, check: "calico-port", severity: "error" as const };
  if (calicoPort !== port) {
    return [{ ...base, ok: true, finding: `UDP ${port} is not Calico's vxlanPort (${calicoPort})` }];
  }
  return [
    {
      ...base,
      ok: false,
      finding: `the mesh uses UDP ${port}, Calico's vxlanPort${calico ? "" : " (default)"}: Felix drops VXLAN packets to it from hosts it does not know, whatever the VNI`,
      fix: "inventory: set mesh.port to a free port (e.g. 4899), then meshctl apply",
    },
  ];
}
