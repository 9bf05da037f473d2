/**
 * The node diff at scale (#15): the changes that create an entry a node lacks are made once per mesh and
 * shared (src/plan/shared.ts). Checked against a plain reference kept here — every change of a fresh
 * node written out from the model's entries, as the commands' syntax says — on generated mid-size meshes,
 * and for nodes that lack only some entries, other device names and route protocols.
 */
import { describe, expect, it } from "vitest";
import { bigInventoryYaml } from "../../src/bench/big-inventory.js";
import type { NodeFacts } from "../../src/facts/types.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import { buildModel } from "../../src/model/build.js";
import type { MeshModel, NodeModel } from "../../src/model/types.js";
import type { IfName } from "../../src/net/addr.js";
import type { Change } from "../../src/plan/change.js";
import { diffNode } from "../../src/plan/node-diff.js";
import { changeToJson, commandsOf, describeChange } from "../../src/plan/render.js";
import { emptyFacts } from "../../src/plan/scratch.js";
import { bareFacts, convergedFacts } from "../support/builders.js";

const big = (clusters: number, nodes: number, mode?: string): MeshModel => {
  const yaml = bigInventoryYaml(clusters, nodes);
  // `mode: auto` on every cluster: peers on the node's /24 go direct (bareFacts), the others through the tunnel.
  const text = mode ? yaml.replace(/^( {4}service_cidr: .*)$/gm, `$1\n    mode: ${mode}`) : yaml;
  return buildModel(loadInventoryText(text, "big.yaml"));
};

/** Everything a change says, as `diff -o json` and the engine see it. */
const view = (c: Change) => ({ ...changeToJson(c), phase: c.phase, stage: c.stage, line: describeChange(c) });

/** The reference: a node's entry changes when it has none of them, written out by hand. */
function reference(n: NodeModel, underlay: string | undefined, direct: (ip: string) => boolean) {
  const dev = n.device.name;
  const proto = n.routeProtocol;
  const tunnelRoutes = n.routes.filter((r) => !(r.pair !== "vxlan" && direct(r.underlay)));
  const tunnelPeers = new Set([
    ...n.fdb.filter((f) => f.pair === "vxlan").map((f) => f.peer),
    ...tunnelRoutes.map((r) => r.peer),
  ]);
  const create = (resource: string, key: string, after: string, phase: string, fwd: string, inv: string) => ({
    resource,
    key,
    action: "create",
    after,
    destructive: false,
    commands: [fwd],
    undo: [inv],
    phase,
    stage: undefined,
    line: `+ ${resource} ${key}: ${after}`,
  });
  const fdb = n.fdb
    .filter((f) => tunnelPeers.has(f.peer))
    .map((f) =>
      create(
        "fdb",
        `${f.mac} (${f.peer})`,
        `dst ${f.dst}`,
        "fdb",
        `bridge fdb replace ${f.mac} dev ${dev} dst ${f.dst} self permanent`,
        `bridge fdb del ${f.mac} dev ${dev} dst ${f.dst} self`,
      ),
    );
  const neighbours = n.neighbours
    .filter((x) => tunnelPeers.has(x.peer))
    .map((x) =>
      create(
        "neighbour",
        `${x.ip} (${x.peer})`,
        `lladdr ${x.mac} permanent`,
        "program",
        `ip neigh replace ${x.ip} lladdr ${x.mac} dev ${dev} nud permanent`,
        `ip neigh del ${x.ip} dev ${dev}`,
      ),
    );
  const routes = n.routes.map((r) => {
    const args =
      r.pair !== "vxlan" && direct(r.underlay)
        ? `${r.dst} via ${r.underlay} dev ${underlay} proto ${proto} metric 7077`
        : `${r.dst} via ${r.via} dev ${dev} proto ${proto} onlink`;
    const after =
      r.pair !== "vxlan" && direct(r.underlay)
        ? `via ${r.underlay} dev ${underlay} metric 7077 (direct)`
        : `via ${r.via} dev ${dev} onlink`;
    return create(
      "route",
      `${r.dst} (${r.peer})`,
      after,
      "program",
      `ip route add ${args}`,
      `ip route del ${args}`,
    );
  });
  return { fdb, neighbours, routes };
}

const sameSlash24 = (n: NodeModel) => (ip: string) =>
  ip.split(".").slice(0, 3).join(".") === n.device.localIp.split(".").slice(0, 3).join(".");

describe("fresh diff of a mid-size mesh", () => {
  it("every node's entry changes equal the reference (4 × 20, vxlan; empty facts)", () => {
    const m = big(4, 20);
    for (const n of m.nodes) {
      const changes = diffNode(n, emptyFacts(n)).changes;
      const r = reference(n, undefined, () => false);
      expect(changes[0]?.resource).toBe("device");
      expect(changes.slice(1).map(view)).toEqual([...r.fdb, ...r.neighbours, ...r.routes]);
      expect(commandsOf(changes).slice(4)).toEqual(
        [...r.fdb, ...r.neighbours, ...r.routes].map((c) => c.commands[0]),
      );
    }
  });

  it("every node's entry changes equal the reference (3 × 90, auto: direct on the node's /24)", () => {
    const m = big(3, 90, "auto");
    let direct = 0;
    let tunnel = 0;
    // Every 9th node: both sides of the /24 boundary (hosts 198.18.0.10 to 198.18.1.25), in 30 nodes.
    for (const n of m.nodes.filter((_, i) => i % 9 === 0)) {
      const changes = diffNode(n, bareFacts(n)).changes;
      const r = reference(n, "eth0", sameSlash24(n));
      direct += r.routes.filter((c) => c.line.endsWith("(direct)")).length;
      tunnel += r.routes.filter((c) => c.line.endsWith("onlink")).length;
      const entries = changes.filter((c) => c.resource !== "device");
      expect(entries.map(view)).toEqual([...r.fdb, ...r.neighbours, ...r.routes]);
    }
    // Both kinds of route are there (the test would say nothing about either otherwise).
    expect(direct).toBeGreaterThan(100);
    expect(tunnel).toBeGreaterThan(100);
  });
});

describe("a node that lacks only some entries", () => {
  it("gets exactly the fresh node's changes for those entries", () => {
    const m = big(2, 40);
    for (const n of m.nodes.slice(0, 10)) {
      const all = convergedFacts(n);
      const keep = <T>(xs: T[]) => xs.filter((_, i) => i % 3 !== 0);
      const facts: NodeFacts = {
        ...all,
        fdb: keep(all.fdb),
        neighbours: keep(all.neighbours),
        routes: keep(all.routes),
      };
      const fresh = diffNode(n, emptyFacts(n)).changes.map(view);
      const missing = new Set([
        ...n.fdb.filter((_, i) => i % 3 === 0).map((f) => `${f.mac} (${f.peer})`),
        ...n.neighbours.filter((_, i) => i % 3 === 0).map((x) => `${x.ip} (${x.peer})`),
        ...n.routes.filter((_, i) => i % 3 === 0).map((r) => `${r.dst} (${r.peer})`),
      ]);
      const got = diffNode(n, facts).changes.map(view);
      expect(got).toEqual(fresh.filter((c) => missing.has(c.key)));
      expect(got.length).toBe(missing.size);
    }
  });

  it("a wrong entry is updated, with its own inverse (not the shared create)", () => {
    const m = big(2, 5);
    const n = m.nodes[0] as NodeModel;
    const all = convergedFacts(n);
    const [f0, ...fRest] = all.fdb;
    const [x0, ...xRest] = all.neighbours;
    const facts: NodeFacts = {
      ...all,
      fdb: [{ ...(f0 as NodeFacts["fdb"][number]), dst: "198.18.0.9" as never }, ...fRest],
      neighbours: [{ ...(x0 as NodeFacts["neighbours"][number]), state: ["STALE"] }, ...xRest],
    };
    const got = diffNode(n, facts).changes.map(view);
    expect(got.map((c) => [c.resource, c.action, c.undo])).toEqual([
      ["fdb", "update", [`bridge fdb replace ${f0?.mac} dev vxlan-big dst 198.18.0.9 self permanent`]],
      ["neighbour", "update", [`ip neigh del ${x0?.ip} dev vxlan-big`]],
    ]);
  });
});

describe("shared changes", () => {
  it("name the node's own device and route protocol", () => {
    const m = big(2, 4);
    const n = m.nodes[0] as NodeModel;
    const otherDev: NodeModel = { ...n, device: { ...n.device, name: "other0" as IfName } };
    const otherProto: NodeModel = { ...n, routeProtocol: 99 };
    const lines = (x: NodeModel) => commandsOf(diffNode(x, emptyFacts(x)).changes);
    const first = lines(n);
    const byDev = lines(otherDev);
    const byProto = lines(otherProto);
    expect(first.filter((l) => l.includes("other0"))).toEqual([]);
    expect(byDev.filter((l) => l.includes("vxlan-big"))).toEqual([]);
    const routes = (ls: string[]) => ls.filter((l) => l.startsWith("ip route add"));
    expect(routes(first).length).toBeGreaterThan(0);
    expect(n.routeProtocol).not.toBe(99);
    expect(routes(byProto).every((l) => l.includes(" proto 99 "))).toBe(true);
    expect(routes(byProto).map((l) => l.replace(" proto 99 ", ` proto ${n.routeProtocol} `))).toEqual(
      routes(first),
    );
    expect(lines(n)).toEqual(first);
  });

  it("are read-only: a caller cannot change what other nodes are given", () => {
    const m = big(2, 4);
    const [a, b] = m.nodes as [NodeModel, NodeModel];
    const fdbOf = (n: NodeModel) => diffNode(n, emptyFacts(n)).changes.filter((c) => c.resource === "fdb");
    const shared = fdbOf(a).find((c) => c.key.includes(`(${m.nodes[2]?.name})`)) as Change;
    expect(() => {
      (shared as { after?: string }).after = "x";
    }).toThrow(TypeError);
    expect(() => (shared.forward as unknown[]).push("x")).toThrow(TypeError);
    const cmd = shared.forward[0] as { args: string[] };
    expect(() => cmd.args.push("x")).toThrow(TypeError);
    // ip commands too (neighbours, routes), not only bridge's.
    const route = diffNode(a, emptyFacts(a)).changes.find((c) => c.resource === "route") as Change;
    expect(route.forward[0]?.tool).toBe("ip");
    expect(() => (route.forward[0] as { args: string[] }).args.push("x")).toThrow(TypeError);
    const onB = fdbOf(b).find((c) => c.key === shared.key);
    expect(onB && view(onB)).toEqual(view(shared));
    expect(onB?.after).not.toBe("x");
  });
});
