/**
 * The ownership rules one by one (src/plan/ownership.ts): which device is meshctl's, adoptable or foreign
 * (and what the refusal says), which routes with its protocol id are its own or its direct ones — a route
 * differing in any one respect is foreign and left alone — and what the rollback check compares.
 */
import { describe, expect, it } from "vitest";
import type { DeviceFact, NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { RouteSpec } from "../../src/model/types.js";
import { resolveDeviceParams } from "../../src/plan/device-diff.js";
import {
  DIRECT_METRIC,
  describeRoute,
  deviceDriftItems,
  deviceOwnership,
  foreignRouteReason,
  isDirectRoute,
  managedNeighbours,
  managedState,
  ownsDevice,
  routeAsWanted,
  splitRoutes,
} from "../../src/plan/ownership.js";
import { bareFacts, convergedFacts, ip, model, nodeOf } from "../support/builders.js";

const A1 = nodeOf(model(), "a1"); // mshvx0, VNI 10001, port 4899, local 198.18.0.11
const WANT = { name: A1.device.name, vni: 10001, port: 4899, localIp: ip("198.18.0.11") };
const DEVICE = convergedFacts(A1).device as DeviceFact;
const withDevice = (over: Partial<DeviceFact>): NodeFacts => ({
  ...bareFacts(A1),
  device: { ...DEVICE, ...over },
});
const route = (over: Partial<RouteFact> = {}): RouteFact => ({
  dst: "198.18.32.0/26" as RouteFact["dst"],
  type: "unicast",
  via: ip("198.18.0.13"),
  dev: "eth0",
  protocol: 77,
  table: "main",
  metric: DIRECT_METRIC,
  flags: [],
  ...over,
});
const FIX = "remove it if it is stale (ip link del mshvx0), or set mesh.device to another name";

describe("which device is meshctl's", () => {
  it("marked: ours; unmarked with the inventory's VNI, port and local: adopted; both are meshctl's", () => {
    const ours = deviceOwnership(WANT, withDevice({}));
    const adopt = deviceOwnership(WANT, withDevice({ alias: undefined }));
    expect([ours.state, adopt.state]).toEqual(["ours", "adopt"]);
    expect([ownsDevice(ours), ownsDevice(adopt)]).toEqual([true, true]);
    expect(ownsDevice(deviceOwnership(WANT, bareFacts(A1)))).toBe(false);
  });

  it("unmarked with another port or another local address: foreign, saying what it is and what differs", () => {
    for (const over of [{ port: 4789 }, { localIp: ip("198.18.0.99") }]) {
      const o = deviceOwnership(WANT, withDevice({ alias: undefined, ...over }));
      expect(o.state, JSON.stringify(over)).toBe("foreign");
      expect(ownsDevice(o)).toBe(false);
    }
    const o = deviceOwnership(WANT, withDevice({ alias: undefined, port: 4789 }));
    expect(o.state === "foreign" && o.why).toBe(
      `mshvx0 is a VXLAN device (VNI 10001, port 4789, local 198.18.0.11, no alias) without meshctl's mark, and it differs from the inventory's (VNI 10001, port 4899, local 198.18.0.11): not provably meshctl's, so it is neither changed nor recreated: ${FIX}`,
    );
  });

  it("another alias or kind: foreign, described as it is", () => {
    const why = (over: Partial<DeviceFact>) => {
      const o = deviceOwnership(WANT, withDevice(over));
      return o.state === "foreign" ? o.why : o.state;
    };
    expect(why({ alias: "flannel" })).toBe(
      `mshvx0 is a VXLAN device (VNI 10001, port 4899, local 198.18.0.11, alias "flannel"), not meshctl's: ${FIX}`,
    );
    expect(why({ alias: "x", vni: undefined, port: undefined, localIp: undefined })).toBe(
      `mshvx0 is a VXLAN device (VNI ?, port ?, local none, alias "x"), not meshctl's: ${FIX}`,
    );
    expect(why({ kind: "bridge" })).toBe(`mshvx0 is a bridge device, not meshctl's: ${FIX}`);
    expect(why({ kind: "none" })).toBe(`mshvx0 is a non-VXLAN device, not meshctl's: ${FIX}`);
    expect(why({ kind: "" })).toBe(`mshvx0 is a non-VXLAN device, not meshctl's: ${FIX}`);
  });

  it("drift fixed at creation: the underlay only when one is wanted", () => {
    const want = resolveDeviceParams(A1, bareFacts(A1)); // underlay eth0 (from facts)
    expect(deviceDriftItems(want, { ...DEVICE, underlayDev: "eth1" })).toEqual([
      { attribute: "dev", have: "eth1", want: "eth0" },
    ]);
    expect(deviceDriftItems(want, { ...DEVICE, underlayDev: undefined })).toEqual([
      { attribute: "dev", have: "none", want: "eth0" },
    ]);
    const noUnderlay = resolveDeviceParams(A1, { ...bareFacts(A1), underlay: undefined });
    expect(deviceDriftItems(noUnderlay, { ...DEVICE, underlayDev: "eth1" })).toEqual([]);
    expect(
      deviceDriftItems(want, { ...DEVICE, vni: undefined, port: undefined, localIp: undefined }),
    ).toEqual([
      { attribute: "vni", have: "?", want: "10001" },
      { attribute: "port", have: "?", want: "4899" },
      { attribute: "local", have: "none", want: "198.18.0.11" },
    ]);
  });
});

describe("which routes with meshctl's protocol id are its own", () => {
  const split = (r: RouteFact, owned = true) => {
    const s = splitRoutes({ ...bareFacts(A1), routes: [r] }, "mshvx0", owned, "eth0");
    return s.ours.length ? "ours" : s.direct.length ? "direct" : "foreign";
  };

  it("on its device: ours (when the device is); a direct route on the underlay with its metric: direct", () => {
    expect(split(route({ dev: "mshvx0", metric: undefined }))).toBe("ours");
    expect(split(route({ dev: "mshvx0", metric: undefined }), false)).toBe("foreign");
    expect(split(route())).toBe("direct");
  });

  it("no underlay known: no direct route, even one without a device", () => {
    expect(isDirectRoute(route({ dev: undefined }), undefined)).toBe(false);
    expect(isDirectRoute(route(), "eth0")).toBe(true);
  });

  it("a direct route differing in any one respect is foreign", () => {
    const variants: Partial<RouteFact>[] = [
      { dev: "eth1" },
      { table: "100" },
      { type: "blackhole" },
      { via: undefined },
      { nexthops: [] },
      { metric: 100 },
    ];
    for (const v of variants) expect(split(route(v)), JSON.stringify(v)).toBe("foreign");
    const noUnderlay = splitRoutes({ ...bareFacts(A1), routes: [route()] }, "mshvx0", true, undefined);
    expect(noUnderlay.foreign).toHaveLength(1);
  });

  it("a multipath route on its device is not its own; the refusal says where it is", () => {
    const multi = route({ dev: "mshvx0", nexthops: [], metric: undefined });
    expect(split(multi)).toBe("foreign");
    expect(foreignRouteReason(multi, "mshvx0")).toMatch(
      /^route .* carries meshctl's protocol id but it is not on mshvx0:/,
    );
    expect(foreignRouteReason(route({ dev: "mshvx0" }), "mshvx0")).toBe(
      `route 198.18.32.0/26 via 198.18.0.13 dev mshvx0 proto 77 metric ${DIRECT_METRIC} carries meshctl's protocol id but mshvx0 is not provably meshctl's: not meshctl's, left alone — remove it, or set mesh.route_protocol to a number nothing else uses`,
    );
  });

  it("a route described in full", () => {
    expect(
      describeRoute(
        route({ type: "blackhole", via: undefined, dev: undefined, table: "100", metric: undefined }),
      ),
    ).toBe("blackhole 198.18.32.0/26 table 100 proto 77");
    expect(describeRoute(route({ nexthops: [{}, {}] as RouteFact["nexthops"], metric: 5 }))).toBe(
      "198.18.32.0/26 via 198.18.0.13 dev eth0 (2 next hops) proto 77 metric 5",
    );
  });
});

describe("a route as wanted", () => {
  const want = A1.routes[0] as RouteSpec; // to b1's first block via its overlay address, on mshvx0
  const have = (over: Partial<RouteFact> = {}): RouteFact =>
    route({ dst: want.dst, via: want.via, dev: "mshvx0", metric: undefined, flags: ["onlink"], ...over });

  it("main table, destination, via, device and onlink must all be as wanted", () => {
    expect(routeAsWanted(want, have(), "mshvx0")).toBe(true);
    for (const over of [
      { table: "100" },
      { dst: "198.18.99.0/24" as RouteFact["dst"] },
      { via: ip("198.18.1.99") },
      { dev: "eth0" },
      { flags: [] },
    ]) {
      expect(routeAsWanted(want, have(over), "mshvx0"), JSON.stringify(over)).toBe(false);
    }
  });

  it("a direct one: destination and via as wanted, and a direct route of meshctl's", () => {
    const direct = { ...want, via: ip("198.18.0.13"), direct: true as const };
    const ok = route({ dst: want.dst });
    expect(routeAsWanted(direct, ok, "mshvx0", "eth0")).toBe(true);
    expect(
      routeAsWanted(direct, { ...ok, dst: "198.18.99.0/24" as RouteFact["dst"] }, "mshvx0", "eth0"),
    ).toBe(false);
    expect(routeAsWanted(direct, { ...ok, via: ip("198.18.0.14") }, "mshvx0", "eth0")).toBe(false);
    expect(routeAsWanted(direct, { ...ok, metric: 1 }, "mshvx0", "eth0")).toBe(false);
  });
});

describe("the rollback check compares what meshctl manages, in any order", () => {
  const f = convergedFacts(A1);
  const d = f.device as DeviceFact;

  it("the same state read in another order is the same", () => {
    const a = { ip: ip("198.18.1.11"), prefixLen: 24 };
    const b = { ip: ip("198.18.1.12"), prefixLen: 24 };
    const c1 = route({ dst: "198.18.1.0/24" as RouteFact["dst"], dev: undefined });
    const c2 = route({ dst: "198.18.2.0/24" as RouteFact["dst"], dev: "mshvx0" });
    const one = { ...f, device: { ...d, addresses: [a, b] }, connected: [c1, c2] };
    const two = { ...f, device: { ...d, addresses: [b, a] }, connected: [c2, c1] };
    expect(managedState(one)).toBe(managedState(two));
  });

  it("a route's metric, onlink or device, and a connected route's device, each make a difference", () => {
    const r = f.routes[0] as RouteFact;
    const rest = f.routes.slice(1);
    const base = managedState(f);
    expect(managedState({ ...f, routes: [{ ...r, metric: 5 }, ...rest] })).not.toBe(base);
    expect(managedState({ ...f, routes: [{ ...r, flags: [] }, ...rest] })).not.toBe(base);
    expect(managedState({ ...f, routes: [{ ...r, dev: undefined }, ...rest] })).not.toBe(base);
    const conn = (dev?: string) => ({
      ...f,
      connected: [route({ dst: "198.18.1.0/24" as RouteFact["dst"], dev })],
    });
    expect(managedState(conn("mshvx0"))).not.toBe(managedState(conn(undefined)));
    expect(managedState(conn("mshvx0"))).not.toBe(managedState(conn("eth0")));
  });

  it("only permanent neighbours with a MAC are meshctl's", () => {
    const n = f.neighbours[0] as NodeFacts["neighbours"][number];
    const noMac = { ...f, neighbours: [{ ...n, mac: undefined }] };
    expect(managedNeighbours(noMac)).toEqual([]);
    expect(managedNeighbours({ ...f, neighbours: [n] })).toEqual([{ ip: n.ip, mac: n.mac }]);
  });
});
