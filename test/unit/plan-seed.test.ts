import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/load.js";
import { buildModel } from "../../src/model/build.js";
import { planFromScratch } from "../../src/plan/scratch.js";

/** The seed article's table (../shared/seed/README.md), transcribed independently of inventories/seed.yaml. */
const SEED = [
  [
    "multicluster-test-001",
    "test-cluster1",
    "192.168.0.21",
    "179.17.1.21",
    "c2:6a:9b:e5:39:8d",
    "10.234.111.0/24",
  ],
  [
    "multicluster-test-002",
    "test-cluster1",
    "192.168.0.31",
    "179.17.1.31",
    "7a:3a:fe:45:a3:76",
    "10.234.118.0/24",
  ],
  [
    "multicluster-test-003",
    "test-cluster2",
    "192.168.0.16",
    "179.17.1.16",
    "36:f9:67:c0:70:1c",
    "10.235.88.0/24",
  ],
  [
    "multicluster-test-004",
    "test-cluster2",
    "192.168.0.44",
    "179.17.1.44",
    "12:d1:df:44:3d:aa",
    "10.235.113.0/24",
  ],
  [
    "multicluster-test-005",
    "test-cluster3",
    "192.168.0.15",
    "179.17.1.15",
    "ba:a7:54:aa:bc:ce",
    "10.236.115.0/24",
  ],
  [
    "multicluster-test-006",
    "test-cluster3",
    "192.168.0.13",
    "179.17.1.13",
    "4e:ac:f5:6f:4e:76",
    "10.236.106.0/24",
  ],
] as const;
const CLUSTER_CIDRS: Record<string, [string, string]> = {
  "test-cluster1": ["10.234.64.0/18", "10.234.0.0/18"],
  "test-cluster2": ["10.235.64.0/18", "10.235.0.0/18"],
  "test-cluster3": ["10.236.64.0/18", "10.236.0.0/18"],
};

describe("plan for the seed inventory", async () => {
  const inv = await loadInventory("inventories/seed.yaml");
  // The plan is made in each test, not at collection: a mutant of the model or the plan that breaks it must
  // fail a test, not the file's collection (which Stryker counts as "survived").
  const planOf = () => planFromScratch(buildModel(inv));

  it("has one entry per seed node", () => {
    expect(planOf().nodes.map((n) => n.name)).toEqual(SEED.map((s) => s[0]));
  });

  for (const [name, cluster, underlay, overlay, mac] of SEED) {
    it(`${name}: device, address and up, as the article's commands`, () => {
      const cmds = planOf().nodes.find((n) => n.name === name)?.commands ?? [];
      expect(cmds.slice(0, 4)).toEqual([
        `ip link add vxlan-test address ${mac} type vxlan id 10001 dstport 4899 local ${underlay} dev eth0 nolearning`,
        "ip link set dev vxlan-test alias meshctl",
        `ip addr add ${overlay}/24 dev vxlan-test`,
        "ip link set dev vxlan-test up",
      ]);
    });

    it(`${name}: one FDB and one permanent neighbour per other node, routes to the other clusters' blocks`, () => {
      const cmds = planOf().nodes.find((n) => n.name === name)?.commands ?? [];
      const others = SEED.filter((s) => s[0] !== name);
      const fdb = cmds.filter((c) => c.startsWith("bridge fdb"));
      const neigh = cmds.filter((c) => c.startsWith("ip neigh"));
      const routes = cmds.filter((c) => c.startsWith("ip route"));
      expect(fdb).toEqual(
        others.map((o) => `bridge fdb replace ${o[4]} dev vxlan-test dst ${o[2]} self permanent`),
      );
      expect(neigh).toEqual(
        others.map((o) => `ip neigh replace ${o[3]} lladdr ${o[4]} dev vxlan-test nud permanent`),
      );
      const remote = SEED.filter((s) => s[1] !== cluster);
      expect(routes).toEqual(
        remote.map((o) => `ip route add ${o[5]} via ${o[3]} dev vxlan-test proto 77 onlink`),
      );
      // Flannel's order: every FDB entry before any neighbour, every neighbour before any route.
      const last = (xs: string[]) => cmds.indexOf(xs[xs.length - 1] as string);
      expect(last(fdb)).toBeLessThan(cmds.indexOf(neigh[0] as string));
      expect(last(neigh)).toBeLessThan(cmds.indexOf(routes[0] as string));
      expect(cmds).toHaveLength(4 + fdb.length + neigh.length + routes.length);
    });
  }

  it("routes the third cluster's blocks to test-cluster3's nodes (the article's slip corrected)", () => {
    const n1 = planOf().nodes.find((n) => n.name === "multicluster-test-001")?.commands ?? [];
    expect(n1).toContain("ip route add 10.236.115.0/24 via 179.17.1.15 dev vxlan-test proto 77 onlink");
    expect(n1).toContain("ip route add 10.236.106.0/24 via 179.17.1.13 dev vxlan-test proto 77 onlink");
  });

  it("gives every cluster a disabled, no-NAT pool per other cluster's pod and service CIDR", () => {
    for (const c of planOf().clusters) {
      const expected = Object.entries(CLUSTER_CIDRS)
        .filter(([name]) => name !== c.name)
        .flatMap(([name, [pod, svc]]) => [
          { name: `pod-${name}`, cidr: pod },
          { name: `svc-${name}`, cidr: svc },
        ]);
      expect(c.resources.map((p) => ({ name: p.metadata.name, cidr: p.spec.cidr }))).toEqual(expected);
      for (const p of c.resources) {
        expect(p.spec.natOutgoing).toBe(false);
        expect(p.spec.disabled).toBe(true);
        expect(p.metadata.labels["app.kubernetes.io/managed-by"]).toBe("meshctl");
      }
    }
  });

  it("the seed inventory file states the seed's device settings", () => {
    const text = readFileSync("inventories/seed.yaml", "utf8");
    expect(text).toMatch(/device: vxlan-test/);
    expect(inv.mesh).toMatchObject({
      device: "vxlan-test",
      vni: 10001,
      port: 4899,
      overlay: "179.17.1.0/24",
    });
  });
});
