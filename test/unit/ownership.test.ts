import { describe, expect, it } from "vitest";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { Cidr } from "../../src/net/addr.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode, diffTeardown, PlanConflict } from "../../src/plan/node-diff.js";
import { deviceOwnership, managedState } from "../../src/plan/ownership.js";
import { bareFacts, convergedFacts, ip, model, nodeOf } from "../support/builders.js";

const m = model();
const a1 = nodeOf(m, "a1");
const cmds = (f: NodeFacts) => diffNode(a1, f).changes.flatMap((c) => c.forward.map(renderCmd));

const withDevice = (over: Partial<NonNullable<NodeFacts["device"]>>): NodeFacts => {
  const f = convergedFacts(a1);
  if (!f.device) throw new Error("no device");
  f.device = { ...f.device, ...over };
  return f;
};
const unmarked = (over: Partial<NonNullable<NodeFacts["device"]>> = {}): NodeFacts => {
  const f = withDevice(over);
  if (f.device) delete f.device.alias;
  return f;
};
const eth0Table100: RouteFact = {
  dst: "198.18.99.0/24" as Cidr,
  type: "unicast",
  dev: "eth0",
  protocol: 77,
  table: "100",
  flags: [],
};

describe("the device: meshctl's only when marked (or adopted from an earlier meshctl)", () => {
  it("marked → ours; absent → absent", () => {
    expect(deviceOwnership(a1.device, convergedFacts(a1)).state).toBe("ours");
    expect(deviceOwnership(a1.device, bareFacts(a1)).state).toBe("absent");
  });

  it("unmarked with the inventory's name, VNI, port and local → adopted: the only change sets the mark", () => {
    const ch = diffNode(a1, unmarked()).changes;
    expect(ch.map((c) => [c.resource, c.action, c.key])).toEqual([["device", "update", "mshvx0"]]);
    expect(ch[0]?.forward.map(renderCmd)).toEqual(["ip link set dev mshvx0 alias meshctl"]);
    expect(ch[0]?.inverse.map(renderCmd)).toEqual(['ip link set dev mshvx0 alias ""']);
  });

  it("unmarked with another VNI → refused: never deleted nor recreated, and diff says why", () => {
    const f = unmarked({ vni: 42 });
    expect(() => diffNode(a1, f)).toThrow(PlanConflict);
    expect(() => diffNode(a1, f)).toThrow(
      "a1: mshvx0 is a VXLAN device (VNI 42, port 4899, local 198.18.0.11, no alias) without meshctl's mark, and it differs from the inventory's (VNI 10001, port 4899, local 198.18.0.11): not provably meshctl's",
    );
    expect(() => diffTeardown(a1, f)).toThrow(/not provably meshctl's/);
  });

  it("another alias, or another kind → refused by apply and teardown", () => {
    for (const f of [withDevice({ alias: "flannel" }), withDevice({ kind: "bridge" })]) {
      expect(() => diffNode(a1, f)).toThrow(/mshvx0 is a .*not meshctl's/);
      expect(() => diffTeardown(a1, f)).toThrow(PlanConflict);
    }
  });

  it("a recreate of meshctl's own device lists everything it takes with it", () => {
    const f = withDevice({ vni: 42 });
    f.foreignRoutes.push({
      dst: "198.18.77.0/24" as Cidr,
      type: "unicast",
      dev: "mshvx0",
      protocol: "boot",
      table: "main",
      flags: [],
    });
    const ch = diffNode(a1, f).changes[0];
    expect(ch).toMatchObject({ resource: "device", action: "recreate", destructive: true });
    expect(ch?.before).toBe(
      "vxlan id 42 port 4899 local 198.18.0.11 dev eth0; takes with it address 198.18.1.11/24, 3 fdb, 3 neighbour entries, routes: 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77, 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77, 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77, 198.18.77.0/24 dev mshvx0 proto boot",
    );
  });
});

describe("routes: meshctl's only with its protocol id AND on its own device", () => {
  it("its protocol id on eth0 in table 100 → refused by apply and teardown, on a node with or without the device", () => {
    for (const base of [convergedFacts(a1), bareFacts(a1)]) {
      const f = { ...base, routes: [...base.routes, eth0Table100] };
      const why =
        "route 198.18.99.0/24 dev eth0 table 100 proto 77 carries meshctl's protocol id but it is not on mshvx0";
      expect(() => diffNode(a1, f)).toThrow(why);
      expect(() => diffTeardown(a1, f)).toThrow(why);
    }
  });

  it("a route of meshctl's without onlink is replaced by one with it (no dependence on the connected route)", () => {
    const f = convergedFacts(a1);
    f.routes = f.routes.map((r) => (r.dst === "198.18.32.0/26" ? { ...r, flags: [] } : r));
    expect(cmds(f)).toEqual(["ip route replace 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink"]);
  });
});

describe("repair after removal by hand", () => {
  it("the connected route flushed → put back; its undo deletes it", () => {
    const f = { ...convergedFacts(a1), connected: [] };
    const ch = diffNode(a1, f).changes;
    expect(ch.flatMap((c) => c.forward.map(renderCmd))).toEqual([
      "ip route add 198.18.1.0/24 dev mshvx0 proto kernel scope link src 198.18.1.11",
    ]);
    expect(ch.flatMap((c) => c.inverse.map(renderCmd))).toEqual([
      "ip route del 198.18.1.0/24 dev mshvx0 proto kernel scope link",
    ]);
  });

  it("every route flushed on the device → the routes and the connected route come back", () => {
    const f = { ...convergedFacts(a1), routes: [], connected: [] };
    expect(cmds(f)).toEqual([
      "ip route add 198.18.1.0/24 dev mshvx0 proto kernel scope link src 198.18.1.11",
      "ip route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route add 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route add 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77 onlink",
    ]);
  });

  it("device set down (the kernel drops its routes) → up, and the routes; the connected route comes back with up", () => {
    const f = withDevice({ up: false });
    f.routes = [];
    f.connected = [];
    expect(cmds(f)).toEqual([
      "ip link set dev mshvx0 up",
      "ip route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route add 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink",
      "ip route add 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77 onlink",
    ]);
  });

  it("neighbours and FDB flushed → all put back", () => {
    const f = { ...convergedFacts(a1), neighbours: [], fdb: [] };
    const kinds = cmds(f).map((c) => c.split(" ").slice(0, 3).join(" "));
    expect(kinds).toEqual([...Array(3).fill("bridge fdb replace"), ...Array(3).fill("ip neigh replace")]);
  });
});

describe("managedState (the rollback check)", () => {
  it("sees the mark, onlink and the connected route", () => {
    const a = { ...convergedFacts(a1), connected: [] };
    expect(managedState(a)).toBe(managedState({ ...convergedFacts(a1), connected: [] }));
    expect(managedState(a)).not.toBe(managedState({ ...unmarked(), connected: [] }));
    const noOnlink = { ...a, routes: a.routes.map((r) => ({ ...r, flags: [] })) };
    expect(managedState(a)).not.toBe(managedState(noOnlink));
    const connected: RouteFact = {
      dst: "198.18.1.0/24" as Cidr,
      type: "unicast",
      dev: "mshvx0",
      protocol: "kernel",
      table: "main",
      scope: "link",
      flags: [],
    };
    expect(managedState(a)).not.toBe(managedState({ ...a, connected: [connected] }));
    expect(ip("198.18.1.11")).toBe("198.18.1.11");
  });
});
