/** What `meshctl verify` probes and what it found. Pure data. */
import type { Outcome } from "../core/errors.js";
import type { Cidr, Ipv4 } from "../net/addr.js";

export type ProbeKind = "overlay" | "mtu" | "pod";

/** One ping a source node sends. */
export interface Probe {
  /** Index in the node's probe list: the script labels each ping's output with it. */
  id: number;
  kind: ProbeKind;
  /** Destination node name; for a pod probe to an endpoint no node's pod block holds, the endpoint IP. */
  to: string;
  toCluster: string;
  dst: Ipv4;
  /**
   * A peer reached directly (#14) — `direct`: always; `auto`: when the node routes its underlay address
   * without a gateway (decided on the node). Then the overlay probe pings `underlay`, and the MTU probe
   * sends don't-fragment pings of the underlay's MTU to it.
   */
  path?: "direct" | "auto";
  underlay?: Ipv4;
}

/** Everything one node's verify script does. */
export interface NodePlan {
  node: string;
  cluster: string;
  /** Pod blocks the script looks in for a source address of the pod probes (empty: none known). */
  podBlocks: Cidr[];
  /** Source of the pod probes when the node holds no address in its pod blocks. */
  overlayIp: Ipv4;
  /** The node's underlay address (the MTU of the interface holding it sizes direct peers' MTU probes). */
  underlayIp: Ipv4;
  probes: Probe[];
}

/** Where the pod probes of a node were sent from. */
export interface PodSource {
  /** The address the pings were bound to (`ping -I`). */
  address: Ipv4;
  /** `pod-block`: an address the node holds in one of its pod blocks; `overlay`: its overlay IP (fallback). */
  kind: "pod-block" | "overlay";
}

/** Parsed statistics of one ping run. */
export interface PingStats {
  sent: number;
  received: number;
  /** Packet loss in percent, as ping printed it. */
  loss: number;
  /** Average round-trip time (ms) when any reply came. */
  rttMs?: number;
  /** ping's exit status. */
  exitCode?: number;
  /** Why it failed, in ping's words (first error line), when it did. */
  detail?: string;
}

export interface ProbeResult {
  from: string;
  fromCluster: string;
  to: string;
  toCluster: string;
  kind: ProbeKind;
  dst: Ipv4;
  /** Source address (`ping -I`), pod probes only. */
  src?: Ipv4;
  /** Payload size (`ping -s`), MTU probes only. */
  size?: number;
  ok: boolean;
  rttMs?: number;
  /** Packet loss in percent (100 when the probe could not run). */
  loss: number;
  sent: number;
  received: number;
  /** Plain-language reason for a failure. */
  detail?: string;
}

export interface NodeVerify {
  node: string;
  cluster: string;
  host: string;
  status: "ok" | "failed" | "unreachable";
  /** MTU of the mesh device as the node reported it (undefined: device absent). */
  deviceMtu?: number;
  podSource?: PodSource;
  /** Notes worth telling the user (fallback source address, device absent, …). */
  notes: string[];
  probes: ProbeResult[];
  /** Set when the node could not be verified at all (unreachable, script failed). */
  error?: string;
}

export interface VerifyResult {
  /** Every node of the inventory, grouped by cluster (the matrix columns). */
  columns: { name: string; cluster: string }[];
  nodes: NodeVerify[];
  /** Run-wide notes (e.g. a cluster whose pod blocks could not be read). */
  warnings: string[];
  outcome: Outcome;
}
