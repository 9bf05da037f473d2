/**
 * The lab's topology as pure data: names, namespaces and addresses for a given size. Nothing here touches
 * the system, so the whole layout can be unit-tested and is the single source of every lab address.
 *
 * Every address is inside 198.18.0.0/15 (RFC 2544 benchmarking range):
 *   198.18.0.0/24     underlay: the bridge (controller 198.18.0.1) and node k at 198.18.0.(10+k)
 *   198.18.2.0/24     with --subnets 2, the second underlay subnet: the even clusters' nodes (node k at
 *                     198.18.2.(10+k)) on a second bridge (controller 198.18.2.1); a router namespace
 *                     joins the two subnets (198.18.0.254 and 198.18.2.254), and each node routes the
 *                     other subnet through it
 *   198.18.1.0/24     overlay subnet handed to meshctl (node k gets 198.18.1.(10+k) by host-bit mapping)
 *   198.18.16C.0/20   pod CIDR of cluster C; node n (0-based) owns the /26 at n*64 (and, with discovery,
 *                     a second /26 at 2048 + n*64)
 *   198.19.16C.0/20   service CIDR of cluster C; on busy nodes its first S addresses (from .1) are the
 *                     cluster's Service addresses, every one on every node's kube-ipvs0
 * Busy (Calico-like) nodes add nothing outside these ranges: vxlan.calico holds its first block's network
 * address (as Calico gives its tunnel the block's first address), and the workloads behind the cali* veths
 * take the free addresses of the node's own blocks after the lab pod (.3 to .63 of each /26).
 */
import { LabError } from "./errors.js";
import { HOST_OS, osForCluster } from "./osrelease.js";

export const LAB_RANGE = "198.18.0.0/15";
export const LAB_BRIDGE = "mshlab0";
/** Prefix of every root-namespace link the lab makes (the bridge and the node veths). */
export const LAB_LINK_PREFIX = "mshlab";
export const NODE_NS_PREFIX = "mshlab-";
export const POD_NS_PREFIX = "mshpod-";
export const CONTROLLER_IP = "198.18.0.1";
/** --subnets 2: the second underlay subnet's bridge, the controller's address on it, the router. */
export const LAB_BRIDGE2 = "mshlab1";
export const CONTROLLER_IP2 = "198.18.2.1";
export const ROUTER_NS = "mshlab-router";
/** Underlay subnet s (1 or 2): its network, the router's address on it. */
export const SUBNETS = [
  { net: "198.18.0.0/24", third: 0, router: "198.18.0.254" },
  { net: "198.18.2.0/24", third: 2, router: "198.18.2.254" },
] as const;
export const UNDERLAY_PREFIX = 24;
export const OVERLAY_CIDR = "198.18.1.0/24";
export const POD_BLOCK_PREFIX = 26;
export const UNDERLAY_MTU = 1500;
export const POD_MTU = 1450;
export const SSH_PORT = 22;
/** Port of each cluster's API, on its control node's lab address (inside 198.18.0.0/15, like everything). */
export const KUBE_API_PORT = 6443;
export const SUDO_USER = "meshlab";

export const MAX_CLUSTERS = 15;
export const MAX_NODES_PER_CLUSTER = 64;
export const MAX_NODES_PER_CLUSTER_DISCOVER = 32;
export const MAX_NODES = 200;

export interface PlannedNode {
  cluster: string;
  /** 1-based cluster index. */
  clusterIndex: number;
  /** 1-based index of the node within its cluster. */
  index: number;
  /** 1-based index across all clusters (k): underlay 198.18.0.(10+k). */
  globalIndex: number;
  name: string;
  namespace: string;
  podNamespace: string;
  /** Root-namespace end of the node's underlay veth (a port of the bridge). */
  hostLink: string;
  underlayIp: string;
  /** Every pod block the node owns in the (fake) Kubernetes API; the pod lives in the first. */
  podBlocks: string[];
  /** Node side of the pod veth: first block + 1. */
  podGateway: string;
  /** Pod side of the pod veth: first block + 2. */
  podIp: string;
  control: boolean;
  /** `--os` release the node pretends to run (`host`: this machine's own iproute2). */
  os: string;
  /** Underlay subnet (1, or 2 for even clusters with --subnets 2). */
  subnet: 1 | 2;
  /** `--spare`: built like any node but not a Node of its cluster's API (nor in the inventory) until joined. */
  spare: boolean;
}

export interface PlannedCluster {
  name: string;
  index: number;
  os: string;
  podCidr: string;
  serviceCidr: string;
  control: string;
  /** The cluster's registered nodes (Nodes of its API, in the inventory). */
  nodes: PlannedNode[];
  /** Spare nodes of this cluster: namespaces and sshd, not registered (`meshctl lab join` registers one). */
  spares: PlannedNode[];
}

/** Size of the Calico-like load on every node; undefined: a bare lab (three interfaces per node). */
export interface BusySize {
  /** cali* veths per node. */
  pods: number;
  /** Service addresses per cluster (on every node's kube-ipvs0). */
  services: number;
}

export const DEFAULT_BUSY: BusySize = { pods: 100, services: 300 };
export const MAX_PODS = 1000;
export const MAX_SERVICES = 4000;

/** Calico's VXLAN device as Calico makes it, and Felix's route protocol. */
export const CALICO_VXLAN = { device: "vxlan.calico", vni: 4096, port: 4789 } as const;
export const CALICO_PROTO = 80;
export const KUBE_IPVS = "kube-ipvs0";

export interface LabPlan {
  clusters: PlannedCluster[];
  nodes: PlannedNode[];
  discover: boolean;
  /** Underlay subnets (1, or 2 joined by the router namespace). */
  subnets: 1 | 2;
  busy?: BusySize;
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** True when `ip` is inside 198.18.0.0/15. */
export function inLabRange(ip: string): boolean {
  return ipToInt(ip) >>> 17 === ipToInt("198.18.0.0") >>> 17;
}

export function validateSize(clusters: number, nodesPerCluster: number, discover: boolean, spares = 0): void {
  if (!Number.isInteger(spares) || spares < 0)
    throw new LabError(`--spare must be 0 or more (got ${spares})`);
  if (spares > 0) validateSize(clusters, nodesPerCluster + Math.ceil(spares / clusters), discover);
  const perCluster = discover ? MAX_NODES_PER_CLUSTER_DISCOVER : MAX_NODES_PER_CLUSTER;
  if (!Number.isInteger(clusters) || clusters < 1 || clusters > MAX_CLUSTERS) {
    throw new LabError(`the lab supports 1 to ${MAX_CLUSTERS} clusters (got ${clusters})`);
  }
  if (!Number.isInteger(nodesPerCluster) || nodesPerCluster < 1 || nodesPerCluster > perCluster) {
    throw new LabError(
      `the lab supports 1 to ${perCluster} nodes per cluster${discover ? " with --discover" : ""} (got ${nodesPerCluster})`,
    );
  }
  if (clusters * nodesPerCluster > MAX_NODES) {
    throw new LabError(
      `the lab supports at most ${MAX_NODES} nodes (asked for ${clusters * nodesPerCluster})`,
    );
  }
}

export function planLab(
  clusters: number,
  nodesPerCluster: number,
  discover: boolean,
  osList: readonly string[] = [HOST_OS],
  subnets = 1,
  spares = 0,
): LabPlan {
  validateSize(clusters, nodesPerCluster, discover, spares);
  if (subnets !== 1 && subnets !== 2) throw new LabError(`--subnets must be 1 or 2 (got ${subnets})`);
  const planned: PlannedCluster[] = [];
  const all: PlannedNode[] = [];
  let k = 0;
  for (let c = 1; c <= clusters; c++) {
    const cluster: PlannedCluster = {
      name: `cluster${c}`,
      index: c,
      os: osForCluster(osList, c),
      podCidr: `198.18.${16 * c}.0/20`,
      serviceCidr: `198.19.${16 * c}.0/20`,
      control: `c${c}-node1`,
      nodes: [],
      spares: [],
    };
    const subnet: 1 | 2 = subnets === 2 && c % 2 === 0 ? 2 : 1;
    for (let n = 1; n <= nodesPerCluster; n++) {
      const node = plannedNode(cluster, n, ++k, discover, subnet, false);
      cluster.nodes.push(node);
      all.push(node);
    }
    planned.push(cluster);
  }
  // Spares after every registered node (so their addresses shift nobody's), dealt round the clusters.
  for (let i = 0; i < spares; i++) {
    const cluster = planned[i % clusters] as PlannedCluster;
    const n = nodesPerCluster + 1 + Math.floor(i / clusters);
    const subnet: 1 | 2 = subnets === 2 && cluster.index % 2 === 0 ? 2 : 1;
    const node = plannedNode(cluster, n, ++k, discover, subnet, true);
    cluster.spares.push(node);
    all.push(node);
  }
  return { clusters: planned, nodes: all, discover, subnets: subnets === 2 ? 2 : 1 };
}

/** Node n (1-based) of `cluster`, k-th of the lab: its names and addresses. */
function plannedNode(
  cluster: PlannedCluster,
  n: number,
  k: number,
  discover: boolean,
  subnet: 1 | 2,
  spare: boolean,
): PlannedNode {
  const c = cluster.index;
  const podBase = ipToInt(`198.18.${16 * c}.0`);
  const first = podBase + (n - 1) * 64;
  const blocks = [`${intToIp(first)}/${POD_BLOCK_PREFIX}`];
  if (discover) blocks.push(`${intToIp(podBase + 2048 + (n - 1) * 64)}/${POD_BLOCK_PREFIX}`);
  return {
    cluster: cluster.name,
    clusterIndex: c,
    index: n,
    globalIndex: k,
    name: `c${c}-node${n}`,
    namespace: `${NODE_NS_PREFIX}${c}-${n}`,
    podNamespace: `${POD_NS_PREFIX}${c}-${n}`,
    hostLink: `${LAB_LINK_PREFIX}-n${k}`,
    underlayIp: `198.18.${subnet === 2 ? SUBNETS[1].third : SUBNETS[0].third}.${10 + k}`,
    podBlocks: blocks,
    podGateway: intToIp(first + 1),
    podIp: intToIp(first + 2),
    control: n === 1,
    os: cluster.os,
    subnet,
    spare,
  };
}

export function validateBusy(busy: BusySize): void {
  if (!Number.isInteger(busy.pods) || busy.pods < 0 || busy.pods > MAX_PODS) {
    throw new LabError(`--pods must be 0 to ${MAX_PODS} (got ${busy.pods})`);
  }
  if (!Number.isInteger(busy.services) || busy.services < 0 || busy.services > MAX_SERVICES) {
    throw new LabError(`--services must be 0 to ${MAX_SERVICES} (got ${busy.services})`);
  }
}

/** The first `count` Service addresses of a cluster (from its service CIDR's .1). */
export function serviceAddresses(cluster: PlannedCluster, count: number): string[] {
  const base = ipToInt(cluster.serviceCidr.split("/")[0] ?? "");
  return Array.from({ length: count }, (_, i) => intToIp(base + 1 + i));
}

/** The node's Calico tunnel (vxlan.calico) address: its first block's network address. */
export function calicoVtepIp(node: PlannedNode): string {
  return (node.podBlocks[0] ?? "").split("/")[0] ?? "";
}

/** The MAC of the node's vxlan.calico (Calico's are locally administered too). */
export function calicoVtepMac(node: PlannedNode): string {
  const h = (n: number) => n.toString(16).padStart(2, "0");
  return `66:ca:1c:${h(node.clusterIndex)}:${h(node.globalIndex >> 8)}:${h(node.globalIndex & 255)}`;
}

export interface Workload {
  /** cali* interface in the node's namespace (15 characters, as Calico names them). */
  hostIf: string;
  /** The veth's other end, in the node's pod namespace. */
  peerIf: string;
  /** The workload's address (a /32 route via hostIf), or undefined once the node's blocks are full. */
  ip?: string;
}

/** Offsets within a /26 a workload may take: not the tunnel (.0), the pod gateway (.1) or the lab pod (.2). */
const FIRST_WORKLOAD = 3;

/** The node's `count` workloads: deterministic cali names, addresses from its own blocks while they last. */
export function workloads(node: PlannedNode, count: number): Workload[] {
  const free: string[] = [];
  for (const b of node.podBlocks) {
    const base = ipToInt(b.split("/")[0] ?? "");
    for (let off = FIRST_WORKLOAD; off < 64; off++) free.push(intToIp(base + off));
  }
  return Array.from({ length: count }, (_, i) => {
    // 11 hex digits, as Calico's (a hash of the workload); here a cheap deterministic mix.
    const x = (Math.imul(node.globalIndex * 4099 + i + 1, 2654435761) >>> 0).toString(16).padStart(8, "0");
    const id = `${x}${(node.globalIndex * 1000 + i).toString(16).padStart(3, "0").slice(-3)}`;
    const ip = free[i];
    return { hostIf: `cali${id}`, peerIf: `w${i}`, ...(ip ? { ip } : {}) };
  });
}

/** Neighbour-table limits for H nodes whose pods all talk: roughly H·(H+3)·{1,2,4}. */
export function neighThresholds(hosts: number): [number, number, number] {
  const base = hosts * (hosts + 3);
  return [base, base * 2, base * 4];
}
