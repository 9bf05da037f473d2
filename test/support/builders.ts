/** Small builders for fake state in unit tests: a model node and the facts of a node in any shape. */
import type { ObservedPool } from "../../src/cni/calico/pools.js";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import { buildModel } from "../../src/model/build.js";
import type { MeshModel, NodeModel } from "../../src/model/types.js";
import type { Cidr, Ipv4 } from "../../src/net/addr.js";
import { DIRECT_METRIC } from "../../src/plan/ownership.js";

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

/** THREE_BY_TWO with `mesh.mode` (and c2's own `mode` when given). */
export function withMode(mesh: string, c2?: string): MeshModel {
  let text = THREE_BY_TWO.replace("  route_protocol: 77\n", `  route_protocol: 77\n  mode: ${mesh}\n`);
  if (c2) text = text.replace("  - name: c2\n", `  - name: c2\n    mode: ${c2}\n`);
  return model(text);
}

/** A direct route as the kernel reports meshctl's: via the peer's underlay address on eth0, its metric. */
export const directRoute = (dst: string, via: string, extra: Partial<RouteFact> = {}): RouteFact => ({
  dst: dst as RouteFact["dst"],
  type: "unicast",
  via: ip(via),
  dev: "eth0",
  protocol: 77,
  table: "main",
  metric: DIRECT_METRIC,
  flags: [],
  ...extra,
});

/** A Calico IPPool as observed, managed by meshctl for cluster c2 unless `extra` says otherwise. */
export const calicoPool = (name: string, cidr: string, extra: Partial<ObservedPool> = {}): ObservedPool => ({
  name,
  cidr: cidr as Cidr,
  rawCidr: cidr,
  natOutgoing: false,
  disabled: true,
  labels: { "app.kubernetes.io/managed-by": "meshctl", "meshctl.io/for-cluster": "c2" },
  managed: true,
  ...extra,
});

/** c1's pools for c2 as meshctl wants them (THREE_BY_TWO). */
export const convergedPools = (): ObservedPool[] => [
  calicoPool("pod-c2", "198.18.32.0/20"),
  calicoPool("svc-c2", "198.19.32.0/20"),
];

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
