/**
 * The device part of one node's diff: its parameters from facts, its attributes (MAC, MTU, addresses, link
 * state, connected route) and the commands that create, adopt or rebuild it. Pure.
 */
import type { NodeFacts, RouteFact } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { type Cidr, cidr, type IfName, intToIp, ipToInt, type Mac } from "../net/addr.js";
import type { Change } from "./change.js";
import { type Cmd, cmd, type VxlanParams } from "./commands.js";
import {
  DEVICE_MARK,
  describeRoute,
  hasConnectedRoute,
  managedFdb,
  managedNeighbours,
  splitRoutes,
  wantedMtu,
} from "./ownership.js";

export type FactsDevice = NonNullable<NodeFacts["device"]>;

/** Resolves the device's underlay and MTU from facts (interface holding the local IP). */
export function resolveDeviceParams(desired: NodeModel, facts: NodeFacts): VxlanParams {
  const d = desired.device;
  const underlayDev = d.underlayDev ?? facts.underlay?.name;
  const mtu = wantedMtu(desired, facts);
  return {
    name: d.name,
    vni: d.vni,
    port: d.port,
    localIp: d.localIp,
    ...(underlayDev === undefined ? {} : { underlayDev }),
    mac: d.mac,
    ...(mtu === undefined ? {} : { mtu }),
    learning: false,
  };
}

/** The overlay network of the device's address (its connected route's destination). */
export function overlayNet(d: NodeModel["device"]): Cidr {
  const mask = d.prefixLen === 0 ? 0 : (~0 << (32 - d.prefixLen)) >>> 0;
  return cidr(`${intToIp((ipToInt(d.address) & mask) >>> 0)}/${d.prefixLen}`);
}

/** The device as it is, as VxlanParams (to recreate it on rollback). */
function observedParams(dev: FactsDevice): VxlanParams | undefined {
  if (dev.kind !== "vxlan" || dev.vni === undefined || dev.port === undefined || dev.localIp === undefined) {
    return undefined;
  }
  return {
    name: dev.name as IfName,
    vni: dev.vni,
    port: dev.port,
    localIp: dev.localIp,
    ...(dev.underlayDev === undefined ? {} : { underlayDev: dev.underlayDev }),
    mac: dev.mac as Mac,
    mtu: dev.mtu,
    learning: dev.learning ?? false,
  };
}

/** Commands that rebuild meshctl's observed device and everything of its on it: the inverse of deleting it. */
export function restoreDeviceCommands(facts: NodeFacts, proto: number): Cmd[] {
  const dev = facts.device;
  const params = dev && observedParams(dev);
  if (!dev || !params) return [];
  const out: Cmd[] = [cmd.linkAdd(params)];
  if (dev.alias === DEVICE_MARK) out.push(cmd.linkSetAlias(dev.name, DEVICE_MARK));
  for (const a of dev.addresses) out.push(cmd.addrAdd(dev.name, a.ip, a.prefixLen));
  if (dev.up) out.push(cmd.linkSetUp(dev.name, true));
  for (const f of managedFdb(facts)) out.push(cmd.fdbReplace(dev.name, f.mac, f.dst));
  for (const n of managedNeighbours(facts)) out.push(cmd.neighReplace(dev.name, n.ip, n.mac));
  for (const r of splitRoutes(facts, dev.name, true).ours) out.push(cmd.routeAdd(routeOf(r, proto)));
  return out;
}

export function routeOf(r: RouteFact, proto: number) {
  return {
    dst: r.dst,
    ...(r.via === undefined ? {} : { via: r.via }),
    ...(r.dev === undefined ? {} : { dev: r.dev }),
    proto,
    table: r.table,
    ...(r.metric ? { metric: r.metric } : {}),
    ...(r.flags.includes("onlink") ? { onlink: true } : {}),
  };
}

/** What deleting the device takes with it, in words (addresses, entries, every route on it). */
export function takenWithDevice(facts: NodeFacts, name: string): string {
  const dev = facts.device;
  if (!dev) return "";
  const routes = [
    ...facts.routes.filter((r) => r.dev === name),
    ...facts.foreignRoutes.filter((r) => r.dev === name),
  ].map(describeRoute);
  const parts = [
    ...dev.addresses.map((a) => `address ${a.ip}/${a.prefixLen}`),
    `${managedFdb(facts).length} fdb`,
    `${managedNeighbours(facts).length} neighbour entries`,
    routes.length > 0 ? `routes: ${routes.join(", ")}` : "no routes",
  ];
  return `takes with it ${parts.join(", ")}`;
}

/** A device an earlier meshctl made (no mark, same name/VNI/port/local) gets meshctl's mark. */
export function adoptChange(name: string): Change {
  return {
    resource: "device",
    key: name,
    action: "update",
    before: "no meshctl mark (made by an earlier meshctl: name, VNI, port and local match)",
    after: `alias ${DEVICE_MARK}`,
    phase: "device",
    forward: [cmd.linkSetAlias(name, DEVICE_MARK)],
    inverse: [cmd.linkSetAlias(name, "")],
  };
}

export function createDevice(desired: NodeModel, want: VxlanParams): Cmd[] {
  const d = desired.device;
  return [
    cmd.linkAdd(want),
    cmd.linkSetAlias(d.name, DEVICE_MARK),
    cmd.addrAdd(d.name, d.address, d.prefixLen),
    cmd.linkSetUp(d.name, true),
  ];
}

/**
 * The kernel's connected route of the overlay address, when flushed by hand (`ip route flush dev`). Not
 * when the device is down (bringing it up restores it) or lacks the address (adding it does).
 */
export function diffConnected(desired: NodeModel, facts: NodeFacts, dev: FactsDevice): Change[] {
  const d = desired.device;
  const net = overlayNet(d);
  const hasAddr = dev.addresses.some((a) => a.ip === d.address && a.prefixLen === d.prefixLen);
  if (!dev.up || !hasAddr || hasConnectedRoute(facts, net, d.name)) return [];
  return [
    {
      resource: "route",
      key: `${net} (connected)`,
      action: "create",
      after: `dev ${d.name} proto kernel scope link src ${d.address}`,
      phase: "device",
      forward: [cmd.connectedAdd(d.name, net, d.address)],
      inverse: [cmd.connectedDel(d.name, net)],
    },
  ];
}

export function diffDeviceAttributes(desired: NodeModel, want: VxlanParams, dev: FactsDevice): Change[] {
  const d = desired.device;
  const out: Change[] = [];
  const base = { phase: "device" as const, key: d.name };
  if (dev.mac !== want.mac) {
    out.push({
      ...base,
      resource: "mac",
      action: "update",
      before: dev.mac,
      after: want.mac,
      forward: [cmd.linkSetMac(d.name, want.mac)],
      inverse: [cmd.linkSetMac(d.name, dev.mac)],
    });
  }
  if (want.mtu !== undefined && dev.mtu !== want.mtu) {
    out.push({
      ...base,
      resource: "mtu",
      action: "update",
      before: String(dev.mtu),
      after: String(want.mtu),
      forward: [cmd.linkSetMtu(d.name, want.mtu)],
      inverse: [cmd.linkSetMtu(d.name, dev.mtu)],
    });
  }
  const hasAddr = dev.addresses.some((a) => a.ip === d.address && a.prefixLen === d.prefixLen);
  for (const a of dev.addresses) {
    if (a.ip === d.address && a.prefixLen === d.prefixLen) continue;
    out.push({
      ...base,
      resource: "address",
      key: `${a.ip}/${a.prefixLen}`,
      action: "delete",
      before: `${a.ip}/${a.prefixLen}`,
      destructive: true,
      forward: [cmd.addrDel(d.name, a.ip, a.prefixLen)],
      inverse: [cmd.addrAdd(d.name, a.ip, a.prefixLen)],
    });
  }
  if (!hasAddr) {
    out.push({
      ...base,
      resource: "address",
      key: `${d.address}/${d.prefixLen}`,
      action: "create",
      after: `${d.address}/${d.prefixLen}`,
      forward: [cmd.addrAdd(d.name, d.address, d.prefixLen)],
      inverse: [cmd.addrDel(d.name, d.address, d.prefixLen)],
    });
  }
  if (!dev.up) {
    out.push({
      ...base,
      resource: "link-state",
      action: "update",
      before: "down",
      after: "up",
      forward: [cmd.linkSetUp(d.name, true)],
      inverse: [cmd.linkSetUp(d.name, false)],
    });
  }
  return out;
}
