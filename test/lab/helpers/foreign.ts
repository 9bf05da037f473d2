/**
 * A node's foreign state, read with the host's real `ip`, `bridge` and `iptables-save` in its namespace: what
 * is not meshctl's (the Calico-like load a busy lab node carries, and the lab's own pod link), normalised so
 * that two snapshots compare equal exactly when nothing foreign changed.
 */
import { spawnSync } from "node:child_process";

function inNs(namespace: string, cmd: string, args: string[]): string {
  const r = spawnSync("ip", ["netns", "exec", namespace, cmd, ...args], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`${namespace}: ${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

interface LinkJson {
  ifname: string;
  mtu: number;
  operstate: string;
  address?: string;
  flags: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

interface RouteJson {
  flags?: string[];
  dst: string;
  dev?: string;
  protocol?: string;
  type?: string;
  table?: string;
}

export interface Foreign {
  links: string[];
  addresses: string[];
  routes: string[];
  neighbours: string[];
  fdb: string[];
  iptables: string[];
  sysctls: string[];
}

/**
 * Carrier is the peer's business, not the node's settings: a busy node's cali veths (their peers in the pod
 * namespace) settle from NO-CARRIER/LOWERLAYERDOWN to UP on their own, seconds after `lab up`. Left out of the
 * comparison, with operstate and a route's `linkdown`; the UP flag (set by whoever administers the link) stays.
 */
const CARRIER = new Set(["NO-CARRIER", "LOWER_UP", "M-DOWN"]);

/** Foreign state of one node; `ours` names meshctl's device (left out, with its addresses and routes). */
export function foreignState(namespace: string, ours: string, meshProto: number): Foreign {
  const links = JSON.parse(inNs(namespace, "ip", ["-j", "-d", "addr", "show"])) as LinkJson[];
  const theirs = links.filter((l) => l.ifname !== ours);
  const routes = (JSON.parse(inNs(namespace, "ip", ["-j", "route", "show", "table", "all"])) as RouteJson[])
    .filter((r) => r.dev !== ours && r.protocol !== String(meshProto))
    .map((r) => JSON.stringify({ ...r, flags: (r.flags ?? []).filter((x) => x !== "linkdown") }))
    .sort();
  const neighbours = inNs(namespace, "ip", ["neigh", "show", "nud", "permanent"])
    .split("\n")
    .filter((l) => l && !l.includes(` dev ${ours} `))
    .sort();
  const fdb = inNs(namespace, "bridge", ["fdb", "show"])
    .split("\n")
    .filter((l) => l && !l.includes(` dev ${ours} `))
    .sort();
  const iptables = inNs(namespace, "iptables-save", ["-t", "filter"])
    .split("\n")
    .filter((l) => l.includes("cali"))
    .map((l) => l.replace(/\[\d+:\d+\]/, "[0:0]"));
  const sysctls = inNs(namespace, "sh", [
    "-c",
    "cd /proc/sys/net/ipv4/conf && grep -H . */rp_filter */proxy_arp */forwarding",
  ])
    .split("\n")
    .filter((l) => l && !l.startsWith(`${ours}/`));
  return {
    links: theirs
      .map((l) =>
        JSON.stringify([
          l.ifname,
          l.linkinfo?.info_kind ?? "",
          l.mtu,
          l.address ?? "",
          l.master ?? "",
          l.flags.filter((x) => !CARRIER.has(x)),
          l.linkinfo?.info_data ?? {},
        ]),
      )
      .sort(),
    addresses: theirs
      .flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.family} ${a.local}/${a.prefixlen}`))
      .sort(),
    routes,
    neighbours,
    fdb,
    iptables,
    sysctls,
  };
}

/** The names of a node's links (meshctl's included). */
export function linkNames(namespace: string): string[] {
  return (JSON.parse(inNs(namespace, "ip", ["-j", "link", "show"])) as LinkJson[]).map((l) => l.ifname);
}

/** Foreign-state line counts, to say how busy a node is. */
export const sizeOf = (f: Foreign) =>
  Object.fromEntries(Object.entries(f).map(([k, v]) => [k, (v as string[]).length]));

/**
 * `ip link`/`ip route` text with carrier left out (see CARRIER above): the NO-CARRIER, LOWER_UP and M-DOWN
 * flags, `state <operstate>` and a route's `linkdown`. For snapshots of a whole node taken before and after
 * a run, where a busy node's cali veths may still be settling.
 */
export function withoutCarrier(text: string): string {
  return text
    .replace(
      /<([^>]*)>/g,
      (_, flags: string) =>
        `<${flags
          .split(",")
          .filter((f) => !CARRIER.has(f))
          .join(",")}>`,
    )
    .replace(/ state [A-Z]+/g, "")
    .replace(/ linkdown\b/g, "");
}
