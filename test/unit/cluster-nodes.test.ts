/** `nodes_from: kubernetes`: the inventory spelling, and the node list made from a cluster's Nodes. */
import { describe, expect, it } from "vitest";
import { parseCalicoState } from "../../src/cni/calico/observed.js";
import { MeshctlError } from "../../src/core/errors.js";
import { withClusterNodes } from "../../src/inventory/cluster-nodes.js";
import { InputError } from "../../src/inventory/errors.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import type { Inventory, KubeNode } from "../../src/inventory/types.js";
import { buildModel } from "../../src/model/build.js";
import type { Ipv4 } from "../../src/net/addr.js";

const TEXT = `
mesh:
  overlay: 179.17.1.0/24
  ssh: { user: admin, identity_file: /keys/mesh }
clusters:
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - { name: east-1, host: 192.168.0.21, pod_blocks: [10.1.0.0/24] }
  - name: west
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes_from: kubernetes
    control: west-cp
    underlay_interface: eth1
    ssh: { port: 2222 }
    nodes:
      - name: west-cp
        host: cp.west.example
      - name: west-2
        ssh: { user: ops }
        underlay_ip: 192.168.1.99
        underlay_interface: bond0
        overlay_ip: 179.17.1.200
`;

const inv = (): Inventory => loadInventoryText(TEXT, "t.yaml");
const west = (i: Inventory) => i.clusters[1] as Inventory["clusters"][number];
const nodes = (list: [string, string?][]): KubeNode[] =>
  list.map(([name, ip]) => ({ name, ...(ip ? { internalIp: ip as Ipv4 } : {}) }));

describe("inventory: nodes_from: kubernetes", () => {
  it("leaves the cluster's nodes to Kubernetes and keeps its entries as overrides by name", () => {
    const w = west(inv());
    expect(w.nodes).toEqual([]);
    expect(w.control).toBe("west-cp");
    expect(w.nodesFrom?.defaults).toMatchObject({
      underlayInterface: "eth1",
      ssh: { user: "admin", port: 2222 },
    });
    expect(w.nodesFrom?.overrides.map((o) => o.name)).toEqual(["west-cp", "west-2"]);
    expect(w.nodesFrom?.overrides[1]?.host).toBeUndefined();
    expect(w.nodesFrom?.overrides[1]).toMatchObject({
      underlayIp: "192.168.1.99",
      underlayInterface: "bond0",
      overlayIp: "179.17.1.200",
      ssh: { user: "ops", port: 2222, become: true },
    });
  });

  it("an entry without host is refused in an ordinary cluster, and for the control node of a nodes_from one", () => {
    const noHost = TEXT.replace("host: 192.168.0.21, ", "").replace(
      "host: cp.west.example",
      "ssh: { port: 22 }",
    );
    let issues: string[] = [];
    try {
      loadInventoryText(noHost, "t.yaml");
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      issues = e.issues.map((i) => `${i.path}: ${i.message}`);
    }
    expect(issues).toEqual([
      'clusters[0].nodes[0].host: missing required key "host"',
      "clusters[1].nodes[0]: control node west-cp needs host: meshctl connects to it to read the cluster's nodes",
    ]);
  });
});

describe("withClusterNodes", () => {
  it("makes a node of every Node: InternalIP as SSH host and underlay, overrides by name winning", () => {
    const out = withClusterNodes(
      inv(),
      new Map([
        [
          "west",
          nodes([
            ["west-cp", "192.168.1.10"],
            ["west-2", "192.168.1.12"],
            ["west-3", "192.168.1.13"],
          ]),
        ],
      ]),
    );
    const w = west(out).nodes;
    expect(w.map((n) => n.name)).toEqual(["west-2", "west-3", "west-cp"]);
    const [two, three, cp] = w;
    expect(cp).toMatchObject({
      underlayIp: "192.168.1.10",
      overlayIp: "179.17.1.10",
      mac: "02:6d:b3:11:01:0a",
    });
    expect(cp?.ssh).toMatchObject({ host: "cp.west.example", user: "admin", port: 2222 });
    expect(two).toMatchObject({
      underlayIp: "192.168.1.99",
      underlayInterface: "bond0",
      overlayIp: "179.17.1.200",
    });
    expect(two?.ssh).toMatchObject({ host: "192.168.1.12", user: "ops" });
    expect(three).toMatchObject({ cluster: "west", underlayIp: "192.168.1.13", underlayInterface: "eth1" });
    expect(three?.ssh).toMatchObject({ host: "192.168.1.13", user: "admin", port: 2222 });
    // The inventory's own cluster is untouched, and the model meshes all four.
    expect(out.clusters[0]).toEqual(inv().clusters[0]);
    const model = buildModel(out);
    expect(model.nodes.map((n) => n.name).sort()).toEqual(["east-1", "west-2", "west-3", "west-cp"]);
    expect(
      model.nodes
        .find((n) => n.name === "east-1")
        ?.fdb.map((f) => f.peer)
        .sort(),
    ).toEqual(["west-2", "west-3", "west-cp"]);
  });

  it("a Node that left is simply not in the mesh; an override for it means nothing", () => {
    const out = withClusterNodes(inv(), new Map([["west", nodes([["west-cp", "192.168.1.10"]])]]));
    expect(west(out).nodes.map((n) => n.name)).toEqual(["west-cp"]);
    expect(
      buildModel(out)
        .nodes.find((n) => n.name === "east-1")
        ?.fdb.map((f) => f.peer),
    ).toEqual(["west-cp"]);
  });

  it("a cluster whose Nodes were not read is an error, never an empty cluster", () => {
    expect(() => withClusterNodes(inv(), new Map())).toThrow(/cluster west: its Nodes were not read/);
  });

  it("refuses Nodes it cannot mesh, and collisions with other nodes, all at once", () => {
    const run = () =>
      withClusterNodes(
        inv(),
        new Map([
          [
            "west",
            nodes([
              ["west-cp", "192.168.1.10"],
              ["Bad.Name", "192.168.1.11"],
              ["west-4"],
              ["east-1", "192.168.1.14"],
              ["west-5", "192.168.0.21"],
              ["west-6", "10.3.0.9"],
            ]),
          ],
        ]),
      );
    expect(run).toThrow(MeshctlError);
    let message = "";
    try {
      run();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('Node "Bad.Name" is not an RFC 1123 label');
    expect(message).toContain("Node west-4 has no InternalIP: give it host and underlay_ip");
    expect(message).toContain("duplicate node name east-1");
    expect(message).toContain("duplicate underlay IP 192.168.0.21");
    expect(message).toContain("overlay IP 179.17.1.21 of node west-5");
    expect(message).toContain(
      "node west-6's address 10.3.0.9 lies inside west's pod_cidr 10.3.0.0/16 (lock-out)",
    );
  });
});

describe("parseCalicoState: Nodes", () => {
  it("reads each Node's name and first IPv4 InternalIP", () => {
    const json = JSON.stringify({
      items: [
        {
          kind: "Node",
          metadata: { name: "a" },
          status: {
            addresses: [
              { type: "Hostname", address: "a" },
              { type: "InternalIP", address: "fd00::1" },
              { type: "InternalIP", address: "10.0.0.5" },
            ],
          },
        },
        { kind: "Node", metadata: { name: "b" }, status: {} },
      ],
    });
    expect(parseCalicoState(json).nodes).toEqual([{ name: "a", internalIp: "10.0.0.5" }, { name: "b" }]);
  });
});
