import { describe, expect, it } from "vitest";
import type { NodeFacts } from "../../src/facts/types.js";
import type { Cidr } from "../../src/net/addr.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode, diffTeardown, PlanConflict } from "../../src/plan/node-diff.js";
import { bareFacts, convergedFacts, ip, model, nodeOf } from "../support/builders.js";

const m = model();
const a1 = nodeOf(m, "a1");
const cmds = (f: NodeFacts) => diffNode(a1, f).changes.flatMap((c) => c.forward.map(renderCmd));
const undo = (f: NodeFacts) => diffNode(a1, f).changes.flatMap((c) => c.inverse.map(renderCmd));

describe("diffNode", () => {
  it("a converged node needs nothing", () => {
    expect(diffNode(a1, convergedFacts(a1)).changes).toEqual([]);
  });

  it("a bare node gets the device (MTU from the underlay), then FDB, neighbours, routes in that order", () => {
    const out = cmds(bareFacts(a1));
    expect(out[0]).toBe(
      "ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning",
    );
    expect(out.slice(1, 4)).toEqual([
      "ip link set dev mshvx0 alias meshctl",
      "ip addr add 198.18.1.11/24 dev mshvx0",
      "ip link set dev mshvx0 up",
    ]);
    const kinds = out.slice(4).map((c) => c.split(" ").slice(0, 2).join(" "));
    expect(kinds).toEqual([
      ...Array(3).fill("bridge fdb"),
      ...Array(3).fill("ip neigh"),
      ...Array(3).fill("ip route"),
    ]);
    expect(out).toContain("ip route add 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink");
  });

  it("every create's inverse deletes it", () => {
    const f = bareFacts(a1);
    const changes = diffNode(a1, f).changes;
    expect(changes[0]?.inverse.map(renderCmd)).toEqual(["ip link del mshvx0"]);
    const route = changes.find((c) => c.resource === "route");
    expect(route?.inverse.map(renderCmd)).toEqual([
      "ip route del 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
    ]);
  });

  it("explicit MTU wins over auto", () => {
    const n = { ...a1, device: { ...a1.device, mtu: 1400 } };
    expect(renderCmd(diffNode(n, bareFacts(n)).changes[0]?.forward[0] ?? { tool: "ip", args: [] })).toContain(
      "mtu 1400",
    );
  });

  it("a missing route is added, never replaced, and undone by deleting exactly it", () => {
    const f = convergedFacts(a1);
    f.routes = f.routes.filter((r) => r.dst !== "198.18.32.64/26");
    expect(cmds(f)).toEqual(["ip route add 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77 onlink"]);
    expect(undo(f)).toEqual(["ip route del 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77 onlink"]);
  });

  it("a route of ours with the wrong gateway is replaced and its inverse restores it", () => {
    const f = convergedFacts(a1);
    f.routes = f.routes.map((r) => (r.dst === "198.18.32.64/26" ? { ...r, via: ip("198.18.1.99") } : r));
    const ch = diffNode(a1, f).changes;
    expect(ch).toHaveLength(1);
    expect(ch[0]?.action).toBe("update");
    expect(ch[0]?.forward.map(renderCmd)).toEqual([
      "ip route replace 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77 onlink",
    ]);
    expect(ch[0]?.inverse.map(renderCmd)).toEqual([
      "ip route replace 198.18.32.64/26 via 198.18.1.99 dev mshvx0 proto 77 onlink",
    ]);
  });

  it("a stale route with our protocol id is deleted; the inverse puts it back", () => {
    const f = convergedFacts(a1);
    f.routes.push({
      dst: "198.18.99.0/24" as Cidr,
      type: "unicast",
      via: ip("198.18.1.50"),
      dev: "mshvx0",
      protocol: 77,
      table: "main",
      flags: [],
    });
    const ch = diffNode(a1, f).changes;
    expect(ch.map((c) => [c.action, c.resource, c.key])).toEqual([["delete", "route", "198.18.99.0/24"]]);
    expect(ch[0]?.inverse.map(renderCmd)).toEqual([
      "ip route add 198.18.99.0/24 via 198.18.1.50 dev mshvx0 proto 77",
    ]);
  });

  it("a stale route of ours in another table is deleted from that table", () => {
    const f = convergedFacts(a1);
    f.routes.push({
      dst: "198.18.16.0/26" as Cidr,
      type: "unicast",
      dev: "mshvx0",
      protocol: 77,
      table: "100",
      flags: [],
    });
    expect(cmds(f)).toEqual(["ip route del 198.18.16.0/26 dev mshvx0 proto 77 table 100"]);
  });

  it("a wrong FDB destination is replaced in place; a stale peer's FDB and neighbour are deleted", () => {
    const f = convergedFacts(a1);
    f.fdb = f.fdb.map((e) => (e.mac === nodeOf(m, "a2").device.mac ? { ...e, dst: ip("198.18.0.99") } : e));
    f.fdb.push({
      mac: "02:00:00:00:00:99",
      dst: ip("198.18.0.99"),
      flags: ["self"],
      state: "permanent",
      kind: "unicast",
    });
    f.neighbours.push({ ip: ip("198.18.1.99"), mac: "02:00:00:00:00:99", state: ["PERMANENT"], flags: [] });
    expect(cmds(f)).toEqual([
      "ip neigh del 198.18.1.99 dev mshvx0",
      "bridge fdb del 02:00:00:00:00:99 dev mshvx0 dst 198.18.0.99 self",
      "bridge fdb replace 02:6d:c6:12:01:0c dev mshvx0 dst 198.18.0.12 self permanent",
    ]);
    expect(undo(f)).toEqual([
      "ip neigh replace 198.18.1.99 lladdr 02:00:00:00:00:99 dev mshvx0 nud permanent",
      "bridge fdb replace 02:00:00:00:00:99 dev mshvx0 dst 198.18.0.99 self permanent",
      "bridge fdb replace 02:6d:c6:12:01:0c dev mshvx0 dst 198.18.0.99 self permanent",
    ]);
  });

  it("kernel multicast FDB entries and dynamic neighbours are left alone", () => {
    const f = convergedFacts(a1);
    f.fdb.push({ mac: "33:33:00:00:00:01", flags: ["self"], state: "permanent", kind: "multicast" });
    f.neighbours.push({ ip: ip("198.18.1.77"), state: ["FAILED"], flags: [] });
    expect(diffNode(a1, f).changes).toEqual([]);
  });

  it("a learned (non-permanent) neighbour for a peer is made permanent; its undo deletes it", () => {
    const f = convergedFacts(a1);
    f.neighbours = f.neighbours.map((n) => (n.ip === "198.18.1.12" ? { ...n, state: ["STALE"] } : n));
    expect(cmds(f)).toEqual([
      "ip neigh replace 198.18.1.12 lladdr 02:6d:c6:12:01:0c dev mshvx0 nud permanent",
    ]);
    expect(undo(f)).toEqual(["ip neigh del 198.18.1.12 dev mshvx0"]);
  });

  it("MAC, MTU, address and link state drift are fixed in place with exact inverses", () => {
    const f = convergedFacts(a1);
    if (!f.device) throw new Error("no device");
    f.device = {
      ...f.device,
      mac: "0a:0b:0c:0d:0e:0f",
      mtu: 1400,
      up: false,
      addresses: [{ ip: ip("198.18.1.200"), prefixLen: 24 }],
    };
    expect(cmds(f)).toEqual([
      "ip link set dev mshvx0 address 02:6d:c6:12:01:0b",
      "ip link set dev mshvx0 mtu 1450",
      "ip addr del 198.18.1.200/24 dev mshvx0",
      "ip addr add 198.18.1.11/24 dev mshvx0",
      "ip link set dev mshvx0 up",
    ]);
    expect(undo(f)).toEqual([
      "ip link set dev mshvx0 address 0a:0b:0c:0d:0e:0f",
      "ip link set dev mshvx0 mtu 1400",
      "ip addr add 198.18.1.200/24 dev mshvx0",
      "ip addr del 198.18.1.11/24 dev mshvx0",
      "ip link set dev mshvx0 down",
    ]);
  });

  it("a VNI/port/local drift recreates the device (destructive) and re-adds everything on it", () => {
    const f = convergedFacts(a1);
    if (!f.device) throw new Error("no device");
    f.device = { ...f.device, vni: 42 };
    const ch = diffNode(a1, f).changes;
    expect(ch[0]).toMatchObject({ resource: "device", action: "recreate", destructive: true });
    expect(ch[0]?.forward.map(renderCmd)[0]).toBe("ip link del mshvx0");
    // The inverse rebuilds the old device with its entries and routes.
    const inv = ch[0]?.inverse.map(renderCmd) ?? [];
    expect(inv[0]).toBe("ip link del mshvx0");
    expect(inv[1]).toContain("type vxlan id 42 dstport 4899");
    expect(inv.filter((c) => c.startsWith("bridge fdb replace"))).toHaveLength(3);
    expect(inv.filter((c) => c.startsWith("ip route add"))).toHaveLength(3);
    expect(ch.filter((c) => c.resource === "route" && c.action === "create")).toHaveLength(3);
  });

  it("a foreign device with meshctl's name is a conflict, not something to delete", () => {
    const f = convergedFacts(a1);
    if (!f.device) throw new Error("no device");
    f.device = { ...f.device, kind: "bridge" };
    expect(() => diffNode(a1, f)).toThrow(PlanConflict);
  });
});

describe("diffTeardown", () => {
  it("deletes meshctl's device (its entries and routes go with it), with a full inverse", () => {
    const ch = diffTeardown(a1, convergedFacts(a1));
    expect(ch.flatMap((c) => c.forward.map(renderCmd))).toEqual(["ip link del mshvx0"]);
    const restore = ch[0]?.inverse.map(renderCmd) ?? [];
    expect(restore[0]).toMatch(/^ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001/);
    expect(restore[1]).toBe("ip link set dev mshvx0 alias meshctl");
    expect(restore).toContain("ip route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink");
  });

  it("is empty on a node with nothing of meshctl's", () => {
    expect(diffTeardown(a1, bareFacts(a1))).toEqual([]);
  });
});

describe("guards", () => {
  it("a foreign route to a pod block meshctl needs stops the node before anything changes", () => {
    const f = bareFacts(a1);
    f.foreignRoutes.push({
      dst: "198.18.32.64/26" as Cidr,
      type: "unicast",
      via: ip("198.18.0.1"),
      dev: "eth0",
      protocol: "boot",
      table: "main",
      flags: [],
    });
    expect(() => diffNode(a1, f)).toThrow(
      /198\.18\.32\.64\/26 that meshctl did not make.*via 198\.18\.0\.1 dev eth0 proto boot/,
    );
  });

  it("a foreign route to a wider prefix is no conflict (the more specific route wins)", () => {
    const f = convergedFacts(a1);
    f.foreignRoutes.push({
      dst: "198.18.32.0/20" as Cidr,
      type: "unicast",
      via: ip("198.18.0.1"),
      dev: "eth0",
      protocol: "boot",
      table: "main",
      flags: [],
    });
    expect(diffNode(a1, f).changes).toEqual([]);
  });
});
