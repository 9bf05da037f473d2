import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { desiredPools } from "../../src/cni/calico/pools.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import type { Inventory } from "../../src/inventory/types.js";
import { buildModel, type DiscoveredBlocks } from "../../src/model/build.js";
import { nodesWithoutBlocks } from "../../src/model/resolve.js";
import type { ClusterModel, NodeModel } from "../../src/model/types.js";
import { type Cidr, cidr, type DnsLabel } from "../../src/net/addr.js";

/** Three clusters; a-1 owns two blocks, b-2 none (to be discovered), c-1 one. */
const TEXT = `mesh:
  device: vxlan-t
  vni: 42
  port: 4900
  overlay: 179.17.0.0/16
  mtu: 1400
  route_protocol: 78
  underlay_interface: eth0
  ssh:
    user: deploy
    identity_file: keys/mesh
    known_hosts: ~/.ssh/mesh_hosts
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.101.0.0/16
    underlay_interface: ens3
    ssh:
      port: 2200
      identity_file: ~/a.key
    nodes:
      - name: a-1
        host: 192.168.1.11
        pod_blocks: [10.1.1.0/24, 10.1.2.0/26]
        ssh: {user: root}
      - name: a-2
        host: 192.168.1.12
        pod_blocks: [10.1.3.0/24]
        underlay_interface: bond0
        ssh: {identity_file: /abs/a2.key, become: false}
  - name: b
    pod_cidr: 10.2.0.0/16
    service_cidr: 10.102.0.0/16
    nodes:
      - name: b-1
        host: 192.168.2.11
        pod_blocks: [10.2.1.0/24]
      - name: b-2
        host: b-2.example.com
        underlay_ip: 192.168.2.12
  - name: c
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.103.0.0/16
    nodes:
      - name: c-1
        host: 192.168.3.11
        pod_blocks: [10.3.1.0/24]
`;

const inv: Inventory = loadInventoryText(TEXT, "/etc/meshctl/mesh.yaml");
const ALL = ["a-1", "a-2", "b-1", "b-2", "c-1"];

function nodeOf(nodes: NodeModel[], name: string): NodeModel {
  const n = nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

describe("per node: one neighbour and one FDB entry per peer", () => {
  const model = buildModel(inv);
  const invNode = (name: string) => inv.clusters.flatMap((c) => c.nodes).find((n) => n.name === name);

  it("has every inventory node once, in order", () => {
    expect(model.nodes.map((n) => n.name)).toEqual(ALL);
    expect(model.nodes.map((n) => n.cluster)).toEqual(["a", "a", "b", "b", "c"]);
  });

  for (const name of ALL) {
    it(`${name}: all other nodes, same cluster included, never itself`, () => {
      const n = nodeOf(model.nodes, name);
      const peers = ALL.filter((p) => p !== name);
      expect(n.neighbours.map((x) => x.peer)).toEqual(peers);
      expect(n.fdb.map((x) => x.peer)).toEqual(peers);
      for (const p of peers) {
        const peer = invNode(p);
        expect(n.neighbours.find((x) => x.peer === p)).toEqual({
          peer: p,
          ip: peer?.overlayIp,
          mac: peer?.mac,
        });
        expect(n.fdb.find((x) => x.peer === p)).toEqual({
          peer: p,
          mac: peer?.mac,
          dst: peer?.underlayIp,
          pair: "vxlan",
        });
      }
    });
  }

  it("FDB entries go to the underlay IP (underlay_ip for a DNS host), neighbours to the overlay IP", () => {
    const a1 = nodeOf(model.nodes, "a-1");
    expect(a1.fdb.find((x) => x.peer === "b-2")).toEqual({
      peer: "b-2",
      mac: "02:6d:b3:11:02:0c",
      dst: "192.168.2.12",
      pair: "vxlan",
    });
    expect(a1.neighbours.find((x) => x.peer === "b-2")).toEqual({
      peer: "b-2",
      ip: "179.17.2.12",
      mac: "02:6d:b3:11:02:0c",
    });
  });
});

describe("routes: one per pod block of every node of the other clusters", () => {
  it("without discovery: nodes of other clusters with blocks, none to the own cluster, two for a two-block node", () => {
    const model = buildModel(inv);
    expect(nodeOf(model.nodes, "a-1").routes).toEqual([
      { peer: "b-1", dst: "10.2.1.0/24", via: "179.17.2.11", underlay: "192.168.2.11", pair: "vxlan" },
      { peer: "c-1", dst: "10.3.1.0/24", via: "179.17.3.11", underlay: "192.168.3.11", pair: "vxlan" },
    ]);
    expect(nodeOf(model.nodes, "b-1").routes).toEqual([
      { peer: "a-1", dst: "10.1.1.0/24", via: "179.17.1.11", underlay: "192.168.1.11", pair: "vxlan" },
      { peer: "a-1", dst: "10.1.2.0/26", via: "179.17.1.11", underlay: "192.168.1.11", pair: "vxlan" },
      { peer: "a-2", dst: "10.1.3.0/24", via: "179.17.1.12", underlay: "192.168.1.12", pair: "vxlan" },
      { peer: "c-1", dst: "10.3.1.0/24", via: "179.17.3.11", underlay: "192.168.3.11", pair: "vxlan" },
    ]);
    expect(nodeOf(model.nodes, "c-1").routes.map((r) => r.dst)).toEqual([
      "10.1.1.0/24",
      "10.1.2.0/26",
      "10.1.3.0/24",
      "10.2.1.0/24",
    ]);
  });

  it("discovered blocks are used for a node whose inventory lists none, and only for it", () => {
    const discovered: DiscoveredBlocks = new Map<string, Cidr[]>([
      ["b-2", [cidr("10.2.2.0/26"), cidr("10.2.2.64/26")]],
      ["a-1", [cidr("10.1.99.0/24")]], // ignored: the inventory lists a-1's blocks
    ]);
    const model = buildModel(inv, discovered);
    expect(nodeOf(model.nodes, "b-2").podBlocks).toEqual(["10.2.2.0/26", "10.2.2.64/26"]);
    expect(nodeOf(model.nodes, "a-1").podBlocks).toEqual(["10.1.1.0/24", "10.1.2.0/26"]);
    expect(nodeOf(model.nodes, "c-1").routes.map((r) => `${r.peer} ${r.dst} ${r.via}`)).toEqual([
      "a-1 10.1.1.0/24 179.17.1.11",
      "a-1 10.1.2.0/26 179.17.1.11",
      "a-2 10.1.3.0/24 179.17.1.12",
      "b-1 10.2.1.0/24 179.17.2.11",
      "b-2 10.2.2.0/26 179.17.2.12",
      "b-2 10.2.2.64/26 179.17.2.12",
    ]);
    // b-1 is in b-2's cluster: no route to b-2's blocks.
    expect(nodeOf(model.nodes, "b-1").routes.some((r) => r.peer === "b-2")).toBe(false);
    expect(nodesWithoutBlocks(model)).toEqual([]);
  });

  it("without any discovery (plan), a node without blocks has no podBlocks; the others keep theirs", () => {
    const model = buildModel(inv);
    expect(nodeOf(model.nodes, "b-2")).not.toHaveProperty("podBlocks");
    expect(model.nodes.map((n) => n.podBlocks?.length ?? 0)).toEqual(
      inv.clusters.flatMap((c) => c.nodes.map((n) => n.podBlocks?.length ?? 0)),
    );
  });

  it("a node with neither inventory nor discovered blocks has no podBlocks and gets no routes", () => {
    const model = buildModel(inv, new Map());
    expect(nodeOf(model.nodes, "b-2")).not.toHaveProperty("podBlocks");
    expect(nodeOf(model.nodes, "a-1").routes.some((r) => r.peer === "b-2")).toBe(false);
    expect(nodesWithoutBlocks(model).map((n) => n.name)).toEqual(["b-2"]);
  });

  it("the model's block lists are copies: mutating them changes neither the inventory nor the discovery", () => {
    const blocks = [cidr("10.2.2.0/26")];
    const model = buildModel(inv, new Map([["b-2", blocks]]));
    nodeOf(model.nodes, "b-2").podBlocks?.push(cidr("10.2.9.0/24"));
    nodeOf(model.nodes, "a-1").podBlocks?.push(cidr("10.1.9.0/24"));
    expect(blocks).toEqual(["10.2.2.0/26"]);
    expect(inv.clusters[0]?.nodes[0]?.podBlocks).toEqual(["10.1.1.0/24", "10.1.2.0/26"]);
  });
});

describe("device and route protocol", () => {
  const model = buildModel(inv);

  it("device spec from the mesh settings and the node's own addresses", () => {
    expect(nodeOf(model.nodes, "a-1").device).toEqual({
      name: "vxlan-t",
      vni: 42,
      port: 4900,
      localIp: "192.168.1.11",
      underlayDev: "ens3",
      mac: "02:6d:b3:11:01:0b",
      address: "179.17.1.11",
      prefixLen: 16,
      mtu: 1400,
    });
    expect(nodeOf(model.nodes, "a-1").routeProtocol).toBe(78);
  });

  it("underlay_interface: node overrides cluster overrides mesh", () => {
    expect(model.nodes.map((n) => n.device.underlayDev)).toEqual(["ens3", "bond0", "eth0", "eth0", "eth0"]);
  });

  it("no underlay_interface anywhere: no underlayDev (found at fact time)", () => {
    const bare = loadInventoryText(TEXT.replace(/^ *underlay_interface: .*\n/gm, ""));
    for (const n of buildModel(bare).nodes) expect(n.device).not.toHaveProperty("underlayDev");
  });
});

describe("ssh inheritance in the model", () => {
  const model = buildModel(inv);
  const ssh = (name: string) => nodeOf(model.nodes, name).ssh;

  it("node overrides cluster overrides mesh; ~ and relative paths are resolved", () => {
    expect(ssh("a-1")).toEqual({
      host: "192.168.1.11",
      port: 2200,
      user: "root", // node
      identityFile: join(homedir(), "a.key"), // cluster, ~ resolved
      knownHosts: join(homedir(), ".ssh/mesh_hosts"), // mesh
      become: false, // root
      connectTimeoutMs: 10_000,
      explicit: ["user", "port", "identityFile", "knownHosts"],
    });
    expect(ssh("a-2")).toMatchObject({
      port: 2200,
      user: "deploy",
      identityFile: "/abs/a2.key",
      become: false,
    });
    expect(ssh("b-1")).toMatchObject({
      port: 22,
      user: "deploy",
      identityFile: "/etc/meshctl/keys/mesh", // relative to the inventory's directory
      become: true, // non-root user, not set anywhere
    });
  });

  it("the SSH host is the inventory's host, even when it is a name", () => {
    expect(ssh("b-2").host).toBe("b-2.example.com");
    expect(nodeOf(model.nodes, "b-2").device.localIp).toBe("192.168.2.12");
  });
});

describe("IPPools: pod-<other> and svc-<other> for every other cluster", () => {
  const model = buildModel(inv);

  it("per cluster, in cluster order, never its own", () => {
    const pools = (name: string) =>
      desiredPools({ name: name as DnsLabel }, model.clusters).map(
        (p) => `${p.name} ${p.cidr} ${p.kind} ${p.forCluster}`,
      );
    expect(pools("a")).toEqual([
      "pod-b 10.2.0.0/16 pod b",
      "svc-b 10.102.0.0/16 svc b",
      "pod-c 10.3.0.0/16 pod c",
      "svc-c 10.103.0.0/16 svc c",
    ]);
    expect(pools("b")).toEqual([
      "pod-a 10.1.0.0/16 pod a",
      "svc-a 10.101.0.0/16 svc a",
      "pod-c 10.3.0.0/16 pod c",
      "svc-c 10.103.0.0/16 svc c",
    ]);
    expect(pools("c")?.map((p) => p.split(" ")[0])).toEqual(["pod-a", "svc-a", "pod-b", "svc-b"]);
  });

  it("clusters carry their own settings; control defaults to the first node", () => {
    expect(model.clusters.map((c) => [c.name, c.podCidr, c.serviceCidr, c.cni, c.control])).toEqual([
      ["a", "10.1.0.0/16", "10.101.0.0/16", "calico", "a-1"],
      ["b", "10.2.0.0/16", "10.102.0.0/16", "calico", "b-1"],
      ["c", "10.3.0.0/16", "10.103.0.0/16", "calico", "c-1"],
    ]);
  });

  it("a single cluster: no pools and no routes, but still neighbours between its nodes", () => {
    const one = buildModel(
      loadInventoryText(`mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: solo
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - {name: s-1, host: 192.168.0.1, pod_blocks: [10.1.1.0/24]}
      - {name: s-2, host: 192.168.0.2, pod_blocks: [10.1.2.0/24]}
`),
    );
    expect(desiredPools(one.clusters[0] as ClusterModel, one.clusters)).toEqual([]);
    for (const n of one.nodes) {
      expect(n.routes).toEqual([]);
      expect(n.neighbours).toHaveLength(1);
      expect(n.fdb).toHaveLength(1);
    }
  });
});

describe("purity", () => {
  it("buildModel does not change the inventory and gives equal models for equal input", () => {
    const snapshot = structuredClone(inv);
    const discovered = new Map([["b-2", [cidr("10.2.2.0/26")]]]);
    const first = buildModel(inv, discovered);
    expect(inv).toEqual(snapshot);
    expect(buildModel(inv, discovered)).toEqual(first);
  });
});
