/**
 * What on a node is meshctl's, and when what is there is as meshctl wants it: the one set of ownership
 * and desired-vs-observed rules, used by the diff (node-diff.ts), the rollback check (exec/targets.ts)
 * and diagnose. Pure.
 *
 * - **The device** is meshctl's when it is a VXLAN device named mesh.device that carries meshctl's mark,
 *   the interface alias `meshctl` (set right after meshctl creates it). A VXLAN device with that name and
 *   no alias is one an earlier meshctl made (before marks): it is adopted — marked by the next apply —
 *   only when its VNI, UDP port and local address all equal the inventory's. Anything else with the name
 *   (another kind, another alias, or an unmarked device that differs) is not provably meshctl's: the node
 *   is refused before any change, never deleting or recreating it.
 * - **On meshctl's device**, every address, permanent neighbour and FDB entry is meshctl's.
 * - **A route** is meshctl's when it carries meshctl's protocol id AND sits on meshctl's own device (its
 *   `dev`), or — a direct route (mode direct/auto, issue #14) — when it carries the protocol id AND sits
 *   on the node's underlay interface, in the main table, via a gateway, with meshctl's direct-route metric
 *   DIRECT_METRIC. A route with the protocol id anywhere else (another device, another metric on the
 *   underlay, a blackhole, a multipath route, or on a device that is not provably meshctl's) is reported
 *   and refused, never deleted.
 *
 * Why a metric, and not a record of what was installed: the kernel's own state stays the one thing that
 * proves ownership (a record on the node can be lost, restored from a backup or left behind, and would be
 * a second source to keep in step with the routes), the facts stay one read, and the metric is what lets a
 * mode switch be make-before-break: a direct route (metric DIRECT_METRIC) and the tunnel's route to the same
 * block (metric 0) coexist, so the new one is added before the old one is deleted, in one batch.
 * A foreign route with both the protocol id and that metric on the underlay would be taken as meshctl's:
 * mesh.route_protocol exists to keep the id unshared.
 */
import type { DeviceFact, NodeFacts, RouteFact } from "../facts/types.js";
import type { NodeModel, RouteSpec } from "../model/types.js";
import type { Ipv4, Mac } from "../net/addr.js";
import type { VxlanParams } from "./commands.js";

/** VXLAN over IPv4 costs 50 bytes: device MTU = underlay MTU − 50. */
export const VXLAN_OVERHEAD = 50;

/** The metric of meshctl's direct routes on the underlay: with the protocol id, meshctl's mark there. */
export const DIRECT_METRIC = 7077;

/** The interface the node's direct routes use: the inventory's underlay_interface, else the holder of local. */
export const underlayName = (underlayDev: string | undefined, facts: NodeFacts): string | undefined =>
  underlayDev ?? facts.underlay?.name;

/** The interface alias that marks meshctl's device. */
export const DEVICE_MARK = "meshctl";

export type DeviceOwnership =
  | { state: "absent" }
  /** Marked as meshctl's. */
  | { state: "ours"; device: DeviceFact }
  /** Unmarked, made by an earlier meshctl: name, VNI, port and local all match; the apply marks it. */
  | { state: "adopt"; device: DeviceFact }
  /** Not provably meshctl's: never changed; `why` says what it is and what to do. */
  | { state: "foreign"; device: DeviceFact; why: string };

const describeDevice = (d: DeviceFact): string =>
  d.kind === "vxlan"
    ? `a VXLAN device (VNI ${d.vni ?? "?"}, port ${d.port ?? "?"}, local ${d.localIp ?? "none"}${d.alias ? `, alias "${d.alias}"` : ", no alias"})`
    : `a ${d.kind === "none" || d.kind === "" ? "non-VXLAN" : d.kind} device`;

export function deviceOwnership(
  want: Pick<VxlanParams, "name" | "vni" | "port" | "localIp">,
  facts: NodeFacts,
): DeviceOwnership {
  const device = facts.device;
  if (!device) return { state: "absent" };
  const fix = `remove it if it is stale (ip link del ${want.name}), or set mesh.device to another name`;
  if (device.kind !== "vxlan" || (device.alias !== undefined && device.alias !== DEVICE_MARK)) {
    return {
      state: "foreign",
      device,
      why: `${want.name} is ${describeDevice(device)}, not meshctl's: ${fix}`,
    };
  }
  if (device.alias === DEVICE_MARK) return { state: "ours", device };
  const same = device.vni === want.vni && device.port === want.port && device.localIp === want.localIp;
  if (same) return { state: "adopt", device };
  return {
    state: "foreign",
    device,
    why: `${want.name} is ${describeDevice(device)} without meshctl's mark, and it differs from the inventory's (VNI ${want.vni}, port ${want.port}, local ${want.localIp}): not provably meshctl's, so it is neither changed nor recreated: ${fix}`,
  };
}

export const ownsDevice = (o: DeviceOwnership): boolean => o.state === "ours" || o.state === "adopt";

/** A direct route of meshctl's: its protocol id (every fact route has it), on `underlay`, main, via, its metric. */
export const isDirectRoute = (r: RouteFact, underlay: string | undefined): boolean =>
  underlay !== undefined &&
  r.dev === underlay &&
  r.table === "main" &&
  r.type === "unicast" &&
  r.via !== undefined &&
  r.nexthops === undefined &&
  r.metric === DIRECT_METRIC;

/**
 * meshctl's routes (its protocol id on its own device: `ours`; on the underlay with its metric: `direct`)
 * and the routes with its protocol id that are neither.
 */
export function splitRoutes(
  facts: NodeFacts,
  deviceName: string,
  owned: boolean,
  underlay?: string,
): { ours: RouteFact[]; direct: RouteFact[]; foreign: RouteFact[] } {
  const ours: RouteFact[] = [];
  const direct: RouteFact[] = [];
  const foreign: RouteFact[] = [];
  for (const r of facts.routes) {
    if (owned && r.dev === deviceName && r.nexthops === undefined) ours.push(r);
    else if (isDirectRoute(r, underlay)) direct.push(r);
    else foreign.push(r);
  }
  return { ours, direct, foreign };
}

export function describeRoute(r: RouteFact): string {
  return [
    r.type !== "unicast" ? r.type : "",
    r.dst,
    r.via ? `via ${r.via}` : "",
    r.dev ? `dev ${r.dev}` : "",
    r.nexthops ? `(${r.nexthops.length} next hops)` : "",
    r.table !== "main" ? `table ${r.table}` : "",
    `proto ${r.protocol}`,
    r.metric ? `metric ${r.metric}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** Why a route with meshctl's protocol id is not meshctl's, with what to do. */
export function foreignRouteReason(r: RouteFact, deviceName: string): string {
  const where =
    r.dev !== deviceName || r.nexthops !== undefined
      ? `it is not on ${deviceName}`
      : `${deviceName} is not provably meshctl's`;
  return `route ${describeRoute(r)} carries meshctl's protocol id but ${where}: not meshctl's, left alone — remove it, or set mesh.route_protocol to a number nothing else uses`;
}

/** The device MTU the plan wants: explicit, or underlay − 50 (undefined when the underlay is unknown). */
export function wantedMtu(desired: NodeModel, facts: NodeFacts): number | undefined {
  const d = desired.device;
  if (d.mtu !== "auto") return d.mtu;
  return facts.underlay === undefined ? undefined : facts.underlay.mtu - VXLAN_OVERHEAD;
}

/** One attribute of the observed device that differs from the desired one (fixed at creation). */
export interface DeviceDriftItem {
  attribute: "vni" | "port" | "local" | "dev" | "learning";
  have: string;
  want: string;
}

/** What keeps the observed device from serving as the desired one (empty: it can): fixed at creation. */
export function deviceDriftItems(want: VxlanParams, dev: DeviceFact): DeviceDriftItem[] {
  const drift: DeviceDriftItem[] = [];
  if (dev.vni !== want.vni) drift.push({ attribute: "vni", have: `${dev.vni ?? "?"}`, want: `${want.vni}` });
  if (dev.port !== want.port)
    drift.push({ attribute: "port", have: `${dev.port ?? "?"}`, want: `${want.port}` });
  if (dev.localIp !== want.localIp)
    drift.push({ attribute: "local", have: dev.localIp ?? "none", want: want.localIp });
  if (want.underlayDev !== undefined && dev.underlayDev !== want.underlayDev) {
    drift.push({ attribute: "dev", have: dev.underlayDev ?? "none", want: want.underlayDev });
  }
  if (dev.learning === true) drift.push({ attribute: "learning", have: "learning", want: "nolearning" });
  return drift;
}

/** deviceDriftItems as the plan shows them (`vni 999 → 10001`, `learning → nolearning`). */
export function deviceDrift(want: VxlanParams, dev: DeviceFact): string[] {
  return deviceDriftItems(want, dev).map((d) =>
    d.attribute === "learning" ? `${d.have} → ${d.want}` : `${d.attribute} ${d.have} → ${d.want}`,
  );
}

/** FDB entries meshctl manages on its device: unicast peers and flood entries with a destination. */
export function managedFdb(facts: NodeFacts): { mac: Mac; dst: Ipv4 }[] {
  return facts.fdb
    .filter((f) => f.kind !== "multicast" && f.dst !== undefined)
    .map((f) => ({ mac: f.mac as Mac, dst: f.dst as Ipv4 }));
}

/** Neighbours meshctl manages on its device: the permanent ones. */
export function managedNeighbours(facts: NodeFacts): { ip: Ipv4; mac: Mac }[] {
  return facts.neighbours
    .filter((n) => n.mac !== undefined && n.state.includes("PERMANENT"))
    .map((n) => ({ ip: n.ip, mac: n.mac as Mac }));
}

/**
 * A route to a remote block is as wanted: main table, via the peer, on the device, `onlink` — or, a
 * direct one, via the peer's underlay address on the underlay with meshctl's direct metric.
 */
export function routeAsWanted(
  want: RouteSpec,
  have: RouteFact,
  deviceName: string,
  underlay?: string,
): boolean {
  if (want.direct) return have.dst === want.dst && have.via === want.via && isDirectRoute(have, underlay);
  return (
    have.table === "main" &&
    have.dst === want.dst &&
    have.via === want.via &&
    have.dev === deviceName &&
    have.flags.includes("onlink")
  );
}

/** The kernel's connected route of the device's overlay address is there (unknown facts count as there). */
export function hasConnectedRoute(facts: NodeFacts, overlayNet: string, deviceName: string): boolean {
  if (facts.connected === undefined) return true;
  // Listed with `dev DEV`, so iproute2 leaves the dev out of each route.
  return facts.connected.some((r) => r.dst === overlayNet && (r.dev === undefined || r.dev === deviceName));
}

/**
 * Everything meshctl manages on a node, as one comparable text: whether two fact sets agree on it is the
 * rollback check ("back at its prior state").
 */
export function managedState(f: NodeFacts): string {
  return JSON.stringify({
    dev: f.device
      ? {
          kind: f.device.kind,
          vni: f.device.vni,
          port: f.device.port,
          local: f.device.localIp,
          under: f.device.underlayDev,
          alias: f.device.alias,
          mac: f.device.mac,
          mtu: f.device.mtu,
          up: f.device.up,
          addrs: f.device.addresses.map((x) => `${x.ip}/${x.prefixLen}`).sort(),
        }
      : null,
    fdb: managedFdb(f)
      .map((x) => `${x.mac}>${x.dst}`)
      .sort(),
    neigh: managedNeighbours(f)
      .map((x) => `${x.ip}>${x.mac}`)
      .sort(),
    routes: f.routes
      .map(
        (r) =>
          `${r.table}:${r.dst}>${r.via ?? ""}@${r.dev ?? ""}${r.flags.includes("onlink") ? "+onlink" : ""}${r.metric ? `#${r.metric}` : ""}`,
      )
      .sort(),
    connected: (f.connected ?? []).map((r) => `${r.dst}@${r.dev ?? ""}`).sort(),
  });
}
