import type { SshTarget } from "../model/types.js";
import type { Cidr, DnsLabel, IfName, Ipv4, Mac } from "../net/addr.js";

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
  };
  clusters: InventoryCluster[];
}

export interface InventoryCluster {
  name: DnsLabel;
  podCidr: Cidr;
  serviceCidr: Cidr;
  cni: "calico";
  control: DnsLabel;
  kubeconfig?: string;
  context?: string;
  /** Pod IPs `meshctl verify` pings from the other clusters. */
  testEndpoints: Ipv4[];
  nodes: InventoryNode[];
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
