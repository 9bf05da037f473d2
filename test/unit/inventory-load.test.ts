/** What a valid inventory resolves to: defaults, inheritance, allocation, paths (good fixtures). */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { formatIssue, InputError } from "../../src/inventory/errors.js";
import { loadInventory, loadInventoryText, resolvePath } from "../../src/inventory/load.js";
import type { Inventory, InventoryNode } from "../../src/inventory/types.js";

const GOOD = "test/fixtures/inventories/good";
const GOOD_ABS = resolve(GOOD);

function node(inv: Inventory, name: string): InventoryNode {
  const n = inv.clusters.flatMap((c) => c.nodes).find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

function issuesOf(text: string) {
  try {
    loadInventoryText(text, "t.yaml");
  } catch (e) {
    if (e instanceof InputError) return e.issues;
    throw e;
  }
  throw new Error("loaded without problems");
}

describe("minimal inventory: defaults", () => {
  // Loaded in each test, not at collection: Stryker activates a mutant only once tests run, and
  // attributes coverage to the test that ran the code (a load at collection is never mutated).
  const load = () => loadInventory(join(GOOD, "minimal.yaml"));

  it("mesh defaults", async () => {
    const inv = await load();
    expect(inv.mesh).toEqual({
      device: "vxlan-mesh",
      vni: 10001,
      port: 4899,
      overlay: "179.17.1.0/24",
      mtu: "auto",
      routeProtocol: 77,
      mode: "vxlan",
      persist: true,
    });
  });

  it("cluster defaults: calico, control is the first node, no kubeconfig/context", async () => {
    const inv = await load();
    const c = inv.clusters[0];
    expect(c?.cni).toBe("calico");
    expect(c?.mode).toBe("vxlan");
    expect(c?.control).toBe("solo-1");
    expect(c).not.toHaveProperty("kubeconfig");
    expect(c).not.toHaveProperty("context");
  });

  it("node defaults: root over port 22 without sudo, ~/.ssh/known_hosts, 10 s, allocated overlay IP and MAC", async () => {
    const inv = await load();
    const n = node(inv, "solo-1");
    expect(n.ssh).toEqual({
      host: "192.168.0.21",
      port: 22,
      user: "root",
      knownHosts: join(homedir(), ".ssh/known_hosts"),
      become: false,
      connectTimeoutMs: 10_000,
      explicit: [], // every value above is a default that ~/.ssh/config may replace
    });
    expect(n.underlayIp).toBe("192.168.0.21");
    expect(n).not.toHaveProperty("underlayInterface");
    expect(n).not.toHaveProperty("podBlocks");
    expect(n.overlayIp).toBe("179.17.1.21");
    expect(n.mac).toBe("02:6d:b3:11:01:15");
  });
});

describe("ssh settings and underlay_interface inherit mesh → cluster → node", () => {
  // Loaded in each test, not at collection: Stryker activates a mutant only once tests run, and
  // attributes coverage to the test that ran the code (a load at collection is never mutated).
  const load = () => loadInventory(join(GOOD, "ssh-inheritance.yaml"));

  it("a node without settings takes the cluster's, then the mesh's, key by key", async () => {
    const inv = await load();
    const n = node(inv, "east-1");
    expect(n.ssh).toEqual({
      host: "192.168.1.11",
      port: 2200, // cluster
      user: "deploy", // mesh
      identityFile: join(homedir(), ".ssh/east_ed25519"), // cluster, ~ resolved
      knownHosts: join(homedir(), ".ssh/mesh_known_hosts"), // mesh, ~ resolved
      become: true, // non-root user
      connectTimeoutMs: 5000, // mesh
      explicit: ["user", "port", "identityFile", "knownHosts", "connectTimeout"],
    });
    expect(n.underlayInterface).toBe("ens3"); // cluster overrides mesh
  });

  it("node settings override the cluster's and the mesh's", async () => {
    const inv = await load();
    const n = node(inv, "east-2");
    expect(n.ssh).toEqual({
      host: "192.168.1.12",
      port: 2200,
      user: "root",
      identityFile: "/etc/meshctl/east-2.key",
      knownHosts: join(homedir(), ".ssh/mesh_known_hosts"),
      become: true, // explicit, although root
      connectTimeoutMs: 500,
      explicit: ["user", "port", "identityFile", "knownHosts", "become", "connectTimeout"],
    });
    expect(n.underlayInterface).toBe("bond0.100");
  });

  it("a cluster without settings passes the mesh's through; relative paths are next to the inventory", async () => {
    const inv = await load();
    const n = node(inv, "west-1");
    expect(n.ssh).toEqual({
      host: "192.168.2.11",
      port: 2222,
      user: "deploy",
      identityFile: join(GOOD_ABS, "keys/mesh_ed25519"),
      knownHosts: join(GOOD_ABS, "known_hosts"),
      become: false, // explicit, although not root
      connectTimeoutMs: 5000,
      explicit: ["user", "port", "identityFile", "knownHosts", "become", "connectTimeout"],
    });
    expect(n.underlayInterface).toBe("eth0");
  });
});

describe("pinned and allocated addresses", () => {
  // Loaded in each test, not at collection: Stryker activates a mutant only once tests run, and
  // attributes coverage to the test that ran the code (a load at collection is never mutated).
  const load = () => loadInventory(join(GOOD, "pinned-and-allocated.yaml"));

  it("explicit mesh and cluster settings are kept", async () => {
    const inv = await load();
    expect(inv.mesh).toEqual({
      device: "vxlan-test",
      vni: 16777215,
      port: 65535,
      overlay: "179.17.0.0/16",
      mtu: 1450,
      routeProtocol: 254,
      mode: "auto",
      persist: false,
    });
    const east = inv.clusters[0];
    expect(east?.mode).toBe("direct"); // its own
    expect(inv.clusters[1]?.mode).toBe("auto"); // the mesh's
    expect(east?.control).toBe("east-2");
    expect(east?.kubeconfig).toBe("/etc/kubernetes/admin.conf");
    expect(east?.context).toBe("kubernetes-admin@east");
  });

  it.each([
    ["east-1", "179.17.1.11", "02:6d:b3:11:01:0b"], // both allocated
    ["east-2", "179.17.200.1", "02:6d:b3:11:c8:01"], // pinned IP, MAC derived from it
    ["east-3", "179.17.1.13", "c2:6a:9b:e5:39:8d"], // allocated IP, pinned MAC (lower-cased)
    ["east-4", "179.17.200.4", "7a:3a:fe:45:a3:76"], // both pinned
    ["west-1", "179.17.7.11", "02:6d:b3:11:07:0b"], // /16: two octets of host bits
  ])("%s → %s %s", async (name, ip, mac) => {
    const inv = await load();
    expect(node(inv, name).overlayIp).toBe(ip);
    expect(node(inv, name).mac).toBe(mac);
  });

  it("pod blocks are kept only where the inventory lists them", async () => {
    const inv = await load();
    expect(node(inv, "west-1").podBlocks).toEqual(["10.20.1.0/24", "10.20.2.0/25"]);
    expect(node(inv, "east-1")).not.toHaveProperty("podBlocks");
  });
});

describe("DNS host names with underlay_ip", () => {
  // Loaded in each test, not at collection: Stryker activates a mutant only once tests run, and
  // attributes coverage to the test that ran the code (a load at collection is never mutated).
  const load = () => loadInventory(join(GOOD, "dns-hosts.yaml"));

  it("ssh goes to the name, the tunnel and the allocation use underlay_ip", async () => {
    const inv = await load();
    const a = node(inv, "edge-a");
    expect(a.ssh.host).toBe("edge-a.example.com");
    expect(a.underlayIp).toBe("192.168.50.7");
    expect(a.overlayIp).toBe("100.64.0.7");
    expect(node(inv, "edge-b").ssh.host).toBe("EDGE-B.lan");
    expect(node(inv, "edge-c").underlayIp).toBe("192.168.50.9");
  });

  it("host names differing only in case are the same SSH address", () => {
    const issues = issuesOf(`mesh: {overlay: 100.64.0.0/24}
clusters:
  - name: edge
    pod_cidr: 10.42.0.0/16
    service_cidr: 10.43.0.0/16
    nodes:
      - {name: a, host: edge.lan, underlay_ip: 192.168.50.7}
      - {name: b, host: EDGE.lan, underlay_ip: 192.168.50.8}
`);
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ["clusters[0].nodes[1].host", "duplicate SSH address edge.lan:22: also used by node a"],
    ]);
  });

  it("the same host on different ssh ports is two SSH addresses", () => {
    const inv2 = loadInventoryText(`mesh: {overlay: 100.64.0.0/24}
clusters:
  - name: edge
    pod_cidr: 10.42.0.0/16
    service_cidr: 10.43.0.0/16
    nodes:
      - {name: a, host: jump.lan, underlay_ip: 192.168.50.7, ssh: {port: 2201}}
      - {name: b, host: jump.lan, underlay_ip: 192.168.50.8, ssh: {port: 2202}}
`);
    expect(inv2.clusters[0]?.nodes.map((n) => n.ssh.port)).toEqual([2201, 2202]);
  });
});

describe("loading", () => {
  it("a missing file is an input error (exit 3) naming the file", async () => {
    const err = await loadInventory("test/fixtures/inventories/nope.yaml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshctlError);
    expect((err as MeshctlError).kind).toBe("invalid-input");
    expect((err as MeshctlError).message).toContain("nope.yaml: no such file");
  });

  it("issues carry the file name given to loadInventoryText and format as file:line:col path: message", () => {
    const [issue] = issuesOf("mesh: {overlay: 10.0.0.1/8}\nclusters: []\n").slice(0, 1);
    expect(issue).toMatchObject({ file: "t.yaml", line: 1, col: 17, path: "mesh.overlay" });
    expect(formatIssue(issue as never)).toBe(
      't.yaml:1:17 mesh.overlay: "10.0.0.1/8" is not a network address: did you mean 10.0.0.0/8?',
    );
  });

  it("a document that is not a map is one issue at 1:1", () => {
    expect(issuesOf("- a\n- b\n").map((i) => [i.line, i.col, i.path])).toEqual([[1, 1, ""]]);
  });

  it("a misplaced known key is located at itself, not at the same-named key of an ancestor", () => {
    const issues = issuesOf(`mesh:
  overlay: 179.17.0.0/16
  ssh:
    port: 22
    ssh: {}
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - name: a-1
        host: 192.168.0.1
        nodes: []
`);
    expect(issues.map((i) => `${i.line}:${i.col} ${i.path}`)).toEqual([
      "5:5 mesh.ssh.ssh",
      "13:9 clusters[0].nodes[0].nodes",
    ]);
    expect(issues[0]?.message).not.toContain("did you mean");
  });

  it("a node with a schema problem is left out of relation checks, others are still checked", () => {
    const issues = issuesOf(`mesh: {overlay: 179.17.0.0/16}
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    control: a-1
    nodes:
      - {name: a-1, host: 192.168.0.1, mac: "zz"}
      - {name: a-2, host: 192.168.0.2, pod_blocks: [10.9.0.0/24]}
`);
    // No "control node a-1 is not a node" (a-1 is only invalid), but a-2's block is still checked.
    expect(issues.map((i) => i.path)).toEqual([
      "clusters[0].nodes[0].mac",
      "clusters[0].nodes[1].pod_blocks[0]",
    ]);
  });

  it("two nodes with the same underlay IP: one duplicate, no consequential allocation collisions", () => {
    const issues = issuesOf(`mesh: {overlay: 179.17.0.0/16}
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - {name: a-1, host: 192.168.0.1}
      - {name: a-2, host: a-2.lan, underlay_ip: 192.168.0.1}
`);
    expect(issues.map((i) => i.message)).toEqual([
      "duplicate underlay IP 192.168.0.1: also used by node a-1",
    ]);
  });
});

describe("resolvePath", () => {
  it.each([
    ["~", homedir()],
    ["~/.ssh/id", join(homedir(), ".ssh/id")],
    ["/abs/key", "/abs/key"],
    ["keys/id", "/base/dir/keys/id"],
    ["../id", "/base/id"],
  ])("%s → %s", (p, want) => {
    expect(resolvePath(p, "/base/dir")).toBe(want);
  });
});

describe("edges of what is carried and checked", () => {
  const text = (cluster = "", nodeA = "", nodeB = "") => `mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: east
    pod_cidr: 10.10.0.0/16
    service_cidr: 10.11.0.0/16
${cluster}
    nodes:
      - {name: east-1, host: 192.168.1.11${nodeA}}
      - {name: east-2, host: 192.168.1.12${nodeB}}
`;

  it("a cluster's api_server is carried (it is a path back no route may capture); none: no apiServer", () => {
    expect(loadInventoryText(text("    api_server: 192.168.1.100")).clusters[0]?.apiServer).toBe(
      "192.168.1.100",
    );
    expect(loadInventoryText(text()).clusters[0]).not.toHaveProperty("apiServer");
  });

  it("user root said explicitly: no sudo, as when no user is said", () => {
    const inv = loadInventoryText(text("", ", ssh: {user: root}", ", ssh: {user: deploy}"));
    expect(node(inv, "east-1").ssh.become).toBe(false);
    expect(node(inv, "east-2").ssh.become).toBe(true);
  });

  it("pod blocks sharing a single address overlap; adjacent blocks do not", () => {
    const touching = issuesOf(text("", ", pod_blocks: [10.10.0.0/24]", ", pod_blocks: [10.10.0.255/32]"));
    expect(touching.map((i) => i.message)).toEqual([
      "pod block 10.10.0.255/32 overlaps node east-1's block 10.10.0.0/24",
    ]);
    const reversed = issuesOf(text("", ", pod_blocks: [10.10.0.255/32]", ", pod_blocks: [10.10.0.0/24]"));
    expect(reversed.map((i) => i.message)).toEqual([
      "pod block 10.10.0.0/24 overlaps node east-1's block 10.10.0.255/32",
    ]);
    const adjacent = loadInventoryText(
      text("", ", pod_blocks: [10.10.0.0/24]", ", pod_blocks: [10.10.1.0/24]"),
    );
    expect(node(adjacent, "east-2").podBlocks).toEqual(["10.10.1.0/24"]);
  });

  it("a control node that is nowhere, with no name near it: no 'did you mean'", () => {
    expect(issuesOf(text("    control: zzzzzz")).map((i) => i.message)).toEqual([
      "control node zzzzzz is not a node of cluster east",
    ]);
  });

  it("a MAC pinned on one node equal to another's derived MAC collides, whichever comes first", () => {
    // east-2's overlay IP is 179.17.1.12, so its derived MAC is 02:6d:b3:11:01:0c.
    const issues = issuesOf(text("", ", mac: 02:6d:b3:11:01:0c"));
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [
        "clusters[0].nodes[1]",
        "MAC 02:6d:b3:11:01:0c of node east-2 collides with node east-1's: pin mac on one of them",
      ],
    ]);
  });
});
