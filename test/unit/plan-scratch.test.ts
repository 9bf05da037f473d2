/**
 * `meshctl plan`'s commands from scratch (src/plan/scratch.ts) where its line cache could mislead: nodes of
 * other device names or route protocols, and direct routes on a named underlay interface. Built inside
 * each test (a mutant that breaks the plan must fail a test, not the file's collection).
 */
import { describe, expect, it } from "vitest";
import { scratchNodes } from "../../src/plan/scratch.js";
import { model, nodeOf, THREE_BY_TWO } from "../support/builders.js";

describe("plan from scratch", () => {
  it("a node of another device name or route protocol gets its own lines, not another node's", () => {
    const scratch = scratchNodes();
    const a1 = nodeOf(model(), "a1");
    const first = scratch(a1).commands;
    expect(first).toContain("ip route add 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink");
    const other = scratch({ ...a1, device: { ...a1.device, name: "mshvx9" as never }, routeProtocol: 78 });
    expect(other.commands).toHaveLength(first.length);
    expect(other.commands.filter((c) => c.includes("mshvx0"))).toEqual([]);
    expect(other.commands).toContain(
      "bridge fdb replace 02:6d:c6:12:01:0c dev mshvx9 dst 198.18.0.12 self permanent",
    );
    expect(other.commands).toContain(
      "ip neigh replace 198.18.1.13 lladdr 02:6d:c6:12:01:0d dev mshvx9 nud permanent",
    );
    expect(other.commands).toContain(
      "ip route add 198.18.40.0/26 via 198.18.1.13 dev mshvx9 proto 78 onlink",
    );
    // and the first scope's lines are still its own
    expect(scratch(a1).commands).toEqual(first);
  });

  it("direct routes name the inventory's underlay interface when it has one", () => {
    const text = THREE_BY_TWO.replace(
      "  route_protocol: 77\n",
      "  route_protocol: 77\n  mode: direct\n  underlay_interface: eth1\n",
    );
    const p = scratchNodes()(nodeOf(model(text), "a1"));
    expect(p.commands).toEqual([
      "ip route add 198.18.32.0/26 via 198.18.0.13 dev eth1 proto 77 metric 7077",
      "ip route add 198.18.40.0/26 via 198.18.0.13 dev eth1 proto 77 metric 7077",
      "ip route add 198.18.32.64/26 via 198.18.0.14 dev eth1 proto 77 metric 7077",
    ]);
  });
});
