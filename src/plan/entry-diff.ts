/**
 * The entries part of one node's diff: FDB and permanent neighbours on meshctl's device, each change with
 * its inverse (routes: route-diff.ts). Pure.
 */
import type { NodeFacts } from "../facts/types.js";
import type { FdbSpec, NeighbourSpec, NodeModel } from "../model/types.js";
import type { IfName, Ipv4, Mac } from "../net/addr.js";
import type { Change } from "./change.js";
import { cmd } from "./commands.js";
import { managedFdb, managedNeighbours } from "./ownership.js";
import { sharedChange } from "./shared.js";

export function diffFdb(desired: NodeModel, facts: NodeFacts): Change[] {
  const dev = desired.device.name;
  const out: Change[] = [];
  const have = managedFdb(facts);
  // Only what the node has is looked up in it (nothing on a fresh node: no map of every peer then).
  const wanted = new Map(have.length === 0 ? [] : desired.fdb.map((f) => [f.mac as string, f]));
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
  const scope = `fdb ${dev}`;
  const create = (f: FdbSpec) => createFdb(dev, f);
  for (const w of desired.fdb) {
    if (haveByMac.get(w.mac)?.some((h) => h.dst === w.dst)) continue;
    const old = updatable(w.mac) ? haveByMac.get(w.mac)?.[0] : undefined;
    if (old === undefined) {
      out.push(sharedChange(w, scope, create));
      continue;
    }
    out.push({
      resource: "fdb",
      key: `${w.mac} (${w.peer})`,
      action: "update",
      before: `dst ${old.dst}`,
      after: `dst ${w.dst}`,
      phase: "fdb",
      forward: [cmd.fdbReplace(dev, w.mac, w.dst)],
      inverse: [cmd.fdbReplace(dev, old.mac, old.dst)],
    });
  }
  return out;
}

/** A wanted FDB entry the node lacks (shared by every node that lacks it: src/plan/shared.ts). */
function createFdb(dev: IfName, w: FdbSpec): Change {
  return {
    resource: "fdb",
    key: `${w.mac} (${w.peer})`,
    action: "create",
    after: `dst ${w.dst}`,
    phase: "fdb",
    forward: [cmd.fdbReplace(dev, w.mac, w.dst)],
    inverse: [cmd.fdbDel(dev, w.mac, w.dst)],
  };
}

/** A wanted neighbour the node has no entry for at all (shared like createFdb). */
function createNeighbour(dev: IfName, w: NeighbourSpec): Change {
  return {
    resource: "neighbour",
    key: `${w.ip} (${w.peer})`,
    action: "create",
    after: `lladdr ${w.mac} permanent`,
    phase: "program",
    forward: [cmd.neighReplace(dev, w.ip, w.mac)],
    inverse: [cmd.neighDel(dev, w.ip)],
  };
}

/** prune: delete permanent entries meshctl no longer wants; program: add or fix wanted ones. */
export function diffNeighbours(desired: NodeModel, facts: NodeFacts, phase: "prune" | "program"): Change[] {
  const dev = desired.device.name;
  const out: Change[] = [];
  if (phase === "prune") {
    const have = managedNeighbours(facts);
    const wanted = new Map(have.length === 0 ? [] : desired.neighbours.map((n) => [n.ip as string, n]));
    for (const h of have) {
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
  const scope = `neighbour ${dev}`;
  const create = (n: NeighbourSpec) => createNeighbour(dev, n);
  for (const w of desired.neighbours) {
    const h = haveByIp.get(w.ip);
    if (h === undefined) {
      out.push(sharedChange(w, scope, create));
      continue;
    }
    const permanent = h.state.includes("PERMANENT");
    if (permanent && h.mac === w.mac) continue;
    const restorable = permanent && h.mac !== undefined;
    out.push({
      resource: "neighbour",
      key: `${w.ip} (${w.peer})`,
      action: "update",
      before: `lladdr ${h.mac ?? "none"} ${h.state.join(",")}`,
      after: `lladdr ${w.mac} permanent`,
      phase,
      forward: [cmd.neighReplace(dev, w.ip, w.mac)],
      inverse: restorable ? [cmd.neighReplace(dev, w.ip, h.mac as Mac)] : [cmd.neighDel(dev, w.ip)],
    });
  }
  return out;
}
