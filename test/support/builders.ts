/** Small builders for fake state in unit tests: a model node and the facts of a node in any shape. */
import type { NodeFacts } from "../../src/facts/types.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import { buildModel } from "../../src/model/build.js";
import type { MeshModel, NodeModel } from "../../src/model/types.js";
import type { Ipv4 } from "../../src/net/addr.js";

export const THREE_BY_TWO = `
mesh:
  device: mshvx0
  overlay: 198.18.1.0/24
  route_protocol: 77
  ssh: { identity_file: /k, known_hosts: /kh }
clusters:
  - name: c1
    pod_cidr: 198.18.16.0/20
    service_cidr: 198.19.16.0/20
    nodes:
      - { name: a1, host: 198.18.0.11, pod_blocks: [198.18.16.0/26] }
      - { name: a2, host: 198.18.0.12, pod_blocks: [198.18.16.64/26] }
  - name: c2
    pod_cidr: 198.18.32.0/20
    service_cidr: 198.19.32.0/20
    nodes:
      - { name: b1, host: 198.18.0.13, pod_blocks: [198.18.32.0/26, 198.18.40.0/26] }
      - { name: b2, host: 198.18.0.14, pod_blocks: [198.18.32.64/26] }
`;

export function model(text = THREE_BY_TWO): MeshModel {
  return buildModel(loadInventoryText(text, "test.yaml"));
}

export function nodeOf(m: MeshModel, name: string): NodeModel {
  const n = m.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

/** Facts of a node with nothing of the mesh on it, underlay eth0 MTU 1500. */
export function bareFacts(n: NodeModel): NodeFacts {
  const underlay = {
    name: "eth0",
    ifindex: 2,
    mtu: 1500,
    up: true,
    addresses: [{ ip: n.device.localIp, prefixLen: 24 }],
  };
  return {
    params: { device: n.device.name, routeProtocol: n.routeProtocol, localIp: n.device.localIp },
    underlay,
    interfaces: [underlay],
    neighbours: [],
    fdb: [],
    routes: [],
    foreignRoutes: [],
    sysctl: { "net.ipv4.ip_forward": 1 },
    vxlanPorts: [],
    udpPorts: [],
  };
}

/** Facts of a node exactly as the model wants it (what a converged node reports). */
export function convergedFacts(n: NodeModel): NodeFacts {
  const f = bareFacts(n);
  const d = n.device;
  return {
    ...f,
    device: {
      name: d.name,
      ifindex: 9,
      kind: "vxlan",
      vni: d.vni,
      port: d.port,
      localIp: d.localIp,
      underlayDev: "eth0",
      underlayIndex: 2,
      learning: false,
      alias: "meshctl",
      mac: d.mac,
      mtu: 1450,
      up: true,
      lowerUp: true,
      operstate: "UNKNOWN",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      addresses: [{ ip: d.address, prefixLen: d.prefixLen }],
    },
    fdb: n.fdb.map((e) => ({
      mac: e.mac,
      dst: e.dst,
      flags: ["self"],
      state: "permanent",
      kind: "unicast" as const,
    })),
    neighbours: n.neighbours.map((e) => ({ ip: e.ip, mac: e.mac, state: ["PERMANENT"], flags: [] })),
    routes: n.routes.map((r) => ({
      dst: r.dst,
      type: "unicast",
      via: r.via,
      dev: d.name,
      protocol: n.routeProtocol,
      table: "main",
      flags: ["onlink"],
    })),
  };
}

export const ip = (s: string): Ipv4 => s as Ipv4;
