import { describe, expect, it } from "vitest";
import { journalUndo } from "../../src/exec/journal.js";
import type { NodeFacts } from "../../src/facts/types.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode } from "../../src/plan/node-diff.js";
import { bareFacts, convergedFacts, model, nodeOf } from "../support/builders.js";

const a1 = nodeOf(model(), "a1");
const undoOf = (f: NodeFacts) => {
  const changes = diffNode(a1, f).changes;
  return { all: [...changes].reverse().flatMap((c) => c.inverse), journal: journalUndo(changes) };
};

describe("the undo journal", () => {
  it("on a fresh node: the device's deletion takes its entries and routes with it", () => {
    const { all, journal } = undoOf(bareFacts(a1));
    expect(all.length).toBe(1 + a1.fdb.length + a1.neighbours.length + a1.routes.length);
    expect(journal.map(renderCmd)).toEqual(["ip link del mshvx0"]);
  });

  it("keeps, in order, every inverse not on a device the change set creates", () => {
    // The device exists: nothing is created, so nothing is subsumed.
    const f = convergedFacts(a1);
    const gone = { ...f, neighbours: f.neighbours.slice(1), routes: f.routes.slice(1), fdb: f.fdb.slice(1) };
    const { all, journal } = undoOf(gone);
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(journal).toEqual(all);
  });

  it("a created device's deletion stays; entries on other links and files stay too", () => {
    const changes = diffNode(a1, bareFacts(a1)).changes;
    const extra = {
      resource: "route" as const,
      key: "198.18.99.0/24",
      action: "create" as const,
      phase: "program" as const,
      forward: [],
      inverse: [
        { tool: "ip" as const, args: ["route", "del", "198.18.99.0/24", "via", "198.18.0.1", "dev", "eth0"] },
        { tool: "file" as const, op: "remove" as const, path: "/var/lib/meshctl/mshvx0@3.ip" },
      ],
    };
    expect(journalUndo([...changes, extra]).map(renderCmd)).toEqual([
      "ip route del 198.18.99.0/24 via 198.18.0.1 dev eth0",
      "remove /var/lib/meshctl/mshvx0@3.ip",
      "ip link del mshvx0",
    ]);
  });
});
