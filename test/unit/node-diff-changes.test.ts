/**
 * The node diff's own change records in full (what `diff` shows and `-o json` gives: before, after, phase,
 * destructive, stage, inverse), its refusals' exact messages, the underlay whose subnets choose direct
 * paths, and where an entry of a peer gone direct is deleted. Written against StrykerJS's survivors in
 * src/plan/node-diff.ts; expected values by hand from the builders' inventory (a1: 198.18.0.11 on eth0,
 * overlay 198.18.1.11/24, VNI 10001, routes to b1's two blocks and b2's one). Built inside each test.
 */
import { describe, expect, it } from "vitest";
import type { InterfaceFact, NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { NodeModel } from "../../src/model/types.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode, diffTeardown, resolveNode } from "../../src/plan/node-diff.js";
import { emptyFacts } from "../../src/plan/scratch.js";
import { convergedFacts, ip, model, nodeOf, withMode } from "../support/builders.js";

const a1 = () => nodeOf(model(), "a1");
const TAKES =
  "takes with it address 198.18.1.11/24, 3 fdb, 3 neighbour entries, routes: " +
  "198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77, 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77, " +
  "198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77";
const route = (dst: string, dev: string): RouteFact => ({
  dst: dst as RouteFact["dst"],
  type: "unicast",
  via: ip("198.18.0.1"),
  dev,
  protocol: 77,
  table: "main",
  flags: [],
});

describe("the device's change records", () => {
  it("create with no underlay known: the kernel chooses the device and the MTU; no MTU in the diff", () => {
    const n = a1();
    const d = diffNode(n, emptyFacts(n));
    const { forward, inverse, ...rest } = d.changes[0] as NonNullable<(typeof d.changes)[number]>;
    expect(rest).toEqual({
      resource: "device",
      key: "mshvx0",
      action: "create",
      after: "vxlan id 10001 dstport 4899 local 198.18.0.11 dev (kernel's choice) mtu auto",
      phase: "device",
    });
    expect(inverse.map(renderCmd)).toEqual(["ip link del mshvx0"]);
    expect(Object.keys(d)).toEqual(["changes"]);
  });

  it("the MTU the plan uses: the underlay's less 50, or the inventory's", () => {
    const n = a1();
    const f = convergedFacts(n);
    expect(diffNode(n, f)).toEqual({ changes: [], mtu: 1450 });
    const m = { ...n, device: { ...n.device, mtu: 1400 } };
    expect(diffNode(m, convergedFacts(m)).mtu).toBe(1400);
  });

  it("recreate: before names the old device (dev - when it had none) and all it takes with it", () => {
    const n = a1();
    const f = convergedFacts(n);
    f.device = { ...(f.device as NonNullable<NodeFacts["device"]>), vni: 42, underlayDev: undefined };
    const c = diffNode(n, f).changes[0];
    expect(c).toMatchObject({
      resource: "device",
      key: "mshvx0",
      action: "recreate",
      before: `vxlan id 42 port 4899 local 198.18.0.11 dev -; ${TAKES}`,
      after: "vni 42 → 10001, dev none → eth0",
      destructive: true,
      phase: "device",
    });
    expect(c?.stage).toBeUndefined();
  });

  it("retired when every peer goes direct: destructive, last, rebuilt on rollback without its routes", () => {
    const vx = nodeOf(withMode("vxlan"), "a1");
    const cs = diffNode(nodeOf(withMode("direct"), "a1"), convergedFacts(vx)).changes;
    const c = cs.at(-1);
    expect(c).toMatchObject({
      resource: "device",
      key: "mshvx0",
      action: "delete",
      before: `vxlan id 10001, no longer used (every peer is direct); ${TAKES}`,
      destructive: true,
      phase: "program",
      stage: "retire",
    });
    expect(c?.forward.map(renderCmd)).toEqual(["ip link del mshvx0"]);
    expect(c?.inverse.map(renderCmd)).toEqual([
      "ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning",
      "ip link set dev mshvx0 alias meshctl",
      "ip addr add 198.18.1.11/24 dev mshvx0",
      "ip link set dev mshvx0 up",
      "bridge fdb replace 02:6d:c6:12:01:0c dev mshvx0 dst 198.18.0.12 self permanent",
      "bridge fdb replace 02:6d:c6:12:01:0d dev mshvx0 dst 198.18.0.13 self permanent",
      "bridge fdb replace 02:6d:c6:12:01:0e dev mshvx0 dst 198.18.0.14 self permanent",
      "ip neigh replace 198.18.1.12 lladdr 02:6d:c6:12:01:0c dev mshvx0 nud permanent",
      "ip neigh replace 198.18.1.13 lladdr 02:6d:c6:12:01:0d dev mshvx0 nud permanent",
      "ip neigh replace 198.18.1.14 lladdr 02:6d:c6:12:01:0e dev mshvx0 nud permanent",
    ]);
  });

  it("teardown: the device deleted in the device phase, destructive, before naming what goes with it", () => {
    const n = a1();
    const [c, ...more] = diffTeardown(n, convergedFacts(n));
    expect(more).toEqual([]);
    expect(c).toMatchObject({
      resource: "device",
      key: "mshvx0",
      action: "delete",
      before: `vxlan id 10001; ${TAKES}`,
      destructive: true,
      phase: "device",
    });
  });
});

describe("refusals name every problem, joined by '; '", () => {
  it("two routes with meshctl's protocol id on other devices", () => {
    const n = a1();
    const f = convergedFacts(n);
    f.routes.push(route("198.18.96.0/24", "eth5"), route("198.18.97.0/24", "eth6"));
    const why = (dst: string, dev: string) =>
      `route ${dst} via 198.18.0.1 dev ${dev} proto 77 carries meshctl's protocol id but it is not on mshvx0: not meshctl's, left alone — remove it, or set mesh.route_protocol to a number nothing else uses`;
    expect(() => diffNode(n, f)).toThrow(
      `a1: ${why("198.18.96.0/24", "eth5")}; ${why("198.18.97.0/24", "eth6")}`,
    );
  });

  it("two paths back captured (lock-out)", () => {
    const n = a1();
    const f = {
      ...convergedFacts(n),
      sshClient: ip("198.18.40.5"),
      foreignRoutes: [{ ...route("0.0.0.0/0", "eth0"), via: ip("198.18.32.1"), protocol: "boot" as const }],
    };
    const why = (r: string, addr: string, what: string) =>
      `route ${r} would capture ${addr}, ${what} (now reached by 0.0.0.0/0 via 198.18.32.1 dev eth0): applying it would cut this node off (lock-out); renumber the range or the address`;
    expect(() => diffNode(n, f)).toThrow(
      `a1: ${why("198.18.40.0/26 via 198.18.1.13 (b1's pod block)", "198.18.40.5", "the address meshctl's SSH session comes from")}; ${why("198.18.32.0/26 via 198.18.1.13 (b1's pod block)", "198.18.32.1", "its default gateway")}`,
    );
  });
});

describe("the underlay whose subnets choose direct paths (mode auto)", () => {
  const iface = (name: string, addr: string, prefixLen: number): InterfaceFact => ({
    name,
    ifindex: name === "eth0" ? 2 : 3,
    mtu: 1500,
    up: true,
    addresses: [{ ip: ip(addr), prefixLen }],
  });
  const auto = (underlayDev?: string): NodeModel => {
    const n = nodeOf(withMode("auto"), "a1");
    return { ...n, device: { ...n.device, ...(underlayDev ? { underlayDev: underlayDev as never } : {}) } };
  };
  const facts = (n: NodeModel, interfaces: InterfaceFact[]): NodeFacts => ({
    ...emptyFacts(n),
    underlay: interfaces[0],
    interfaces,
  });
  const paths = (n: NodeModel, f: NodeFacts) => resolveNode(n, f).routes.map((r) => r.direct === true);

  it("the inventory's underlay_interface, found among the interfaces, not the holder of the local address", () => {
    const n = auto("eth1");
    // eth0 holds 198.18.0.11/32 (no peer on it); eth1's /24 holds the peers (.13, .14): direct.
    const f = facts(n, [iface("eth0", "198.18.0.11", 32), iface("eth1", "198.18.0.200", 24)]);
    expect(paths(n, f)).toEqual([true, true, true]);
    expect(resolveNode(n, f).tunnel).toBe(false);
  });

  it("an underlay_interface the node lacks: no connected subnet, so every peer takes the tunnel", () => {
    const n = auto("eth1");
    const f = facts(n, [iface("eth0", "198.18.0.11", 24)]);
    expect(paths(n, f)).toEqual([false, false, false]);
    expect(resolveNode(n, f).tunnel).toBe(true);
    // Without underlay_interface, the holder of the local address is the underlay: direct.
    expect(paths(auto(), facts(auto(), [iface("eth0", "198.18.0.11", 24)]))).toEqual([true, true, true]);
  });

  it("no interface known at all: the tunnel", () => {
    const n = auto();
    expect(paths(n, emptyFacts(n))).toEqual([false, false, false]);
  });
});

describe("entries in a switch to auto (make-before-break)", () => {
  /** a1 converged in vxlan mode on 198.18.0.11/32 + 198.18.0.12/31: b1 (.13) is on a subnet, b2 (.14) not. */
  function split(): NodeFacts {
    const f = convergedFacts(nodeOf(withMode("vxlan"), "a1"));
    const u = {
      ...(f.underlay as InterfaceFact),
      addresses: [
        { ip: ip("198.18.0.11"), prefixLen: 32 },
        { ip: ip("198.18.0.12"), prefixLen: 31 },
      ],
    };
    return { ...f, underlay: u, interfaces: [u] };
  }

  it("a peer still on the tunnel: its missing entry is added with the entries, the retired ones deleted last", () => {
    const f = split();
    f.fdb = f.fdb.filter((e) => e.mac !== "02:6d:c6:12:01:0e"); // b2's
    const cs = diffNode(nodeOf(withMode("auto"), "a1"), f).changes;
    expect(cs.map((c) => `${c.resource} ${c.action} ${c.key} ${c.phase} ${c.stage ?? "-"}`)).toEqual([
      "fdb create 02:6d:c6:12:01:0e (b2) fdb -",
      "route update 198.18.32.0/26 (b1) program -",
      "route update 198.18.40.0/26 (b1) program -",
      "neighbour delete 198.18.1.12 program retire",
      "neighbour delete 198.18.1.13 program retire",
      "fdb delete 02:6d:c6:12:01:0c dst 198.18.0.12 program retire",
      "fdb delete 02:6d:c6:12:01:0d dst 198.18.0.13 program retire",
    ]);
  });

  it("a stale second destination of a peer kept on the tunnel goes with the entries, not last", () => {
    const f = split();
    f.fdb.push({
      mac: "02:6d:c6:12:01:0e",
      dst: ip("198.18.0.99"),
      flags: ["self"],
      state: "permanent",
      kind: "unicast",
    });
    const cs = diffNode(nodeOf(withMode("auto"), "a1"), f).changes;
    expect(cs.map((c) => `${c.resource} ${c.action} ${c.key} ${c.phase} ${c.stage ?? "-"}`)).toEqual([
      "fdb delete 02:6d:c6:12:01:0e dst 198.18.0.99 fdb -",
      "route update 198.18.32.0/26 (b1) program -",
      "route update 198.18.40.0/26 (b1) program -",
      "neighbour delete 198.18.1.12 program retire",
      "neighbour delete 198.18.1.13 program retire",
      "fdb delete 02:6d:c6:12:01:0c dst 198.18.0.12 program retire",
      "fdb delete 02:6d:c6:12:01:0d dst 198.18.0.13 program retire",
    ]);
  });

  it("a learned neighbour made permanent is a change of the program phase", () => {
    const n = a1();
    const f = convergedFacts(n);
    f.neighbours = f.neighbours.map((x) => (x.ip === "198.18.1.14" ? { ...x, state: ["REACHABLE"] } : x));
    const cs = diffNode(n, f).changes;
    expect(cs.map((c) => [c.resource, c.action, c.key, c.before, c.after, c.phase])).toEqual([
      [
        "neighbour",
        "update",
        "198.18.1.14 (b2)",
        "lladdr 02:6d:c6:12:01:0e REACHABLE",
        "lladdr 02:6d:c6:12:01:0e permanent",
        "program",
      ],
    ]);
    expect(cs[0]?.inverse.map(renderCmd)).toEqual(["ip neigh del 198.18.1.14 dev mshvx0"]);
  });

  it("a permanent neighbour without a MAC: before says none; undone by deleting it (nothing to put back)", () => {
    const n = a1();
    const f = convergedFacts(n);
    f.neighbours = f.neighbours.map((x) => (x.ip === "198.18.1.14" ? { ...x, mac: undefined } : x));
    const cs = diffNode(n, f).changes;
    expect(cs.map((c) => [c.key, c.before])).toEqual([["198.18.1.14 (b2)", "lladdr none PERMANENT"]]);
    expect(cs[0]?.inverse.map(renderCmd)).toEqual(["ip neigh del 198.18.1.14 dev mshvx0"]);
  });
});
