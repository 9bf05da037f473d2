/** Direct routing and mode switches in the diff (#14): paths, ownership on the underlay, make-before-break. */
import { describe, expect, it } from "vitest";
import type { NodeFacts } from "../../src/facts/types.js";
import type { NodeModel } from "../../src/model/types.js";
import type { Change } from "../../src/plan/change.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode, diffTeardown, PlanConflict, resolveNode } from "../../src/plan/node-diff.js";
import { planFromScratch } from "../../src/plan/scratch.js";
import { bareFacts, convergedFacts, directRoute, ip, nodeOf, withMode } from "../support/builders.js";

const a1Of = (mode: string) => nodeOf(withMode(mode), "a1");
const fwd = (cs: Change[]) => cs.flatMap((c) => c.forward.map(renderCmd));
const inv = (cs: Change[]) => cs.flatMap((c) => c.inverse.map(renderCmd));

/** Facts of a node in direct mode, converged: the direct routes on eth0, no device. */
function directFacts(n: NodeModel): NodeFacts {
  const r = resolveNode(n, bareFacts(n));
  return { ...bareFacts(n), routes: r.routes.map((x) => directRoute(x.dst, x.via)) };
}

describe("direct mode", () => {
  const a1 = a1Of("direct");

  it("from scratch: one route per remote block via the peer's underlay address on eth0; no device, FDB or neighbour", () => {
    expect(fwd(diffNode(a1, bareFacts(a1)).changes)).toEqual([
      "ip route add 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
      "ip route add 198.18.40.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
      "ip route add 198.18.32.64/26 via 198.18.0.14 dev eth0 proto 77 metric 7077",
    ]);
    expect(inv(diffNode(a1, bareFacts(a1)).changes)[0]).toBe(
      "ip route del 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
    );
  });

  it("converged: nothing to do", () => {
    expect(diffNode(a1, directFacts(a1)).changes).toEqual([]);
  });

  it("a peer off the underlay's connected subnets refuses the node, naming the peer and the subnets", () => {
    const f = bareFacts(a1);
    const narrow = {
      ...(f.underlay as NonNullable<NodeFacts["underlay"]>),
      addresses: [{ ip: ip("198.18.0.11"), prefixLen: 30 }],
    };
    const g = { ...f, underlay: narrow, interfaces: [narrow] };
    expect(() => diffNode(a1, g)).toThrow(PlanConflict);
    expect(() => diffNode(a1, g)).toThrow(
      "a1: mode direct: b1 (198.18.0.13), b2 (198.18.0.14) not on a connected subnet of eth0 (198.18.0.8/30)",
    );
  });

  it("a proto-77 route on the underlay without meshctl's metric is foreign: refused, never deleted", () => {
    const f = directFacts(a1);
    f.routes.push(directRoute("198.18.99.0/24", "198.18.0.1", { metric: undefined }));
    expect(() => diffNode(a1, f)).toThrow(/198\.18\.99\.0\/24 via 198\.18\.0\.1 dev eth0 proto 77 carries/);
    expect(() => diffTeardown(a1, f)).toThrow(PlanConflict);
  });

  it("a direct route with a wrong gateway is replaced (same metric), its inverse puts it back", () => {
    const f = directFacts(a1);
    f.routes[0] = directRoute("198.18.32.0/26", "198.18.0.99");
    const cs = diffNode(a1, f).changes;
    expect(fwd(cs)).toEqual([
      "ip route replace 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
    ]);
    expect(inv(cs)).toEqual([
      "ip route replace 198.18.32.0/26 via 198.18.0.99 dev eth0 proto 77 metric 7077",
    ]);
  });

  it("teardown deletes the direct routes (no device to delete), each with its inverse", () => {
    const cs = diffTeardown(a1, directFacts(a1));
    expect(fwd(cs)).toEqual([
      "ip route del 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
      "ip route del 198.18.40.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
      "ip route del 198.18.32.64/26 via 198.18.0.14 dev eth0 proto 77 metric 7077",
    ]);
    expect(inv(cs)[0]).toBe("ip route add 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077");
  });
});

describe("switching modes on a live node: make-before-break, no leftovers", () => {
  it("vxlan → direct: each route switched (new added, then the tunnel's deleted), the device deleted last", () => {
    const vx = a1Of("vxlan");
    const cs = diffNode(a1Of("direct"), convergedFacts(vx)).changes;
    expect(cs.map((c) => `${c.resource} ${c.action} ${c.phase}`)).toEqual([
      "route update program",
      "route update program",
      "route update program",
      "device delete program",
    ]);
    expect(cs[0]?.forward.map(renderCmd)).toEqual([
      "ip route add 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
      "ip route del 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
    ]);
    // Rollback is make-before-break too: the tunnel's route back first.
    expect(cs[0]?.inverse.map(renderCmd)).toEqual([
      "ip route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route del 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
    ]);
    expect(cs[0]?.before).toBe("198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77");
    expect(cs[3]?.forward.map(renderCmd)).toEqual(["ip link del mshvx0"]);
    // Across nodes: the device goes only once every peer has stopped sending through it (exec/stages.ts).
    expect(cs.map((c) => c.stage)).toEqual([undefined, undefined, undefined, "retire"]);
    // The device's inverse rebuilds it with its entries but not its routes (the route changes put those back).
    const restore = cs[3]?.inverse.map(renderCmd) ?? [];
    expect(restore.filter((c) => c.startsWith("bridge fdb"))).toHaveLength(3);
    expect(restore.filter((c) => c.startsWith("ip route"))).toEqual([]);
  });

  it("direct → vxlan: device, FDB and neighbours first, then each route switched (tunnel added, direct deleted)", () => {
    const cs = diffNode(a1Of("vxlan"), directFacts(a1Of("direct"))).changes;
    const kinds = cs.map((c) => c.resource);
    expect(kinds[0]).toBe("device");
    expect(kinds.lastIndexOf("fdb")).toBeLessThan(kinds.indexOf("route"));
    expect(kinds.lastIndexOf("neighbour")).toBeLessThan(kinds.indexOf("route"));
    const route = cs.find((c) => c.resource === "route");
    // Across nodes: onto the tunnel only once every peer has its device.
    expect(cs.filter((c) => c.stage === "switch")).toHaveLength(3);
    expect(cs.filter((c) => c.stage !== "switch").every((c) => c.resource !== "route")).toBe(true);
    expect(route?.forward.map(renderCmd)).toEqual([
      "ip route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route del 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
    ]);
  });

  it("a switch already half done (both routes there) finishes by deleting the old one", () => {
    const vx = a1Of("vxlan");
    const f = convergedFacts(vx);
    f.routes.push(directRoute("198.18.32.0/26", "198.18.0.13"));
    const cs = diffNode(vx, f).changes;
    expect(fwd(cs)).toEqual([
      "ip route replace 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route del 198.18.32.0/26 via 198.18.0.13 dev eth0 proto 77 metric 7077",
    ]);
  });

  it("vxlan → auto with one peer on the subnet: its routes switched, then the unneeded entries deleted; the device stays", () => {
    const vx = a1Of("vxlan");
    const f = convergedFacts(vx);
    const narrow = {
      ...(f.underlay as NonNullable<NodeFacts["underlay"]>),
      addresses: [{ ip: ip("198.18.0.11"), prefixLen: 24 }],
    };
    const g = { ...f, underlay: narrow, interfaces: [narrow] };
    const auto = a1Of("auto");
    const r = resolveNode(auto, g);
    expect(r.routes.every((x) => x.direct)).toBe(true); // all on 198.18.0.0/24: direct, no device
    // 198.18.0.11/32 and 198.18.0.12/31: b1 (.13) on a connected subnet, b2 (.14) not.
    const split = {
      ...narrow,
      addresses: [
        { ip: ip("198.18.0.11"), prefixLen: 32 },
        { ip: ip("198.18.0.12"), prefixLen: 31 },
      ],
    };
    const h = { ...f, underlay: split, interfaces: [split] };
    const cs = diffNode(auto, h).changes;
    expect(cs.map((c) => `${c.resource} ${c.action} ${c.key}`)).toEqual([
      "route update 198.18.32.0/26 (b1)",
      "route update 198.18.40.0/26 (b1)",
      // b1's entries, and a2's: its own cluster, no routes, so no tunnel to it in auto
      "neighbour delete 198.18.1.12",
      "neighbour delete 198.18.1.13",
      "fdb delete 02:6d:c6:12:01:0c dst 198.18.0.12",
      "fdb delete 02:6d:c6:12:01:0d dst 198.18.0.13",
    ]);
    expect(cs.every((c) => c.phase === "program")).toBe(true);
    expect(cs.map((c) => c.stage)).toEqual([undefined, undefined, "retire", "retire", "retire", "retire"]);
  });
});

describe("plan from scratch", () => {
  it("direct: route lines only, via the underlay", () => {
    const p = planFromScratch(withMode("direct"));
    expect(p.nodes[0]?.commands).toEqual([
      "ip route add 198.18.32.0/26 via 198.18.0.13 proto 77 metric 7077",
      "ip route add 198.18.40.0/26 via 198.18.0.13 proto 77 metric 7077",
      "ip route add 198.18.32.64/26 via 198.18.0.14 proto 77 metric 7077",
    ]);
  });

  it("auto: the tunnel (the choice needs the node's facts)", () => {
    const p = planFromScratch(withMode("auto"));
    expect(p.nodes[0]?.commands[0]).toMatch(/^ip link add mshvx0 /);
    expect(p.nodes[0]?.commands.filter((c) => c.startsWith("bridge fdb"))).toHaveLength(2);
  });
});
