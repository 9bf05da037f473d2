/** What `meshctl diagnose` finds. Pure data. */
import type { Outcome } from "../core/errors.js";
import type { Finding } from "../core/finding.js";
import type { Cidr, Ipv4 } from "../net/addr.js";

export type { Finding, Severity } from "../core/finding.js";

/** A FORWARD-hook chain as iptables or nft reports it. */
export interface ForwardChain {
  /** `iptables`, or `nft <family> <table>`. */
  source: string;
  chain: string;
  policyDrop: boolean;
  /** A rule accepts traffic coming in / going out on the mesh device. */
  acceptsIn: boolean;
  acceptsOut: boolean;
}

export type FirewallTool = { present: false } | { present: true; error?: string; chains: ForwardChain[] };

export interface UdpSocket {
  family: "udp" | "udp6";
  /** Local address as /proc/net/udp prints it (hex). */
  local: string;
  uid: number;
  inode: number;
}

/** A route of the main table inside another cluster's pod CIDR (`ip route show root <cidr>`). */
export interface RootRoute {
  dst: Cidr;
  type: string;
  via?: Ipv4;
  dev?: string;
  protocol: number | string;
  scope?: string;
}

/** What the diagnose script gathers besides the facts. */
export interface DiagnoseExtra {
  iptables: FirewallTool;
  nft: FirewallTool;
  /** Sockets bound to the mesh's UDP port. */
  udpSockets: UdpSocket[];
  /** Per other cluster's pod CIDR: the main-table routes inside it; `error` when unreadable. */
  rootRoutes: { cidr: Cidr; routes: RootRoute[]; error?: string }[];
}

export interface NodeDiagnosis {
  node: string;
  cluster: string;
  host: string;
  status: "checked" | "failed" | "unreachable";
  error?: string;
}

export interface DiagnoseResult {
  nodes: NodeDiagnosis[];
  findings: Finding[];
  /** Checks that could not run at all, and why (e.g. no Kubernetes access). */
  skipped: string[];
  outcome: Outcome;
}
