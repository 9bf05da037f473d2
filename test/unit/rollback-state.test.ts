/**
 * The rollback check ("back at its prior state", README "Ownership"): managedState sees every attribute of
 * what meshctl manages — one change to any of them is a difference — and nothing else (the order facts
 * come in, entries meshctl does not manage). Written against StrykerJS's survivors in src/plan/ownership.ts:
 * before, dropping the addresses, FDB, neighbours or route fields from the comparison passed every test.
 */
import { describe, expect, it } from "vitest";
import type { NodeFacts } from "../../src/facts/types.js";
import type { Cidr, Ipv4 } from "../../src/net/addr.js";
import { managedState } from "../../src/plan/ownership.js";
import { convergedFacts, model, nodeOf } from "../support/builders.js";

const a1 = nodeOf(model(), "a1");
const connected = [
  { dst: "198.18.1.0/24" as Cidr, type: "unicast", protocol: "kernel", table: "main", flags: [] },
];
const base = (): NodeFacts => ({ ...convergedFacts(a1), connected });
type Dev = NonNullable<NodeFacts["device"]>;
const dev =
  (over: Partial<Dev>) =>
  (f: NodeFacts): NodeFacts => ({ ...f, device: { ...(f.device as Dev), ...over } });
const first = <T>(xs: T[], over: Partial<T>): T[] => xs.map((x, i) => (i === 0 ? { ...x, ...over } : x));

describe("managedState: every managed attribute counts", () => {
  it.each<[string, (f: NodeFacts) => NodeFacts]>([
    ["no device", (f) => ({ ...f, device: undefined })],
    ["the device's kind", dev({ kind: "bridge" })],
    ["its VNI", dev({ vni: 42 })],
    ["its port", dev({ port: 4789 })],
    ["its local address", dev({ localIp: "198.18.0.99" as Ipv4 })],
    ["its underlay device", dev({ underlayDev: "eth1" })],
    ["its mark", dev({ alias: undefined })],
    ["its MAC", dev({ mac: "02:00:00:00:00:01" as Dev["mac"] })],
    ["its MTU", dev({ mtu: 1400 })],
    ["its state", dev({ up: false })],
    [
      "an address more",
      (f) =>
        dev({ addresses: [...(f.device as Dev).addresses, { ip: "198.18.1.99" as Ipv4, prefixLen: 24 }] })(f),
    ],
    [
      "an address's prefix",
      (f) => dev({ addresses: first((f.device as Dev).addresses, { prefixLen: 25 }) })(f),
    ],
    ["an FDB entry's destination", (f) => ({ ...f, fdb: first(f.fdb, { dst: "198.18.0.99" as Ipv4 }) })],
    ["an FDB entry's MAC", (f) => ({ ...f, fdb: first(f.fdb, { mac: "02:00:00:00:00:02" }) })],
    ["an FDB entry gone", (f) => ({ ...f, fdb: f.fdb.slice(1) })],
    [
      "a neighbour's MAC",
      (f) => ({ ...f, neighbours: first(f.neighbours, { mac: "02:00:00:00:00:03" as Dev["mac"] }) }),
    ],
    [
      "a neighbour's address",
      (f) => ({ ...f, neighbours: first(f.neighbours, { ip: "198.18.1.99" as Ipv4 }) }),
    ],
    [
      "a neighbour no longer permanent",
      (f) => ({ ...f, neighbours: first(f.neighbours, { state: ["REACHABLE"] }) }),
    ],
    ["a route's next hop", (f) => ({ ...f, routes: first(f.routes, { via: "198.18.1.99" as Ipv4 }) })],
    ["a route's device", (f) => ({ ...f, routes: first(f.routes, { dev: "eth0" }) })],
    ["a route's table", (f) => ({ ...f, routes: first(f.routes, { table: "100" }) })],
    ["a route's destination", (f) => ({ ...f, routes: first(f.routes, { dst: "10.9.0.0/24" as Cidr }) })],
    ["a route's onlink", (f) => ({ ...f, routes: first(f.routes, { flags: [] }) })],
    ["a route's metric", (f) => ({ ...f, routes: first(f.routes, { metric: 7 }) })],
    ["the connected route gone", (f) => ({ ...f, connected: [] })],
    ["the connected route's device", (f) => ({ ...f, connected: first(f.connected ?? [], { dev: "eth0" }) })],
  ])("%s", (_what, change) => {
    expect(managedState(change(base()))).not.toBe(managedState(base()));
  });
});

describe("managedState: what it leaves out", () => {
  it("the order the node lists things in", () => {
    const f = base();
    const shuffled: NodeFacts = {
      ...f,
      fdb: [...f.fdb].reverse(),
      neighbours: [...f.neighbours].reverse(),
      routes: [...f.routes].reverse(),
    };
    expect(managedState(shuffled)).toBe(managedState(f));
  });

  it("entries meshctl does not manage: a multicast FDB entry, an FDB entry without a destination, a stale neighbour", () => {
    const f = base();
    const more: NodeFacts = {
      ...f,
      fdb: [
        ...f.fdb,
        {
          mac: "00:00:00:00:00:00",
          dst: "239.1.1.1" as Ipv4,
          flags: ["self"],
          state: "permanent",
          kind: "multicast",
        },
        { mac: "02:00:00:00:00:09", flags: ["self"], state: "permanent", kind: "unicast" },
      ],
      neighbours: [
        ...f.neighbours,
        { ip: "198.18.1.77" as Ipv4, mac: "02:00:00:00:00:07" as Dev["mac"], state: ["STALE"], flags: [] },
      ],
    };
    expect(managedState(more)).toBe(managedState(f));
  });

  it("facts without the connected section count as none", () => {
    expect(managedState({ ...base(), connected: undefined })).toBe(
      managedState({ ...base(), connected: [] }),
    );
  });
});
