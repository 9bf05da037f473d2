import { describe, expect, it } from "vitest";
import { InputError } from "../../src/inventory/errors.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import { connectedSubnets, pairMode, resolvePaths } from "../../src/model/paths.js";
import { type Cidr, cidr } from "../../src/net/addr.js";
import { ip, model, nodeOf, THREE_BY_TWO, withMode } from "../support/builders.js";

const ONE: Cidr[] = [cidr("198.18.0.0/24")];
const resolved = (m: ReturnType<typeof model>, name: string, nets: Cidr[]) => {
  const r = resolvePaths(nodeOf(m, name), nets, "eth0");
  if (!r.ok) throw new Error(r.why);
  return r.node;
};

describe("pairMode", () => {
  it.each([
    ["vxlan", "vxlan", "vxlan"],
    ["vxlan", "direct", "vxlan"],
    ["auto", "vxlan", "vxlan"],
    ["direct", "direct", "direct"],
    ["direct", "auto", "direct"],
    ["auto", "direct", "direct"],
    ["auto", "auto", "auto"],
  ] as const)("%s × %s → %s", (a, b, want) => {
    expect(pairMode(a, b)).toBe(want);
  });
});

describe("mode in the inventory and the model", () => {
  it("default vxlan; a cluster overrides the mesh; pairs get the combined mode", () => {
    expect(nodeOf(model(), "a1").mode).toBe("vxlan");
    const m = withMode("auto", "direct");
    expect(nodeOf(m, "a1").mode).toBe("auto");
    expect(nodeOf(m, "b1").mode).toBe("direct");
    expect(nodeOf(m, "a1").routes.map((r) => r.pair)).toEqual(["direct", "direct", "direct"]);
    expect(nodeOf(m, "a1").fdb.map((f) => `${f.peer}:${f.pair}`)).toEqual([
      "a2:auto",
      "b1:direct",
      "b2:direct",
    ]);
    expect(nodeOf(m, "b1").fdb.map((f) => `${f.peer}:${f.pair}`)).toEqual([
      "a1:direct",
      "a2:direct",
      "b2:direct",
    ]);
  });

  it("routes know the peer's underlay address", () => {
    const r = nodeOf(model(), "a1").routes[0];
    expect(r).toMatchObject({ peer: "b1", via: "198.18.1.13", underlay: "198.18.0.13" });
  });

  it("an unknown mode is refused", () => {
    const text = THREE_BY_TWO.replace("  route_protocol: 77\n", "  route_protocol: 77\n  mode: tunnel\n");
    expect(() => loadInventoryText(text, "t.yaml")).toThrow(InputError);
  });
});

describe("connectedSubnets", () => {
  it("the networks of the addresses", () => {
    expect(
      connectedSubnets([
        { ip: ip("198.18.0.11"), prefixLen: 24 },
        { ip: ip("198.19.3.7"), prefixLen: 30 },
        { ip: ip("198.18.9.9"), prefixLen: 32 },
      ]),
    ).toEqual(["198.18.0.0/24", "198.19.3.4/30", "198.18.9.9/32"]);
  });
});

describe("resolvePaths", () => {
  it("vxlan: unchanged, every peer through the tunnel, the device wanted", () => {
    const a1 = nodeOf(model(), "a1");
    const r = resolved(model(), "a1", ONE);
    expect(r.tunnel).toBe(true);
    expect(r.routes.every((x) => x.direct === undefined)).toBe(true);
    expect(r.routes.map((x) => x.via)).toEqual(a1.routes.map((x) => x.via));
    expect(r.fdb).toHaveLength(3);
    expect(r.neighbours).toHaveLength(3);
  });

  it("vxlan with no subnet known at all: still the tunnel", () => {
    expect(resolved(model(), "a1", []).tunnel).toBe(true);
  });

  it("direct: every route via the peer's underlay address, no FDB, no neighbours, no device", () => {
    const r = resolved(withMode("direct"), "a1", ONE);
    expect(r.routes.map((x) => `${x.dst} ${x.via} ${x.direct}`)).toEqual([
      "198.18.32.0/26 198.18.0.13 true",
      "198.18.40.0/26 198.18.0.13 true",
      "198.18.32.64/26 198.18.0.14 true",
    ]);
    expect(r.fdb).toEqual([]);
    expect(r.neighbours).toEqual([]);
    expect(r.tunnel).toBe(false);
  });

  it("direct: refused, naming every peer off the connected subnets and the subnets", () => {
    const r = resolvePaths(nodeOf(withMode("direct"), "a1"), [cidr("198.18.0.0/29")], "eth0");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.why).toContain(
      "b1 (198.18.0.13), b2 (198.18.0.14) not on a connected subnet of eth0 (198.18.0.0/29)",
    );
    const none = resolvePaths(nodeOf(withMode("direct"), "a1"), [], "eth0");
    expect(none.ok ? "" : none.why).toContain("of eth0 (none)");
  });

  it("auto: direct for peers on a connected subnet, the tunnel (with FDB and neighbour) for the others", () => {
    const r = resolved(withMode("auto"), "a1", [cidr("198.18.0.8/29")]);
    // 198.18.0.8/29 holds .8–.15: b1 (.13) and b2 (.14) are direct
    expect(r.routes.every((x) => x.direct)).toBe(true);
    expect(r.tunnel).toBe(false);
    // 198.18.0.12/31 holds .12 and .13: b1 only
    const split = resolved(withMode("auto"), "a1", [cidr("198.18.0.12/31")]);
    expect(split.routes.map((x) => `${x.peer} ${x.via} ${x.direct ?? "tunnel"}`)).toEqual([
      "b1 198.18.0.13 true",
      "b1 198.18.0.13 true",
      "b2 198.18.1.14 tunnel",
    ]);
    expect(split.fdb.map((f) => f.peer)).toEqual(["b2"]);
    expect(split.neighbours.map((n) => n.peer)).toEqual(["b2"]);
    expect(split.tunnel).toBe(true);
  });

  it("auto: a same-cluster peer off the subnet needs no tunnel (no routes to it)", () => {
    const r = resolved(withMode("auto"), "a1", [cidr("198.18.0.13/32"), cidr("198.18.0.14/32")]);
    expect(r.fdb).toEqual([]);
    expect(r.tunnel).toBe(false);
  });

  it("a direct cluster next to a vxlan one: the pair takes the tunnel, so the device stays", () => {
    const r = resolved(withMode("vxlan", "direct"), "b1", ONE);
    expect(r.routes.every((x) => x.direct === undefined)).toBe(true);
    expect(r.fdb.map((f) => f.peer)).toEqual(["a1", "a2"]); // not b2: its own cluster, a direct pair
    expect(r.tunnel).toBe(true);
  });
});

describe("paths: the edges", () => {
  it("a /0 address is on the whole IPv4 space", () => {
    expect(connectedSubnets([{ ip: ip("198.18.0.11"), prefixLen: 0 }])).toEqual(["0.0.0.0/0"]);
  });

  it("mode vxlan wants the device even with no peer at all (a mesh of one node)", () => {
    const alone = { ...nodeOf(model(), "a1"), fdb: [], neighbours: [], routes: [] };
    const r = resolvePaths(alone, ONE, "eth0");
    expect(r.ok && r.node.tunnel).toBe(true);
    const direct = { ...nodeOf(withMode("direct"), "a1"), fdb: [], neighbours: [], routes: [] };
    const d = resolvePaths(direct, ONE, "eth0");
    expect(d.ok && d.node.tunnel).toBe(false);
  });

  it("a direct refusal lists every connected subnet, and names the underlay generically when not told", () => {
    const nets = [cidr("198.18.0.0/29"), cidr("198.19.0.0/24")];
    const r = resolvePaths(nodeOf(withMode("direct"), "a1"), nets);
    expect(r.ok ? "" : r.why).toContain(
      "not on a connected subnet of the underlay (198.18.0.0/29, 198.19.0.0/24)",
    );
  });
});

describe("resolvePaths keeps the entries of the tunnel's peers, whatever the lists look like", () => {
  // The reference: the peers of vxlan FDB entries and of routes through the tunnel; their entries stay.
  const reference = (n: ReturnType<typeof nodeOf>, nets: Cidr[]) => {
    const on = (x: string) => nets.some((c) => connectedSubnets([{ ip: ip(x), prefixLen: 24 }])[0] === c);
    const tunnelRoutes = n.routes.filter(
      (r) => !(r.pair === "direct" || (r.pair === "auto" && on(r.underlay))),
    );
    const peers = new Set([
      ...n.fdb.filter((f) => f.pair === "vxlan").map((f) => f.peer),
      ...tunnelRoutes.map((r) => r.peer),
    ]);
    return {
      fdb: n.fdb.filter((f) => peers.has(f.peer)),
      neighbours: n.neighbours.filter((x) => peers.has(x.peer)),
      tunnel: n.mode === "vxlan" || peers.size > 0,
    };
  };
  const cases: [string, (n: ReturnType<typeof nodeOf>) => ReturnType<typeof nodeOf>][] = [
    ["as built", (n) => n],
    ["neighbours in another order", (n) => ({ ...n, neighbours: [...n.neighbours].reverse() })],
    [
      "a neighbour without an FDB entry, no route",
      (n) => ({ ...n, fdb: n.fdb.filter((f) => f.peer !== "b2") }),
    ],
    [
      "a neighbour without an FDB entry, routes",
      (n) => ({ ...n, fdb: n.fdb.filter((f) => f.peer !== "a1") }),
    ],
    [
      "the same number of entries, other peers",
      (n) => ({ ...n, fdb: n.fdb.map((f) => (f.peer === "b2" ? { ...f, peer: "zz" as typeof f.peer } : f)) }),
    ],
    ["an FDB entry without a neighbour", (n) => ({ ...n, neighbours: n.neighbours.slice(1) })],
    ["no entries, mode auto", (n) => ({ ...n, mode: "auto", fdb: [], neighbours: [] })],
    // A vxlan node off the shortcut (no FDB entry, no route): the device is still wanted for its mode.
    ["neighbours only, no FDB entry, no route", (n) => ({ ...n, fdb: [], routes: [] })],
    // The shortcut (every FDB entry of a vxlan pair) with no route: the entries alone want the device.
    [
      "vxlan FDB entries only, no route",
      (n) => ({ ...n, fdb: n.fdb.map((f) => ({ ...f, pair: "vxlan" as const })), routes: [] }),
    ],
    [
      "no entries, no routes, mode auto",
      (n) => ({ ...n, mode: "auto", fdb: [], neighbours: [], routes: [] }),
    ],
  ];
  for (const mesh of ["vxlan", "auto"] as const) {
    for (const nets of [[], ONE]) {
      for (const [what, change] of cases) {
        it(`${mesh}, ${nets.length} connected subnet(s): ${what}`, () => {
          const n = change(nodeOf(withMode(mesh), "b1"));
          const r = resolvePaths(n, nets, "eth0");
          if (!r.ok) throw new Error(r.why);
          const want = reference(n, nets);
          expect({ fdb: r.node.fdb, neighbours: r.node.neighbours, tunnel: r.node.tunnel }).toEqual(want);
        });
      }
    }
  }
});
