/**
 * The entries part of one node's diff: FDB, permanent neighbours and routes on meshctl's device, each
 * change with its inverse. Pure.
 */
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import type { Cidr, Ipv4, Mac } from "../net/addr.js";
import type { Change } from "./change.js";
import { cmd } from "./commands.js";
import { PlanConflict } from "./conflict.js";
import { routeOf } from "./device-diff.js";
import { describeRoute, managedFdb, managedNeighbours, routeAsWanted } from "./ownership.js";

export function diffFdb(desired: NodeModel, facts: NodeFacts): Change[] {
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
export function diffNeighbours(desired: NodeModel, facts: NodeFacts, phase: "prune" | "program"): Change[] {
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

export function diffRoutes(desired: NodeModel, facts: NodeFacts, phase: "prune" | "program"): Change[] {
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
