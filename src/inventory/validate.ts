/**
 * Relations between inventory fields that a per-field schema cannot see: overlaps, containment and
 * uniqueness. Pure: returns every problem found, each with the path of the value it is about.
 */
import {
  type Cidr,
  cidrContainsCidr,
  cidrContainsIp,
  cidrsOverlap,
  type Ipv4,
  parseIpv4,
} from "../net/addr.js";
import type { RawInventory } from "./schema.js";

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

interface Labelled<T> {
  value: T;
  path: (string | number)[];
  label: string;
}

function duplicates<T>(items: Labelled<T>[], what: string, key: (v: T) => string = String): PathIssue[] {
  const seen = new Map<string, Labelled<T>>();
  const issues: PathIssue[] = [];
  for (const item of items) {
    const k = key(item.value);
    const first = seen.get(k);
    if (first) issues.push({ path: item.path, message: `duplicate ${what} ${k}: also used by ${first.label}` });
    else seen.set(k, item);
  }
  return issues;
}

export function validateRelations(inv: RawInventory): PathIssue[] {
  const issues: PathIssue[] = [];
  const cidrs: Labelled<Cidr>[] = [];
  inv.clusters.forEach((c, ci) => {
    cidrs.push({ value: c.pod_cidr as Cidr, path: ["clusters", ci, "pod_cidr"], label: `cluster ${c.name} pod_cidr` });
    cidrs.push({
      value: c.service_cidr as Cidr,
      path: ["clusters", ci, "service_cidr"],
      label: `cluster ${c.name} service_cidr`,
    });
  });
  // Pod and service CIDRs: pairwise disjoint (across clusters, and pod vs service within one).
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = cidrs[i] as Labelled<Cidr>;
      const b = cidrs[j] as Labelled<Cidr>;
      if (cidrsOverlap(a.value, b.value)) {
        issues.push({ path: a.path, message: `${a.value} overlaps ${b.label} ${b.value}` });
      }
    }
  }
  const overlay = inv.mesh.overlay as Cidr;
  for (const c of cidrs) {
    if (cidrsOverlap(overlay, c.value)) {
      issues.push({ path: ["mesh", "overlay"], message: `overlay ${overlay} overlaps ${c.label} ${c.value}` });
    }
  }

  const names: Labelled<string>[] = [];
  const clusterNames: Labelled<string>[] = [];
  const hosts: Labelled<string>[] = [];
  const underlays: Labelled<string>[] = [];
  inv.clusters.forEach((c, ci) => {
    clusterNames.push({ value: c.name, path: ["clusters", ci, "name"], label: `clusters[${ci}]` });
    const blocks: Labelled<Cidr>[] = [];
    c.nodes.forEach((n, ni) => {
      const at = ["clusters", ci, "nodes", ni];
      const label = `node ${n.name}`;
      names.push({ value: n.name, path: [...at, "name"], label: `clusters[${ci}].nodes[${ni}]` });
      const port = n.ssh?.port ?? c.ssh?.port ?? inv.mesh.ssh?.port ?? 22;
      hosts.push({ value: `${n.host}:${port}`, path: [...at, "host"], label });
      const underlay = n.underlay_ip ?? (parseIpv4(n.host).ok ? n.host : undefined);
      if (underlay === undefined) {
        issues.push({ path: [...at, "host"], message: `host ${n.host} is a name: set underlay_ip for node ${n.name}` });
      } else {
        underlays.push({ value: underlay, path: [...at, n.underlay_ip ? "underlay_ip" : "host"], label });
        if (cidrContainsIp(overlay, underlay as Ipv4)) {
          issues.push({
            path: [...at, n.underlay_ip ? "underlay_ip" : "host"],
            message: `underlay IP ${underlay} lies inside the overlay subnet ${overlay}`,
          });
        }
      }
      (n.pod_blocks ?? []).forEach((b, bi) => {
        const bp = [...at, "pod_blocks", bi];
        if (!cidrContainsCidr(c.pod_cidr as Cidr, b as Cidr)) {
          issues.push({ path: bp, message: `pod block ${b} is not inside cluster ${c.name}'s pod_cidr ${c.pod_cidr}` });
        }
        for (const other of blocks) {
          if (cidrsOverlap(other.value, b as Cidr)) {
            issues.push({ path: bp, message: `pod block ${b} overlaps ${other.label} ${other.value}` });
          }
        }
        blocks.push({ value: b as Cidr, path: bp, label: `${label}'s block` });
      });
    });
    if (c.control !== undefined && !c.nodes.some((n) => n.name === c.control)) {
      issues.push({
        path: ["clusters", ci, "control"],
        message: `control node ${c.control} is not a node of cluster ${c.name}`,
      });
    }
  });
  issues.push(...duplicates(clusterNames, "cluster name"));
  issues.push(...duplicates(names, "node name"));
  issues.push(...duplicates(hosts, "SSH address"));
  issues.push(...duplicates(underlays, "underlay IP"));
  return issues;
}
