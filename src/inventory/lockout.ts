/**
 * Lock-out refusal, the inventory half (#10.1): a pod CIDR, pod block, service CIDR or the overlay that
 * contains a node's SSH address or underlay address would put meshctl's routes (or the overlay's connected
 * route) over the path the controller and the tunnels take to that node. Pure: every such containment is a
 * problem at the CIDR's path. The per-node half, from each node's facts, is src/plan/lockout.ts.
 */
import { type Cidr, cidrBounds, type Ipv4, ipToInt, parseIpv4 } from "../net/addr.js";
import type { PathIssue, RelationInventory } from "./relation-types.js";

interface Range {
  cidr: Cidr;
  path: (string | number)[];
  label: string;
}

/** One address to keep reachable, in words ("node X's SSH and underlay address", "cluster Y's API server"). */
interface Address {
  ip: Ipv4;
  what: string;
}

/** Every range meshctl routes or addresses: the overlay, each cluster's pod and service CIDRs, each pod block. */
function ranges(inv: RelationInventory): Range[] {
  const out: Range[] = [];
  if (inv.mesh.overlay !== undefined)
    out.push({ cidr: inv.mesh.overlay as Cidr, path: ["mesh", "overlay"], label: "overlay" });
  inv.clusters.forEach((c, ci) => {
    if (c === undefined) return;
    const name = c.name ?? `clusters[${ci}]`;
    for (const field of ["pod_cidr", "service_cidr"] as const) {
      const v = c[field];
      if (v !== undefined)
        out.push({ cidr: v as Cidr, path: ["clusters", ci, field], label: `${name}'s ${field}` });
    }
    c.nodes.forEach((n, ni) => {
      (n?.pod_blocks ?? []).forEach((b, bi) => {
        const path = ["clusters", ci, "nodes", ni, "pod_blocks", bi];
        out.push({ cidr: b as Cidr, path, label: `node ${n?.name}'s pod block` });
      });
    });
  });
  return out;
}

/**
 * Every address the controller or a tunnel reaches a node at — its SSH host (when an IP) and underlay IP —
 * and every cluster's API server address (`api_server`), which the nodes' kubelets need.
 */
function addresses(inv: RelationInventory): Address[] {
  const out: Address[] = [];
  for (const c of inv.clusters) {
    for (const n of c?.nodes ?? []) {
      if (n === undefined) continue;
      const host = n.host === undefined ? parseIpv4("") : parseIpv4(n.host);
      const underlay = (n.underlay_ip ?? (host.ok ? host.value : undefined)) as Ipv4 | undefined;
      const at = (kinds: string) => `node ${n.name}'s ${kinds} address`;
      if (host.ok && host.value === underlay) out.push({ ip: host.value, what: at("SSH and underlay") });
      else {
        if (host.ok) out.push({ ip: host.value, what: at("SSH") });
        if (underlay !== undefined) out.push({ ip: underlay, what: at("underlay") });
      }
    }
    const api = c?.api_server === undefined ? undefined : parseIpv4(c.api_server);
    if (api?.ok) out.push({ ip: api.value, what: `cluster ${c?.name}'s API server address` });
  }
  return out;
}

/** How many captured addresses a message names before "and N more". */
const NAMED = 3;

/**
 * The addresses a range contains, in their order: the addresses sorted by value once, each range a binary
 * search and a walk over what it holds (N ranges × N addresses would be 1 million checks at 1000 nodes).
 */
function containment(addrs: readonly Address[]): (c: Cidr) => Address[] {
  const value = addrs.map((a) => ipToInt(a.ip));
  const order = value.map((_, i) => i).sort((a, b) => (value[a] as number) - (value[b] as number));
  return (c) => {
    const [lo, hi] = cidrBounds(c);
    let from = 0;
    let to = order.length;
    while (from < to) {
      const mid = (from + to) >>> 1;
      if ((value[order[mid] as number] as number) < lo) from = mid + 1;
      else to = mid;
    }
    const caught: number[] = [];
    for (let k = from; k < order.length && (value[order[k] as number] as number) <= hi; k++)
      caught.push(order[k] as number);
    return caught.sort((a, b) => a - b).map((i) => addrs[i] as Address);
  };
}

/** One problem per range that contains a node's SSH or underlay address, naming the addresses it captures. */
export function lockoutIssues(inv: RelationInventory): PathIssue[] {
  const within = containment(addresses(inv));
  const issues: PathIssue[] = [];
  for (const r of ranges(inv)) {
    const caught = within(r.cidr);
    if (caught.length === 0) continue;
    const named = caught.slice(0, NAMED).map((a) => `${a.what} ${a.ip}`);
    const more = caught.length > NAMED ? ` and ${caught.length - NAMED} more` : "";
    issues.push({
      path: r.path,
      message: `${r.label} ${r.cidr} contains ${named.join(", ")}${more}: a route or address for it would take over the path to that node (lock-out); choose a range that holds no node address`,
    });
  }
  return issues;
}
