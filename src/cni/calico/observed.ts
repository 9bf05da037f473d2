/** Parses what kubectl printed for a Calico cluster (IPPools, BlockAffinities, Nodes) into typed state. Pure. */
import { ParseError } from "../../core/errors.js";
import type { KubeNode } from "../../inventory/types.js";
import { type Cidr, parseCidr, parseIpv4 } from "../../net/addr.js";
import type { ClusterState } from "../model.js";
import { MANAGED_BY, MANAGED_BY_LABEL, type ObservedPool } from "./pools.js";

/** What a Calico cluster says: its IPPools, and pod blocks per node. */
export interface CalicoState extends ClusterState {
  pools: ObservedPool[];
  /** Confirmed Calico block affinities by Kubernetes node name; nodes' spec.podCIDRs where a node has none. */
  blocks: Map<string, Cidr[]>;
}

interface K8sObject {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: { addresses?: { type?: unknown; address?: unknown }[] };
}

export class KubeParseError extends ParseError {}

export function parseCalicoState(json: string): CalicoState {
  let list: { items?: K8sObject[] };
  try {
    list = JSON.parse(json);
  } catch (e) {
    throw new KubeParseError(`kubectl printed no JSON: ${(e as Error).message}`);
  }
  const items = Array.isArray(list.items) ? list.items : [];
  const pools: ObservedPool[] = [];
  const affinity = new Map<string, Cidr[]>();
  const podCidrs = new Map<string, Cidr[]>();
  const nodes: KubeNode[] = [];
  for (const o of items) {
    const name = o.metadata?.name ?? "";
    const spec = o.spec ?? {};
    if (o.kind === "IPPool") {
      const raw = String(spec.cidr ?? "");
      const c = parseCidr(raw);
      const labels = o.metadata?.labels ?? {};
      pools.push({
        name,
        ...(c.ok ? { cidr: c.value } : {}),
        rawCidr: raw,
        natOutgoing: spec.natOutgoing === true,
        disabled: spec.disabled === true,
        labels,
        managed: labels[MANAGED_BY_LABEL] === MANAGED_BY,
      });
    } else if (o.kind === "BlockAffinity") {
      const confirmed = spec.state === "confirmed" && String(spec.deleted ?? "false") !== "true";
      const c = parseCidr(String(spec.cidr ?? ""));
      if (!confirmed || !c.ok || typeof spec.node !== "string") continue;
      affinity.set(spec.node, [...(affinity.get(spec.node) ?? []), c.value]);
    } else if (o.kind === "Node") {
      nodes.push(kubeNode(name, o));
      const list = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
      const cidrs = list.map((x) => parseCidr(String(x))).flatMap((r) => (r.ok ? [r.value] : []));
      if (cidrs.length > 0) podCidrs.set(name, cidrs);
    }
  }
  const blocks = new Map<string, Cidr[]>();
  for (const [node, cidrs] of podCidrs) blocks.set(node, cidrs);
  for (const [node, cidrs] of affinity) blocks.set(node, [...cidrs].sort(compareCidr));
  return { pools, blocks, nodes };
}

/** A Node's name and its first valid InternalIP (a Node may list none, or an IPv6 one first). */
function kubeNode(name: string, o: K8sObject): KubeNode {
  const addresses = Array.isArray(o.status?.addresses) ? o.status.addresses : [];
  for (const a of addresses) {
    if (a?.type !== "InternalIP") continue;
    const ip = parseIpv4(String(a.address ?? ""));
    if (ip.ok) return { name, internalIp: ip.value };
  }
  return { name };
}

function compareCidr(a: Cidr, b: Cidr): number {
  const n = (c: Cidr) => c.split(/[./]/).map(Number);
  const [x, y] = [n(a), n(b)];
  for (let i = 0; i < 5; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}
