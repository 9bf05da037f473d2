/**
 * FDB and neighbour changes, record by record: what is created, updated in place (with the old value as
 * its inverse) or deleted, and what each change says before and after.
 */
import { describe, expect, it } from "vitest";
import type { NodeFacts } from "../../src/facts/types.js";
import { type Cmd, renderCmd } from "../../src/plan/commands.js";
import { diffFdb, diffNeighbours } from "../../src/plan/entry-diff.js";
import { diffRoutes } from "../../src/plan/route-diff.js";
import { convergedFacts, model, nodeOf } from "../support/builders.js";

const A1 = nodeOf(model(), "a1"); // peers a2 .12, b1 .13, b2 .14 (overlay 198.18.1.x, underlay 198.18.0.x)
const CONVERGED = convergedFacts(A1);
const MAC = { a2: "02:6d:c6:12:01:0c", b1: "02:6d:c6:12:01:0d", b2: "02:6d:c6:12:01:0e" };
const FOREIGN_MAC = "02:00:00:00:00:99";
const IP = (...args: string[]) => ({ tool: "ip", args });
const BRIDGE = (...args: string[]) => ({ tool: "bridge", args });
const fdbEntry = (mac: string, dst: string) => ({
  mac,
  dst: dst as NonNullable<NodeFacts["fdb"][number]["dst"]>,
  flags: ["self"],
  state: "permanent",
  kind: "unicast" as const,
});
const neighbour = (ip: string, mac: string | undefined, state: string[]) => ({
  ip: ip as NodeFacts["neighbours"][number]["ip"],
  ...(mac === undefined ? {} : { mac }),
  state,
  flags: [],
});

describe("FDB", () => {
  it("converged: nothing", () => {
    expect(diffFdb(A1, CONVERGED)).toEqual([]);
  });

  it("a peer's entry with the wrong dst is updated in place; a missing one created; a stale one deleted", () => {
    const facts: NodeFacts = {
      ...CONVERGED,
      fdb: [
        fdbEntry(MAC.a2, "198.18.0.99"),
        fdbEntry(FOREIGN_MAC, "198.18.0.50"),
        fdbEntry(MAC.b2, "198.18.0.14"),
      ],
    };
    expect(diffFdb(A1, facts)).toEqual([
      {
        resource: "fdb",
        key: `${FOREIGN_MAC} dst 198.18.0.50`,
        action: "delete",
        before: `${FOREIGN_MAC} dst 198.18.0.50`,
        phase: "fdb",
        forward: [BRIDGE("fdb", "del", FOREIGN_MAC, "dev", "mshvx0", "dst", "198.18.0.50", "self")],
        inverse: [
          BRIDGE("fdb", "replace", FOREIGN_MAC, "dev", "mshvx0", "dst", "198.18.0.50", "self", "permanent"),
        ],
      },
      {
        resource: "fdb",
        key: `${MAC.a2} (a2)`,
        action: "update",
        before: "dst 198.18.0.99",
        after: "dst 198.18.0.12",
        phase: "fdb",
        forward: [
          BRIDGE("fdb", "replace", MAC.a2, "dev", "mshvx0", "dst", "198.18.0.12", "self", "permanent"),
        ],
        inverse: [
          BRIDGE("fdb", "replace", MAC.a2, "dev", "mshvx0", "dst", "198.18.0.99", "self", "permanent"),
        ],
      },
      {
        resource: "fdb",
        key: `${MAC.b1} (b1)`,
        action: "create",
        after: "dst 198.18.0.13",
        phase: "fdb",
        forward: [
          BRIDGE("fdb", "replace", MAC.b1, "dev", "mshvx0", "dst", "198.18.0.13", "self", "permanent"),
        ],
        inverse: [BRIDGE("fdb", "del", MAC.b1, "dev", "mshvx0", "dst", "198.18.0.13", "self")],
      },
    ]);
  });

  it("a peer's MAC with two entries, one right: the wrong one deleted, nothing updated", () => {
    const facts = { ...CONVERGED, fdb: [...CONVERGED.fdb, fdbEntry(MAC.a2, "198.18.0.99")] };
    expect(diffFdb(A1, facts).map((c) => `${c.action} ${c.key}`)).toEqual([
      `delete ${MAC.a2} dst 198.18.0.99`,
    ]);
  });

  it("a peer's MAC with two wrong entries: both deleted, the right one created (no in-place update)", () => {
    const others = CONVERGED.fdb.filter((f) => f.mac !== MAC.a2);
    const facts = {
      ...CONVERGED,
      fdb: [...others, fdbEntry(MAC.a2, "198.18.0.98"), fdbEntry(MAC.a2, "198.18.0.99")],
    };
    expect(diffFdb(A1, facts).map((c) => `${c.action} ${c.key}`)).toEqual([
      `delete ${MAC.a2} dst 198.18.0.98`,
      `delete ${MAC.a2} dst 198.18.0.99`,
      `create ${MAC.a2} (a2)`,
    ]);
  });
});

describe("neighbours", () => {
  it("prune: a permanent neighbour no longer wanted is deleted, its inverse puts it back", () => {
    const facts = {
      ...CONVERGED,
      neighbours: [...CONVERGED.neighbours, neighbour("198.18.1.50", FOREIGN_MAC, ["PERMANENT"])],
    };
    expect(diffNeighbours(A1, facts, "prune")).toEqual([
      {
        resource: "neighbour",
        key: "198.18.1.50",
        action: "delete",
        before: `198.18.1.50 lladdr ${FOREIGN_MAC}`,
        phase: "prune",
        forward: [IP("neigh", "del", "198.18.1.50", "dev", "mshvx0")],
        inverse: [
          IP("neigh", "replace", "198.18.1.50", "lladdr", FOREIGN_MAC, "dev", "mshvx0", "nud", "permanent"),
        ],
      },
    ]);
    expect(diffNeighbours(A1, facts, "program")).toEqual([]);
  });

  it("program: a wrong MAC updated (back to it on undo), a learned or failed entry made permanent (deleted on undo)", () => {
    const facts = {
      ...CONVERGED,
      neighbours: [
        neighbour("198.18.1.12", FOREIGN_MAC, ["NOARP", "PERMANENT"]), // every state bit, as `ip -j neigh` lists them
        neighbour("198.18.1.13", MAC.b1, ["REACHABLE"]),
        neighbour("198.18.1.14", undefined, ["FAILED"]),
        neighbour("198.18.1.14", MAC.b2, ["PERMANENT"]), // only the first line for an address counts
      ],
    };
    expect(diffNeighbours(A1, facts, "program")).toEqual([
      {
        resource: "neighbour",
        key: "198.18.1.12 (a2)",
        action: "update",
        before: `lladdr ${FOREIGN_MAC} NOARP,PERMANENT`,
        after: `lladdr ${MAC.a2} permanent`,
        phase: "program",
        forward: [
          IP("neigh", "replace", "198.18.1.12", "lladdr", MAC.a2, "dev", "mshvx0", "nud", "permanent"),
        ],
        inverse: [
          IP("neigh", "replace", "198.18.1.12", "lladdr", FOREIGN_MAC, "dev", "mshvx0", "nud", "permanent"),
        ],
      },
      {
        resource: "neighbour",
        key: "198.18.1.13 (b1)",
        action: "update",
        before: `lladdr ${MAC.b1} REACHABLE`,
        after: `lladdr ${MAC.b1} permanent`,
        phase: "program",
        forward: [
          IP("neigh", "replace", "198.18.1.13", "lladdr", MAC.b1, "dev", "mshvx0", "nud", "permanent"),
        ],
        inverse: [IP("neigh", "del", "198.18.1.13", "dev", "mshvx0")],
      },
      {
        resource: "neighbour",
        key: "198.18.1.14 (b2)",
        action: "update",
        before: "lladdr none FAILED",
        after: `lladdr ${MAC.b2} permanent`,
        phase: "program",
        forward: [
          IP("neigh", "replace", "198.18.1.14", "lladdr", MAC.b2, "dev", "mshvx0", "nud", "permanent"),
        ],
        inverse: [IP("neigh", "del", "198.18.1.14", "dev", "mshvx0")],
      },
    ]);
  });

  it("program: a missing one created", () => {
    const facts = { ...CONVERGED, neighbours: CONVERGED.neighbours.filter((n) => n.ip !== "198.18.1.13") };
    expect(diffNeighbours(A1, facts, "program")).toEqual([
      {
        resource: "neighbour",
        key: "198.18.1.13 (b1)",
        action: "create",
        after: `lladdr ${MAC.b1} permanent`,
        phase: "program",
        forward: [
          IP("neigh", "replace", "198.18.1.13", "lladdr", MAC.b1, "dev", "mshvx0", "nud", "permanent"),
        ],
        inverse: [IP("neigh", "del", "198.18.1.13", "dev", "mshvx0")],
      },
    ]);
  });
});

describe("entries a node lacks: one change per entry, named for each node's own device and protocol (#15)", () => {
  const bare = { ...CONVERGED, fdb: [], neighbours: [], routes: [] };
  const lines = (cs: { forward: Cmd[]; inverse: Cmd[] }[]) =>
    cs.flatMap((c) => [...c.forward, ...c.inverse].map(renderCmd));

  it("another device name gets changes on its own device, also after the first node's", () => {
    const other = { ...A1, device: { ...A1.device, name: "other0" as typeof A1.device.name } };
    for (const n of [A1, other, A1, other]) {
      const all = lines([...diffFdb(n, bare), ...diffNeighbours(n, bare, "program")]);
      expect(all).toHaveLength(12);
      expect(
        all.every((l) => l.includes(` dev ${n.device.name} `) || l.endsWith(` dev ${n.device.name}`)),
      ).toBe(true);
    }
  });

  it("another route protocol or underlay gets routes with its own", () => {
    const variants = [
      { n: A1, under: "eth0" },
      { n: { ...A1, routeProtocol: 99 }, under: "eth0" },
      { n: A1, under: "eth1" },
      { n: A1, under: "eth0" },
    ];
    for (const { n, under } of variants) {
      const routes = diffRoutes(n, bare, "program", under);
      expect(routes.length).toBeGreaterThan(0);
      expect(lines(routes).every((l) => l.includes(` proto ${n.routeProtocol} `))).toBe(true);
      const direct = diffRoutes(
        { ...n, routes: n.routes.map((r) => ({ ...r, direct: true as const })) },
        bare,
        "program",
        under,
      );
      expect(lines(direct).every((l) => l.includes(` dev ${under} `))).toBe(true);
    }
  });

  it("a shared change cannot be changed by one node's caller", () => {
    const [c] = diffFdb(A1, bare);
    expect(() => {
      (c as { key: string }).key = "x";
    }).toThrow(TypeError);
    expect(diffFdb(A1, bare)[0]?.key).not.toBe("x");
  });

  it("a command's text is made anew when the command is not frozen (it may have changed)", () => {
    const c = { tool: "ip" as const, args: ["link", "del", "a"] };
    expect(renderCmd(c)).toBe("ip link del a");
    c.args[2] = "b";
    expect(renderCmd(c)).toBe("ip link del b");
    const frozen = Object.freeze({
      tool: "ip" as const,
      args: Object.freeze(["link", "del", "c"]) as string[],
    });
    expect(renderCmd(frozen)).toBe("ip link del c");
    expect(renderCmd(frozen)).toBe("ip link del c");
  });
});
