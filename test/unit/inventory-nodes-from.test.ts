/**
 * `nodes_from: kubernetes`, field by field: each override in the inventory reaches the cluster's
 * NodesFrom, and from there the node made of a Kubernetes Node; every refusal of withClusterNodes says
 * exactly what collided. Values are built inside each test (Stryker counts a collection error as survived).
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { clustersWithNodesFrom, withClusterNodes } from "../../src/inventory/cluster-nodes.js";
import { InputError } from "../../src/inventory/errors.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import type { Inventory, KubeNode } from "../../src/inventory/types.js";
import type { Ipv4 } from "../../src/net/addr.js";

/** An ordinary cluster east, and west whose nodes come from Kubernetes with three kinds of override. */
const text = ({ eastNode = "{ name: east-1, host: 192.168.0.21 }", west2 = "", westExtra = "" } = {}) => `
mesh:
  overlay: 179.17.1.0/24
clusters:
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - ${eastNode}
  - name: west
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes_from: kubernetes
    nodes:
      - name: west-cp
        host: cp.west.example
      - name: west-2
        host: 192.168.1.2
        underlay_ip: 192.168.1.99
        underlay_interface: bond0
        overlay_ip: ${west2 || "179.17.1.200"}
        mac: 0A:00:00:00:00:02
        pod_blocks: [10.3.2.0/24]
        ssh: { user: ops }
      - name: west-3
${westExtra}`;

/** What sshSettings gives when nothing is said. */
const defaultSsh = () => ({
  port: 22,
  user: "root",
  knownHosts: join(homedir(), ".ssh/known_hosts"),
  become: false,
  connectTimeoutMs: 10_000,
  explicit: [],
});

const kube = (list: [string, string?][]): KubeNode[] =>
  list.map(([name, ip]) => ({ name, ...(ip ? { internalIp: ip as Ipv4 } : {}) }));

function meshingError(inv: Inventory, nodes: KubeNode[]): MeshctlError {
  try {
    withClusterNodes(inv, new Map([["west", nodes]]));
  } catch (e) {
    if (e instanceof MeshctlError) return e;
    throw e;
  }
  throw new Error("meshed without problems");
}

describe("nodes_from: kubernetes in the loaded inventory", () => {
  it("every override field is carried as given, and nothing a node does not say", () => {
    const west = loadInventoryText(text(), "t.yaml").clusters[1];
    expect(west?.nodes).toEqual([]);
    expect(west?.nodesFrom).toStrictEqual({
      source: "kubernetes",
      defaults: { ssh: defaultSsh() },
      overrides: [
        { name: "west-cp", ssh: defaultSsh(), host: "cp.west.example" },
        {
          name: "west-2",
          ssh: { ...defaultSsh(), user: "ops", become: true, explicit: ["user"] },
          underlayInterface: "bond0",
          host: "192.168.1.2",
          underlayIp: "192.168.1.99",
          overlayIp: "179.17.1.200",
          mac: "0a:00:00:00:00:02",
          podBlocks: ["10.3.2.0/24"],
        },
        { name: "west-3", ssh: defaultSsh() },
      ],
    });
  });

  it("an override's pinned overlay IP is not allocated at load: only the Nodes that exist are", () => {
    // east-1's overlay IP is 179.17.1.21; west-2 is only an override until Kubernetes reports it.
    const inv = loadInventoryText(text({ west2: "179.17.1.21" }), "t.yaml");
    expect(inv.clusters[1]?.nodesFrom?.overrides[1]?.overlayIp).toBe("179.17.1.21");
  });

  it("the control node is the one named by control, else the first entry: that one needs host", () => {
    const issuesOf = (control: string, nodes: string) => {
      try {
        loadInventoryText(
          `mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: west
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes_from: kubernetes
${control}    nodes: ${nodes}
`,
          "t.yaml",
        );
      } catch (e) {
        if (e instanceof InputError) return e.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
        throw e;
      }
      return [];
    };
    expect(issuesOf("    control: west-b\n", "[{name: west-a}, {name: west-b}]")).toEqual([
      "8:29 clusters[0].nodes[1]: control node west-b needs host: meshctl connects to it to read the cluster's nodes",
    ]);
    expect(issuesOf("", "[{name: west-a}, {name: west-b}]")).toEqual([
      "7:13 clusters[0].nodes[0]: control node west-a needs host: meshctl connects to it to read the cluster's nodes",
    ]);
  });

  it("clustersWithNodesFrom: the clusters whose nodes Kubernetes gives, and only those", () => {
    const inv = loadInventoryText(text(), "t.yaml");
    expect(clustersWithNodesFrom(inv).map((c) => c.name)).toEqual(["west"]);
  });
});

describe("withClusterNodes: each override reaches the node", () => {
  it("host, underlay IP and interface, ssh, overlay IP, MAC and pod blocks of an override; nothing else elsewhere", () => {
    const inv = loadInventoryText(text(), "t.yaml");
    const out = withClusterNodes(
      inv,
      new Map([
        [
          "west",
          kube([
            ["west-cp", "192.168.1.10"],
            ["west-2", "192.168.1.12"],
            ["west-3", "192.168.1.13"],
          ]),
        ],
      ]),
    );
    expect(out.clusters[1]?.nodes).toStrictEqual([
      {
        name: "west-2",
        cluster: "west",
        ssh: { host: "192.168.1.2", ...defaultSsh(), user: "ops", become: true, explicit: ["user"] },
        underlayIp: "192.168.1.99",
        underlayInterface: "bond0",
        overlayIp: "179.17.1.200",
        mac: "0a:00:00:00:00:02",
        podBlocks: ["10.3.2.0/24"],
      },
      {
        name: "west-3",
        cluster: "west",
        ssh: { host: "192.168.1.13", ...defaultSsh() },
        underlayIp: "192.168.1.13",
        overlayIp: "179.17.1.13",
        mac: "02:6d:b3:11:01:0d",
      },
      {
        name: "west-cp",
        cluster: "west",
        ssh: { host: "cp.west.example", ...defaultSsh() },
        underlayIp: "192.168.1.10",
        overlayIp: "179.17.1.10",
        mac: "02:6d:b3:11:01:0a",
      },
    ]);
  });

  it("a Node without InternalIP needs both host and underlay_ip from its override", () => {
    const inv = loadInventoryText(
      text({
        westExtra:
          "      - {name: west-4, host: w4.example}\n      - {name: west-5, underlay_ip: 192.168.1.55}\n",
      }),
      "t.yaml",
    );
    const e = meshingError(inv, kube([["west-cp", "192.168.1.10"], ["west-4"], ["west-5"]]));
    expect(e.kind).toBe("conflict");
    expect(e.message).toBe(
      [
        "the nodes the clusters report cannot be meshed (nothing was changed):",
        "  cluster west: Node west-4 has no InternalIP: give it host and underlay_ip in the inventory",
        "  cluster west: Node west-5 has no InternalIP: give it host and underlay_ip in the inventory",
      ].join("\n"),
    );
  });

  it("an overlay IP the inventory pinned on its own node is kept: a Node allocated onto it collides", () => {
    const inv = loadInventoryText(
      text({ eastNode: "{ name: east-1, host: 192.168.0.21, overlay_ip: 179.17.1.13 }" }),
      "t.yaml",
    );
    const e = meshingError(
      inv,
      kube([
        ["west-cp", "192.168.1.10"],
        ["west-3", "192.168.1.13"],
      ]),
    );
    // Only the cause: the two MACs, both derived from that IP, are not told to be pinned.
    expect(e.message.split("\n")).toEqual([
      "the nodes the clusters report cannot be meshed (nothing was changed):",
      "  overlay IP 179.17.1.13 of node west-3 (allocated from its underlay IP) collides with node east-1's: pin overlay_ip on one of them",
    ]);
  });

  it("a MAC the inventory pinned on its own node still collides with a Node's derived one, and says so", () => {
    // west-3 is allocated 179.17.1.13, whose derived MAC east-1 pins
    const inv = loadInventoryText(
      text({ eastNode: "{ name: east-1, host: 192.168.0.21, mac: 02:6d:b3:11:01:0d }" }),
      "t.yaml",
    );
    const e = meshingError(
      inv,
      kube([
        ["west-cp", "192.168.1.10"],
        ["west-3", "192.168.1.13"],
      ]),
    );
    expect(e.message.split("\n")).toEqual([
      "the nodes the clusters report cannot be meshed (nothing was changed):",
      "  MAC 02:6d:b3:11:01:0d of node west-3 collides with node east-1's: pin mac on one of them",
    ]);
  });

  it("collisions say what collided and where: an SSH address, the overlay, a service_cidr", () => {
    // Host names are compared at load (validate.ts); here only a Node's InternalIP can be a new SSH host.
    const inv = loadInventoryText(text({ westExtra: "        underlay_ip: 192.168.1.33\n" }), "t.yaml");
    const e = meshingError(
      inv,
      kube([
        ["west-cp", "192.168.1.10"],
        ["west-3", "192.168.0.21"],
        ["west-6", "179.17.1.77"],
        ["west-7", "10.4.0.7"],
      ]),
    );
    expect(e.message).toBe(
      [
        "the nodes the clusters report cannot be meshed (nothing was changed):",
        "  duplicate SSH address 192.168.0.21:22: node west-3 (cluster west) and node east-1 (cluster east)",
        "  node west-6's address 179.17.1.77 lies inside the overlay 179.17.1.0/24 (lock-out): override its host/underlay_ip",
        "  node west-7's address 10.4.0.7 lies inside west's service_cidr 10.4.0.0/16 (lock-out): override its host/underlay_ip",
      ].join("\n"),
    );
  });
});
