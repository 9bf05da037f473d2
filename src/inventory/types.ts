import type { CniName } from "../cni/names.js";
import type { Cidr, DnsLabel, IfName, Ipv4, Mac } from "../net/addr.js";

/** How a node reaches a peer's pod blocks: the VXLAN tunnel, plain routes on the underlay, or per peer. */
export type MeshMode = "vxlan" | "direct" | "auto";

/** A validated inventory with every inherited setting resolved and every address allocated. */
export interface Inventory {
  file: string;
  mesh: {
    device: IfName;
    vni: number;
    port: number;
    overlay: Cidr;
    mtu: number | "auto";
    routeProtocol: number;
    mode: MeshMode;
    /** Boot persistence on the nodes (`mesh.persist`, default true). */
    persist: boolean;
  };
  clusters: InventoryCluster[];
}

export interface InventoryCluster {
  name: DnsLabel;
  podCidr: Cidr;
  serviceCidr: Cidr;
  cni: CniName;
  /** The cluster's mode (its own, else the mesh's). */
  mode: MeshMode;
  control: DnsLabel;
  kubeconfig?: string;
  context?: string;
  /** The API server address the cluster's nodes use (`api_server`): no meshctl route may capture it. */
  apiServer?: Ipv4;
  /** Pod IPs `meshctl verify` pings from the other clusters. */
  testEndpoints: Ipv4[];
  /** With nodesFrom: empty until the cluster's Nodes are read (src/inventory/cluster-nodes.ts fills it). */
  nodes: InventoryNode[];
  /** `nodes_from: kubernetes`: the node list comes from the cluster; the inventory only overrides. */
  nodesFrom?: NodesFrom;
}

/** A Kubernetes Node as meshctl needs it: its name and InternalIP (absent when the Node has none). */
export interface KubeNode {
  name: string;
  internalIp?: Ipv4;
}

/** How a cluster's nodes are made from its Kubernetes Nodes. */
export interface NodesFrom {
  source: "kubernetes";
  /** SSH settings (mesh → cluster inheritance) and underlay interface of a node without an override. */
  defaults: NodeSettings;
  /** The inventory's `nodes:` entries, by name: they win over what Kubernetes says. */
  overrides: NodeOverride[];
}

export interface NodeSettings {
  /** Every SSH setting but the host (the host is the override's, else the InternalIP). */
  ssh: Omit<SshTarget, "host">;
  underlayInterface?: IfName;
}

export interface NodeOverride extends NodeSettings {
  name: DnsLabel;
  host?: string;
  underlayIp?: Ipv4;
  overlayIp?: Ipv4;
  mac?: Mac;
  podBlocks?: Cidr[];
}

export interface InventoryNode {
  name: DnsLabel;
  cluster: DnsLabel;
  ssh: SshTarget;
  underlayIp: Ipv4;
  underlayInterface?: IfName;
  overlayIp: Ipv4;
  mac: Mac;
  /** undefined: discover from the cluster. */
  podBlocks?: Cidr[];
}

/** The SSH settings an inventory can set (the others come from ~/.ssh/config or OpenSSH's defaults). */
export type SshSetting = "user" | "port" | "identityFile" | "knownHosts" | "become" | "connectTimeout";

/** How to reach a host over SSH, after mesh → cluster → node inheritance. */
export interface SshTarget {
  /** Host name or IP to connect to (validated: IPv4 or RFC 1123 host name). */
  host: string;
  port: number;
  user: string;
  /** Absolute path of the private key, or undefined for ssh-agent only. */
  identityFile?: string;
  /** Absolute path of the OpenSSH known_hosts file used to verify the host key. */
  knownHosts: string;
  /** Run commands through `sudo -n` (for a non-root user). */
  become: boolean;
  connectTimeoutMs: number;
  /**
   * The settings the inventory sets explicitly (they win over ~/.ssh/config); the others hold defaults
   * that the SSH client config may replace. Undefined: every setting is explicit.
   */
  explicit?: readonly SshSetting[];
}
