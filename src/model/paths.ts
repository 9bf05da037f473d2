/**
 * Which path each peer's traffic takes (issue #14): the VXLAN tunnel, or plain routes on a shared L2
 * segment (the seed's "direct" mode, Flannel's DirectRouting). Pure.
 *
 * - A **pair's mode** (pairMode): the tunnel when either side is `vxlan` (the peer would send encapsulated
 *   traffic a device-less node cannot take), `direct` when either side is `direct`, `auto` when both are.
 * - **direct**: every remote pod block of the peer is routed via the peer's underlay address on the
 *   underlay; every such peer must be on a connected subnet of the node's underlay, else the node is
 *   refused, naming them.
 * - **auto**: direct when the peer's underlay address is on a connected subnet, the tunnel otherwise.
 * - FDB and neighbour entries exist only for the peers that use the tunnel: every peer of a `vxlan` pair
 *   (same cluster included, as always), and the peers of `auto` pairs reached through it. The device is
 *   wanted when the node's mode is `vxlan` or some peer uses the tunnel: none at all otherwise.
 *
 * The connected subnets are the node's facts (the addresses of its underlay interface), so the resolved
 * node is the node's whole desired state: the diff, and anything that renders the node's state, start
 * from it.
 */
import { type Cidr, cidr, cidrContainsIp, type Ipv4, intToIp, ipToInt } from "../net/addr.js";
import type { MeshMode, NodeModel, RouteSpec } from "./types.js";

/**
 * A route taken direct: one object per model route, shared by every node that takes it direct (model
 * data is read-only), so what is made from it once per entry (src/plan/shared.ts) is shared too.
 */
const directOf = new WeakMap<RouteSpec, RouteSpec>();
function directRoute(r: RouteSpec): RouteSpec {
  let d = directOf.get(r);
  if (d === undefined) {
    d = { ...r, via: r.underlay, direct: true };
    directOf.set(r, d);
  }
  return d;
}

export function pairMode(a: MeshMode, b: MeshMode): MeshMode {
  if (a === "vxlan" || b === "vxlan") return "vxlan";
  if (a === "direct" || b === "direct") return "direct";
  return "auto";
}

/** A node's desired state with every route's path chosen. */
export interface ResolvedNode extends NodeModel {
  /** The VXLAN device is wanted (mode vxlan, or a peer uses the tunnel). */
  tunnel: boolean;
}

export type PathsResult = { ok: true; node: ResolvedNode } | { ok: false; why: string };

/** The subnets of an interface's addresses (`198.18.0.11/24` → `198.18.0.0/24`). */
export function connectedSubnets(addresses: readonly { ip: Ipv4; prefixLen: number }[]): Cidr[] {
  return addresses.map((a) => {
    const mask = a.prefixLen === 0 ? 0 : (~0 << (32 - a.prefixLen)) >>> 0;
    return cidr(`${intToIp((ipToInt(a.ip) & mask) >>> 0)}/${a.prefixLen}`);
  });
}

/**
 * Chooses each route's path for `n`, whose underlay interface `underlay` has the `connected` subnets
 * (none known: no peer is direct-reachable). A `direct` pair with a peer off those subnets refuses the node.
 */
export function resolvePaths(
  n: NodeModel,
  connected: readonly Cidr[],
  underlay = "the underlay",
): PathsResult {
  const onLink = (ip: Ipv4) => connected.some((c) => cidrContainsIp(c, ip));
  const unreachable = new Map<string, Ipv4>();
  for (const r of n.routes)
    if (r.pair === "direct" && !onLink(r.underlay)) unreachable.set(r.peer, r.underlay);
  if (unreachable.size > 0) {
    const peers = [...unreachable].map(([p, ip]) => `${p} (${ip})`).join(", ");
    const nets = connected.length > 0 ? connected.join(", ") : "none";
    return {
      ok: false,
      why: `mode direct: ${peers} not on a connected subnet of ${underlay} (${nets}): put the node and its peers on one L2 segment, or use mode auto or vxlan`,
    };
  }
  const direct = (r: NodeModel["routes"][number]) =>
    r.pair === "direct" || (r.pair === "auto" && onLink(r.underlay));
  const routes = n.routes.map((r) => (direct(r) ? directRoute(r) : r));
  if (n.fdb.every((f) => f.pair === "vxlan") && samePeers(n.fdb, n.neighbours)) {
    // Every peer's FDB entry is of a vxlan pair and every neighbour is such a peer (what buildModel makes
    // for a vxlan mesh): every entry stays, without a set of the tunnel's peers (1000 nodes: 1000 sets).
    const tunnel = n.mode === "vxlan" || n.fdb.length > 0 || routes.some((r) => r.direct === undefined);
    return { ok: true, node: { ...n, routes, fdb: [...n.fdb], neighbours: [...n.neighbours], tunnel } };
  }
  const tunnelPeers = new Set<string>([
    ...n.fdb.filter((f) => f.pair === "vxlan").map((f) => f.peer as string),
    ...routes.filter((r) => r.direct === undefined).map((r) => r.peer as string),
  ]);
  const fdb = n.fdb.filter((f) => tunnelPeers.has(f.peer));
  const neighbours = n.neighbours.filter((x) => tunnelPeers.has(x.peer));
  const tunnel = n.mode === "vxlan" || tunnelPeers.size > 0;
  return { ok: true, node: { ...n, routes, fdb, neighbours, tunnel } };
}

/** The same peers in the same order. */
function samePeers(a: readonly { peer: string }[], b: readonly { peer: string }[]): boolean {
  return a.length === b.length && a.every((x, i) => x.peer === b[i]?.peer);
}
