/** Builders for verify/diagnose unit tests: the lab's 3 x 2 topology as a model, and diagnose extras. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { desiredPools, type ObservedPool } from "../../src/cni/calico/pools.js";
import type { DiagnoseExtra, ForwardChain } from "../../src/diagnose/types.js";
import type { MeshModel } from "../../src/model/types.js";
import type { Cidr } from "../../src/net/addr.js";
import { model } from "./builders.js";

export const VERIFY_FIXTURES = join(import.meta.dirname, "..", "fixtures", "verify");
export const fixture = (name: string): string => readFileSync(join(VERIFY_FIXTURES, name), "utf8");

/** The inventory `meshctl lab up` writes for 3 clusters x 2 nodes (the fixtures were captured on it). */
export const LAB_3X2 = `
mesh:
  device: mshvx0
  vni: 10001
  port: 4899
  overlay: 198.18.1.0/24
  mtu: auto
  route_protocol: 77
  ssh: { user: root, identity_file: /k, known_hosts: /kh }
clusters:
  - name: cluster1
    pod_cidr: 198.18.16.0/20
    service_cidr: 198.19.16.0/20
    control: c1-node1
    test_endpoints: [198.18.16.2, 198.18.16.66]
    nodes:
      - { name: c1-node1, host: 198.18.0.11, pod_blocks: [198.18.16.0/26] }
      - { name: c1-node2, host: 198.18.0.12, pod_blocks: [198.18.16.64/26] }
  - name: cluster2
    pod_cidr: 198.18.32.0/20
    service_cidr: 198.19.32.0/20
    control: c2-node1
    test_endpoints: [198.18.32.2, 198.18.32.66]
    nodes:
      - { name: c2-node1, host: 198.18.0.13, pod_blocks: [198.18.32.0/26] }
      - { name: c2-node2, host: 198.18.0.14, pod_blocks: [198.18.32.64/26] }
  - name: cluster3
    pod_cidr: 198.18.48.0/20
    service_cidr: 198.19.48.0/20
    control: c3-node1
    test_endpoints: [198.18.48.2, 198.18.48.66]
    nodes:
      - { name: c3-node1, host: 198.18.0.15, pod_blocks: [198.18.48.0/26] }
      - { name: c3-node2, host: 198.18.0.16, pod_blocks: [198.18.48.64/26] }
`;

export const labModel = (): MeshModel => model(LAB_3X2);

/** What a node with no firewall tools and nothing else on the mesh port reports (the lab's nodes). */
export function bareExtra(over: Partial<DiagnoseExtra> = {}): DiagnoseExtra {
  return { iptables: { present: false }, nft: { present: false }, udpSockets: [], rootRoutes: [], ...over };
}

/** The single IPv4 socket an up VXLAN device holds on its port. */
export function vxlanSocket(inode = 270319): DiagnoseExtra["udpSockets"][number] {
  return { family: "udp", local: "00000000", uid: 0, inode };
}

export function iptablesChain(over: Partial<ForwardChain> = {}): DiagnoseExtra["iptables"] {
  return {
    present: true,
    chains: [
      {
        source: "iptables",
        chain: "FORWARD",
        policyDrop: false,
        acceptsIn: false,
        acceptsOut: false,
        ...over,
      },
    ],
  };
}

/** The pools meshctl wants in `cluster` of `m`, as a converged cluster reports them. */
export function convergedPools(m: MeshModel, cluster: string): ObservedPool[] {
  const c = m.clusters.find((x) => x.name === cluster);
  if (!c) throw new Error(`no cluster ${cluster}`);
  return desiredPools(c, m.clusters).map((p) => ({
    name: p.name,
    cidr: p.cidr as Cidr,
    rawCidr: p.cidr,
    natOutgoing: false,
    disabled: true,
    labels: { "app.kubernetes.io/managed-by": "meshctl", "meshctl.io/for-cluster": p.forCluster },
    managed: true,
  }));
}
