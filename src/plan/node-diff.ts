/**
 * desired NodeModel × observed NodeFacts → the ordered changes for one node. Pure.
 * What is meshctl's is decided by src/plan/ownership.ts: its marked device (and every address, neighbour
 * and FDB entry on it) and the routes with its protocol id on that device. Anything else is never
 * changed; a foreign object in the way, or one that only looks like meshctl's, is an error before any change.
 */
import { ConflictError } from "../core/errors.js";
import type { NodeFacts, RouteFact } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { type Cidr, cidr, type IfName, type Ipv4, intToIp, ipToInt, type Mac } from "../net/addr.js";
import type { Change } from "./change.js";
import { type Cmd, cmd, type VxlanParams } from "./commands.js";
import {
  DEVICE_MARK,
  describeRoute,
  deviceDrift,
  deviceOwnership,
  foreignRouteReason,
  hasConnectedRoute,
  managedFdb,
  managedNeighbours,
  ownsDevice,
  routeAsWanted,
  splitRoutes,
  wantedMtu,
} from "./ownership.js";

/** Something on the node that meshctl did not make is in the way; the message names the node. */
export class PlanConflict extends ConflictError {
  constructor(node: string, detail: string) {
    super(`${node}: ${detail}`);
  }
}

export interface NodeDiff {
  changes: Change[];
  /** The device MTU the plan uses (undefined: left to the kernel, i.e. underlay MTU − 50). */
  mtu?: number;
}

type FactsDevice = NonNullable<NodeFacts["device"]>;

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

function routeOf(r: RouteFact, proto: number) {
  return {
    dst: r.dst,
    ...(r.via === undefined ? {} : { via: r.via }),
    ...(r.dev === undefined ? {} : { dev: r.dev }),
    proto,
    table: r.table,
    ...(r.flags.includes("onlink") ? { onlink: true } : {}),
  };
}

/** Refuses the node when its device or a route with meshctl's protocol id is not provably meshctl's. */
function ownershipOrRefuse(
  desired: Pick<NodeModel, "name" | "device">,
  want: Pick<VxlanParams, "name" | "vni" | "port" | "localIp">,
  facts: NodeFacts,
) {
  const device = deviceOwnership(want, facts);
  const owned = ownsDevice(device);
  const routes = splitRoutes(facts, desired.device.name, owned);
  const problems = [
    ...(device.state === "foreign" ? [device.why] : []),
    ...routes.foreign.map((r) => foreignRouteReason(r, desired.device.name)),
  ];
  if (problems.length > 0) throw new PlanConflict(desired.name, problems.join("; "));
  return { device, ours: routes.ours };
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

export function diffNode(desired: NodeModel, facts: NodeFacts): NodeDiff {
  const changes: Change[] = [];
  const want = resolveDeviceParams(desired, facts);
  const name = desired.device.name;
  const proto = desired.routeProtocol;
  const owned = ownershipOrRefuse(desired, want, facts);
  let dev = owned.device.state === "absent" ? undefined : facts.device;
  let observed: NodeFacts = { ...facts, routes: owned.ours };

  if (dev) {
    const drift = deviceDrift(want, dev);
    if (drift.length > 0) {
      changes.push({
        resource: "device",
        key: name,
        action: "recreate",
        before: `vxlan id ${dev.vni} port ${dev.port} local ${dev.localIp} dev ${dev.underlayDev ?? "-"}; ${takenWithDevice(facts, name)}`,
        after: drift.join(", "),
        destructive: true,
        phase: "device",
        forward: [cmd.linkDel(name), ...createDevice(desired, want)],
        inverse: [cmd.linkDel(name), ...restoreDeviceCommands(observed, proto)],
      });
      // Everything on the old device goes with it; routes through it too.
      observed = { ...facts, device: undefined, neighbours: [], fdb: [], routes: [], connected: [] };
      dev = undefined;
    } else if (owned.device.state === "adopt") {
      changes.push(adoptChange(name));
    }
  } else {
    changes.push({
      resource: "device",
      key: name,
      action: "create",
      after: `vxlan id ${want.vni} dstport ${want.port} local ${want.localIp} dev ${want.underlayDev ?? "(kernel's choice)"} mtu ${want.mtu ?? "auto"}`,
      phase: "device",
      forward: createDevice(desired, want),
      inverse: [cmd.linkDel(name)],
    });
  }
  if (dev)
    changes.push(...diffDeviceAttributes(desired, want, dev), ...diffConnected(desired, observed, dev));
  changes.push(...diffRoutes(desired, observed, "prune"));
  changes.push(...diffNeighbours(desired, observed, "prune"));
  changes.push(...diffFdb(desired, observed));
  changes.push(...diffNeighbours(desired, observed, "program"));
  changes.push(...diffRoutes(desired, observed, "program"));
  return { changes, ...(want.mtu === undefined ? {} : { mtu: want.mtu }) };
}

/** A device an earlier meshctl made (no mark, same name/VNI/port/local) gets meshctl's mark. */
function adoptChange(name: string): Change {
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

function createDevice(desired: NodeModel, want: VxlanParams): Cmd[] {
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
function diffConnected(desired: NodeModel, facts: NodeFacts, dev: FactsDevice): Change[] {
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

function diffDeviceAttributes(desired: NodeModel, want: VxlanParams, dev: FactsDevice): Change[] {
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

function diffFdb(desired: NodeModel, facts: NodeFacts): Change[] {
  const dev = desired.device.name;
  const out: Change[] = [];
  const have = managedFdb(facts);
  const wanted = new Map(desired.fdb.map((f) => [f.mac as string, f]));
  const haveByMac = new Map<string, { mac: Mac; dst: Ipv4 }[]>();
  for (const h of have) haveByMac.set(h.mac, [...(haveByMac.get(h.mac) ?? []), h]);
  // A single entry with the wrong dst is updated in place (replace); anything else unwanted is deleted.
  const updatable = (mac: string): boolean => {
    const entries = haveByMac.get(mac) ?? [];
    return wanted.has(mac) && entries.length === 1 && entries[0]?.dst !== wanted.get(mac)?.dst;
  };
  for (const h of have) {
    if (wanted.get(h.mac)?.dst === h.dst || updatable(h.mac)) continue;
    out.push({
      resource: "fdb",
      key: `${h.mac} dst ${h.dst}`,
      action: "delete",
      before: `${h.mac} dst ${h.dst}`,
      phase: "fdb",
      forward: [cmd.fdbDel(dev, h.mac, h.dst)],
      inverse: [cmd.fdbReplace(dev, h.mac, h.dst)],
    });
  }
  for (const w of desired.fdb) {
    if (haveByMac.get(w.mac)?.some((h) => h.dst === w.dst)) continue;
    const old = updatable(w.mac) ? haveByMac.get(w.mac)?.[0] : undefined;
    out.push({
      resource: "fdb",
      key: `${w.mac} (${w.peer})`,
      action: old ? "update" : "create",
      ...(old ? { before: `dst ${old.dst}` } : {}),
      after: `dst ${w.dst}`,
      phase: "fdb",
      forward: [cmd.fdbReplace(dev, w.mac, w.dst)],
      inverse: old ? [cmd.fdbReplace(dev, old.mac, old.dst)] : [cmd.fdbDel(dev, w.mac, w.dst)],
    });
  }
  return out;
}

/** prune: delete permanent entries meshctl no longer wants; program: add or fix wanted ones. */
function diffNeighbours(desired: NodeModel, facts: NodeFacts, phase: "prune" | "program"): Change[] {
  const dev = desired.device.name;
  const wanted = new Map(desired.neighbours.map((n) => [n.ip as string, n]));
  const out: Change[] = [];
  if (phase === "prune") {
    for (const h of managedNeighbours(facts)) {
      if (wanted.has(h.ip)) continue;
      out.push({
        resource: "neighbour",
        key: h.ip,
        action: "delete",
        before: `${h.ip} lladdr ${h.mac}`,
        phase,
        forward: [cmd.neighDel(dev, h.ip)],
        inverse: [cmd.neighReplace(dev, h.ip, h.mac)],
      });
    }
    return out;
  }
  const haveByIp = new Map<string, NodeFacts["neighbours"][number]>();
  for (const n of facts.neighbours) if (!haveByIp.has(n.ip)) haveByIp.set(n.ip, n);
  for (const w of desired.neighbours) {
    const h = haveByIp.get(w.ip);
    const permanent = h?.state.includes("PERMANENT") ?? false;
    if (h && permanent && h.mac === w.mac) continue;
    const restorable = h && permanent && h.mac !== undefined;
    out.push({
      resource: "neighbour",
      key: `${w.ip} (${w.peer})`,
      action: h ? "update" : "create",
      ...(h ? { before: `lladdr ${h.mac ?? "none"} ${h.state.join(",")}` } : {}),
      after: `lladdr ${w.mac} permanent`,
      phase,
      forward: [cmd.neighReplace(dev, w.ip, w.mac)],
      inverse: restorable ? [cmd.neighReplace(dev, w.ip, h.mac as Mac)] : [cmd.neighDel(dev, w.ip)],
    });
  }
  return out;
}

function diffRoutes(desired: NodeModel, facts: NodeFacts, phase: "prune" | "program"): Change[] {
  const dev = desired.device.name;
  const proto = desired.routeProtocol;
  const mainRoutes = facts.routes.filter((r) => r.table === "main");
  const wanted = new Map(desired.routes.map((r) => [r.dst as string, r]));
  const out: Change[] = [];
  if (phase === "prune") {
    for (const h of facts.routes) {
      if (h.table === "main" && wanted.has(h.dst)) continue;
      out.push({
        resource: "route",
        key: h.dst,
        action: "delete",
        before: describeRoute(h),
        phase,
        forward: [cmd.routeDel(routeOf(h, proto))],
        inverse: [cmd.routeAdd(routeOf(h, proto))],
      });
    }
    return out;
  }
  const foreignByDst = firstBy(
    facts.foreignRoutes.filter((r) => r.table === "main"),
    (r) => r.dst,
  );
  const mainByDst = firstBy(mainRoutes, (r) => r.dst);
  for (const w of desired.routes) {
    const foreign = foreignByDst.get(w.dst);
    if (foreign) {
      throw new PlanConflict(
        desired.name,
        `a route to ${w.dst} that meshctl did not make is in the way (${describeRoute(foreign)}): remove it, or take ${w.dst} out of the inventory`,
      );
    }
    const h = mainByDst.get(w.dst);
    if (h && routeAsWanted(w, h, dev)) continue;
    // onlink: the peer is reached on the device whatever its addresses and connected route.
    const next = { dst: w.dst as Cidr, via: w.via, dev, proto, onlink: true };
    out.push({
      resource: "route",
      key: `${w.dst} (${w.peer})`,
      action: h ? "update" : "create",
      ...(h ? { before: describeRoute(h) } : {}),
      after: `via ${w.via} dev ${dev} onlink`,
      phase,
      // A new route is added, never replaced: `add` fails instead of overwriting a foreign route.
      forward: [h ? cmd.routeReplace(next) : cmd.routeAdd(next)],
      inverse: [h ? cmd.routeReplace(routeOf(h, proto)) : cmd.routeDel(next)],
    });
  }
  return out;
}

/** The first item per key, as `find` would return it (a map, so N lookups cost N, not N²). */
function firstBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const t of items) if (!m.has(key(t))) m.set(key(t), t);
  return m;
}

/** Teardown: remove meshctl's device, and with it everything on it (its routes included). */
export function diffTeardown(
  desired: Pick<NodeModel, "name" | "device" | "routeProtocol">,
  facts: NodeFacts,
): Change[] {
  const proto = desired.routeProtocol;
  const name = desired.device.name;
  const owned = ownershipOrRefuse(desired, desired.device, facts);
  const dev = facts.device;
  if (!dev || owned.device.state === "absent") return [];
  return [
    {
      resource: "device",
      key: name,
      action: "delete",
      before: `vxlan id ${dev.vni}; ${takenWithDevice(facts, name)}`,
      destructive: true,
      phase: "device",
      forward: [cmd.linkDel(name)],
      inverse: restoreDeviceCommands({ ...facts, routes: owned.ours }, proto),
    },
  ];
}
