/**
 * Lock-out refusal, the per-node half (#10.1b): no route meshctl would put on a node (its routes to remote
 * pod blocks, through the tunnel or direct, and the overlay's connected route when the tunnel is wanted)
 * may capture the node's path back — the address its SSH session comes from, its default gateway(s), an API
 * server address — i.e. be that address's longest match.
 * Pure: from the node's facts. The inventory half is src/inventory/lockout.ts.
 *
 * The routes compared against are those the facts hold (the main table's global routes, the subnets of the
 * underlay interface): a subnet of another interface is not seen, so a capture is judged as if it were not
 * there — a refusal may be stricter than the kernel, never looser. A route as specific as an existing one
 * counts as capturing (which of the two wins is then up to metrics).
 */
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { type Cidr, cidr, cidrContainsIp, cidrPrefix, type Ipv4, intToIp, ipToInt } from "../net/addr.js";
import { overlayNet } from "./device-diff.js";

/** An address the node needs to keep reaching through the routes it has. */
export interface PathBack {
  ip: Ipv4;
  /** What it is to the node, e.g. "the address its SSH session comes from". */
  what: string;
}

/**
 * The node's paths back: from its facts, the SSH session's client address and the default gateways; from
 * the model, its cluster's API server address.
 */
export function pathsBack(facts: NodeFacts, extra: readonly PathBack[] = [], node?: NodeModel): PathBack[] {
  const out: PathBack[] = [];
  if (node?.apiServer !== undefined)
    out.push({ ip: node.apiServer, what: "its cluster's API server address (api_server)" });
  if (facts.sshClient !== undefined)
    out.push({ ip: facts.sshClient, what: "the address meshctl's SSH session comes from" });
  for (const r of facts.foreignRoutes) {
    if (r.dst !== "0.0.0.0/0") continue;
    for (const via of [r.via, ...(r.nexthops ?? []).map((h) => h.via)]) {
      if (via !== undefined && !out.some((p) => p.ip === via))
        out.push({ ip: via, what: "its default gateway" });
    }
  }
  return [...out, ...extra];
}

/** The prefix of the most specific route the node has now to `ip` (-1: none), with its description. */
function currentRoute(facts: NodeFacts, ip: Ipv4): { prefix: number; text: string } {
  let best = { prefix: -1, text: "no route" };
  const consider = (dst: Cidr, text: string) => {
    const p = cidrPrefix(dst);
    if (p > best.prefix && cidrContainsIp(dst, ip)) best = { prefix: p, text };
  };
  for (const r of facts.foreignRoutes) {
    if (r.type !== "unicast") continue;
    consider(r.dst, `${r.dst}${r.via ? ` via ${r.via}` : ""}${r.dev ? ` dev ${r.dev}` : ""}`);
  }
  for (const i of facts.interfaces) {
    for (const a of i.addresses)
      consider(subnetOf(a.ip, a.prefixLen), `${subnetOf(a.ip, a.prefixLen)} dev ${i.name}`);
  }
  return best;
}

function subnetOf(ip: Ipv4, prefixLen: number): Cidr {
  const mask = prefixLen === 0 ? 0 : (~0 << (32 - prefixLen)) >>> 0;
  return cidr(`${intToIp((ipToInt(ip) & mask) >>> 0)}/${prefixLen}`);
}

/**
 * Why meshctl must not change this node: each route of its that would capture a path back, in words.
 * Empty when none does.
 */
export function lockoutReasons(
  desired: NodeModel & { tunnel?: boolean },
  facts: NodeFacts,
  extra: readonly PathBack[] = [],
): string[] {
  const net = overlayNet(desired.device);
  // The device (and so the overlay's connected route) is wanted unless every path bypasses the tunnel.
  const connected =
    desired.tunnel === false
      ? []
      : [{ dst: net, text: `the overlay's connected route ${net} dev ${desired.device.name}` }];
  const routes = [
    ...connected,
    ...desired.routes.map((r) => ({
      dst: r.dst,
      text: `route ${r.dst} via ${r.via} (${r.peer}'s pod block)`,
    })),
  ];
  const reasons: string[] = [];
  for (const p of pathsBack(facts, extra, desired)) {
    const now = currentRoute(facts, p.ip);
    const r = routes.find((x) => cidrContainsIp(x.dst, p.ip) && cidrPrefix(x.dst) >= now.prefix);
    if (r === undefined) continue;
    reasons.push(
      `${r.text} would capture ${p.ip}, ${p.what} (now reached by ${now.text}): applying it would cut this node off (lock-out); renumber the range or the address`,
    );
  }
  return reasons;
}
