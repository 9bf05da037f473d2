/**
 * The routes part of the node diff (src/plan/route-diff.ts) at its edges: a route of meshctl's in another
 * table, a switch half done (both kinds there), and which of two foreign routes in the way is named.
 * Expected values by hand from the builders' inventory (a1 routes b1's 198.18.32.0/26 and 198.18.40.0/26
 * via 198.18.1.13, b2's 198.18.32.64/26 via 198.18.1.14, on mshvx0, proto 77). Built inside each test.
 */
import { describe, expect, it } from "vitest";
import type { RouteFact } from "../../src/facts/types.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode } from "../../src/plan/node-diff.js";
import { convergedFacts, directRoute, ip, model, nodeOf, withMode } from "../support/builders.js";

const line = (c: { action: string; key: string; phase: string; forward: readonly unknown[] }) =>
  `${c.action} ${c.key} ${c.phase}: ${c.forward.map((x) => renderCmd(x as Parameters<typeof renderCmd>[0])).join("; ")}`;

describe("routes of meshctl's", () => {
  it("in another table, to a block it wants: deleted from that table, added to main", () => {
    const a1 = nodeOf(model(), "a1");
    const f = convergedFacts(a1);
    f.routes = f.routes.map((r) => (r.dst === "198.18.32.0/26" ? { ...r, table: "100" } : r));
    expect(diffNode(a1, f).changes.map(line)).toEqual([
      "delete 198.18.32.0/26 prune: ip route del 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 table 100 onlink",
      "create 198.18.32.0/26 (b1) program: ip route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
    ]);
  });

  it("a switch half done: before names both routes, the kept one first", () => {
    const vx = nodeOf(withMode("vxlan"), "a1");
    const f = convergedFacts(vx);
    f.routes.push(directRoute("198.18.32.0/26", "198.18.0.13"));
    const [c, ...more] = diffNode(vx, f).changes;
    expect(more).toEqual([]);
    expect(c).toMatchObject({
      resource: "route",
      key: "198.18.32.0/26 (b1)",
      action: "update",
      before:
        "198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 + 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
      after: "via 198.18.1.13 dev mshvx0 onlink",
      phase: "program",
    });
  });
});

describe("foreign routes in the way", () => {
  it("two to the same block: the refusal names the first one the facts list", () => {
    const a1 = nodeOf(model(), "a1");
    const foreign = (via: string, dev: string, protocol: string): RouteFact => ({
      dst: "198.18.32.0/26" as RouteFact["dst"],
      type: "unicast",
      via: ip(via),
      dev,
      protocol,
      table: "main",
      flags: [],
    });
    const f = {
      ...convergedFacts(a1),
      foreignRoutes: [foreign("198.18.0.1", "eth0", "boot"), foreign("198.18.0.2", "eth1", "static")],
    };
    expect(() => diffNode(a1, f)).toThrow(
      "a1: a route to 198.18.32.0/26 that meshctl did not make is in the way (198.18.32.0/26 via 198.18.0.1 dev eth0 proto boot): remove it, or take 198.18.32.0/26 out of the inventory",
    );
  });
});
