/**
 * The desired state meshctl converges to: a pure function of the inventory (src/model/build.ts).
 * Every value is typed (src/net/addr.ts), so anything here may be put into a remote command.
 */
import type { InventoryCluster, MeshMode, SshTarget } from "../inventory/types.js";
import type { Cidr, DnsLabel, IfName, Ipv4, Mac } from "../net/addr.js";

export interface DeviceSpec {
  name: IfName;
  vni: number;
  port: number;
  /** Underlay source address of the tunnel (`local`). */
  localIp: Ipv4;
  /** Underlay device (`dev`); undefined: the interface holding `localIp`, found at fact time. */
  underlayDev?: IfName;
  mac: Mac;
  /** Overlay address of the device, e.g. 179.17.1.21. */
  address: Ipv4;
  /** Overlay prefix length, e.g. 24. */
  prefixLen: number;
  /** Explicit MTU, or "auto" = underlay MTU − 50. */
  mtu: number | "auto";
}

export interface NeighbourSpec {
  peer: DnsLabel;
  ip: Ipv4;
  mac: Mac;
}

export type { MeshMode };

export interface FdbSpec {
  peer: DnsLabel;
  mac: Mac;
  /** The peer's underlay address. */
  dst: Ipv4;
  /** The mode of this node–peer pair (src/model/paths.ts: pairMode). */
  pair: MeshMode;
}

export interface RouteSpec {
  peer: DnsLabel;
  dst: Cidr;
  /** The next hop: the peer's overlay address (tunnel), or its underlay address when `direct`. */
  via: Ipv4;
  /** The peer's underlay address (the next hop of a direct route). */
  underlay: Ipv4;
  /** The mode of this node–peer pair (src/model/paths.ts: pairMode). */
  pair: MeshMode;
  /** Set by resolvePaths only: routed on the underlay via `underlay`, not through the tunnel. */
  direct?: true;
}

export interface NodeModel {
  name: DnsLabel;
  cluster: DnsLabel;
  ssh: SshTarget;
  /** Pod blocks this node owns; undefined = to be discovered from the cluster. */
  podBlocks?: Cidr[];
  device: DeviceSpec;
  /** The mode of the node's cluster; each peer pair's own is on its routes and FDB entries. */
  mode: MeshMode;
  /** Route protocol id that marks meshctl's routes (`ip route … proto N`). */
  routeProtocol: number;
  neighbours: NeighbourSpec[];
  fdb: FdbSpec[];
  routes: RouteSpec[];
  /** false: no boot persistence on this node (`mesh.persist: false`); undefined or true: installed. */
  persist?: boolean;
  /** Its cluster's API server address (`api_server`): a path back no meshctl route may capture. */
  apiServer?: Ipv4;
}

/**
 * A cluster as the inventory gives it (control node, kubeconfig, CIDRs, CNI…). What meshctl wants in it
 * is its CNI's business (src/cni/).
 */
export type ClusterModel = Omit<InventoryCluster, "nodes">;

export interface MeshModel {
  clusters: ClusterModel[];
  nodes: NodeModel[];
}
