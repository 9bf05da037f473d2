/**
 * The NodeFacts from what the sections read (a Draft): picks the device, the underlay and the VXLAN ports
 * out of the link sections, resolves a VXLAN underlay printed as an ifindex, and keeps only the foreign
 * routes and sysctls that matter. Pure.
 */
import { FactsParseError } from "./errors.js";
import { resolveUnderlay } from "./query.js";
import type { Link } from "./sections/link-types.js";
import type { Draft } from "./sections/types.js";
import type { DeviceFact, InterfaceFact, NodeFacts, RouteFact, VxlanPortFact } from "./types.js";

/** The underlay as a name, resolving an ifindex (or iproute2's `ifN` fallback) against known links. */
function resolveLink(
  link: string | number | undefined,
  known: Map<number, string>,
): { underlayDev?: string; underlayIndex?: number } {
  if (link === undefined) return {};
  if (typeof link === "number") {
    const name = known.get(link);
    return { underlayIndex: link, ...(name === undefined ? {} : { underlayDev: name }) };
  }
  const m = /^if(\d+)$/.exec(link);
  if (m && ![...known.values()].includes(link)) {
    const index = Number(m[1]);
    return { underlayIndex: index, underlayDev: known.get(index) ?? link };
  }
  return { underlayDev: link };
}

function toDevice(l: Link, known: Map<number, string>): DeviceFact {
  const v = l.vxlan ?? {};
  return {
    name: l.name,
    ifindex: l.ifindex,
    kind: l.kind,
    ...(v.vni === undefined ? {} : { vni: v.vni }),
    ...(v.port === undefined ? {} : { port: v.port }),
    ...(v.localIp === undefined ? {} : { localIp: v.localIp }),
    ...resolveLink(v.link, known),
    ...(v.learning === undefined ? {} : { learning: v.learning }),
    ...(v.remote === undefined ? {} : { remote: v.remote }),
    ...(v.group === undefined ? {} : { group: v.group }),
    ...(l.alias === undefined ? {} : { alias: l.alias }),
    mac: l.mac,
    mtu: l.mtu,
    up: l.flags.includes("UP"),
    lowerUp: l.flags.includes("LOWER_UP"),
    operstate: l.operstate,
    flags: l.flags,
    addresses: l.addresses,
  };
}

const toInterface = (l: Link): InterfaceFact => ({
  name: l.name,
  ifindex: l.ifindex,
  mtu: l.mtu,
  up: l.flags.includes("UP"),
  addresses: l.addresses,
});

function vxlanPorts(vxlans: Link[]): VxlanPortFact[] {
  const out: VxlanPortFact[] = [];
  for (const l of vxlans) {
    const v = l.vxlan;
    if (l.kind !== "vxlan" || v?.port === undefined) continue;
    out.push({
      device: l.name,
      port: v.port,
      ...(v.vni === undefined ? {} : { vni: v.vni }),
      ...(v.localIp === undefined ? {} : { localIp: v.localIp }),
      up: l.flags.includes("UP"),
    });
  }
  return out;
}

/** rp_filter of every listed link is read; keep all/default, the device's and the underlay's. */
function keepSysctl(all: Record<string, number>, keep: Set<string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(all).filter(([k]) => {
      const m = /^net\.ipv4\.conf\.(.+)\.rp_filter$/.exec(k);
      return !m || keep.has(m[1] as string);
    }),
  );
}

function foreign(d: Draft): RouteFact[] {
  const proto = d.params.routeProtocol;
  const ownedMain = new Set(
    d.routes.filter((r) => r.table === "main").map((r) => `${r.dst}|${r.metric ?? 0}`),
  );
  return d.mainRoutes.filter((r) => r.protocol !== proto && !ownedMain.has(`${r.dst}|${r.metric ?? 0}`));
}

export function finish(d: Draft): NodeFacts {
  const { params } = d;
  const deviceLinks = d.device.filter((l) => l.name === params.device);
  if (deviceLinks.length > 1) {
    throw new FactsParseError(
      "device",
      `expected at most one link named ${params.device}, got ${deviceLinks.length}`,
    );
  }
  const underlays = d.underlays.filter((l) => l.name === params.underlayDev);
  const known = new Map<number, string>();
  for (const l of [...d.vxlans, ...deviceLinks, ...d.holders, ...underlays]) known.set(l.ifindex, l.name);
  const interfaces: InterfaceFact[] = [];
  for (const l of [...d.holders, ...underlays]) {
    if (!interfaces.some((i) => i.ifindex === l.ifindex)) interfaces.push(toInterface(l));
  }
  const deviceLink = deviceLinks[0];
  const device = deviceLink === undefined ? undefined : toDevice(deviceLink, known);
  const underlay = resolveUnderlay({ params, interfaces }, params.localIp);
  const keep = ["all", "default", params.device, underlay?.name, params.underlayDev];
  return {
    params,
    ...(device === undefined ? {} : { device }),
    ...(underlay === undefined ? {} : { underlay }),
    interfaces,
    neighbours: d.neighbours,
    fdb: d.fdb,
    routes: d.routes,
    foreignRoutes: foreign(d),
    ...(d.connected === undefined ? {} : { connected: d.connected }),
    sysctl: keepSysctl(d.sysctl, new Set(keep.filter((k): k is string => k !== undefined))),
    vxlanPorts: vxlanPorts(d.vxlans),
    udpPorts: d.udpPorts,
    ...(d.persist === undefined ? {} : { persist: d.persist }),
    ...(d.sshClient === undefined ? {} : { sshClient: d.sshClient }),
  };
}
