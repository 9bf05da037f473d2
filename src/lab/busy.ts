/**
 * Busy, Calico-like lab nodes: the foreign state a real Kubernetes node carries and meshctl must leave exactly
 * as it found it. Pure text: the sh script `lab up` runs in each node's namespace (one `ip -batch` for the
 * links, one for the rest, one `bridge -batch`, one for the pod ends, one `iptables-restore`).
 *
 * Per node: `pods` cali* veths (the other ends in the node's pod namespace, as the pods' eth0 would be),
 * rp_filter 1 and proxy_arp 1 on each (as Felix sets them), a /32 route per workload address; `kube-ipvs0`
 * (a bridge, DOWN and NOARP, since this kernel has no dummy links) with every Service address of the cluster;
 * `vxlan.calico` (VNI 4096, port 4789) with its tunnel address, a neighbour and an FDB entry per other node of
 * the cluster and a route (protocol 80, onlink) to each of their blocks; a blackhole (protocol 80) for each
 * of its own blocks; Calico's filter chains hooked into FORWARD, INPUT and OUTPUT.
 */
import type { OsRelease } from "./osrelease.js";
import {
  type BusySize,
  CALICO_PROTO,
  CALICO_VXLAN,
  calicoVtepIp,
  calicoVtepMac,
  KUBE_IPVS,
  type PlannedCluster,
  type PlannedNode,
  POD_MTU,
  serviceAddresses,
  workloads,
} from "./plan.js";
import { shq } from "./sys.js";

const conf = (iface: string, key: string) => `/proc/sys/net/ipv4/conf/${iface}/${key}`;

/** Calico's filter-table hooks and chains (rule comments as Felix writes them). */
export function calicoIptables(): string {
  const c = (id: string) => `-m comment --comment "cali:${id}"`;
  return [
    "*filter",
    ...[
      "cali-FORWARD",
      "cali-INPUT",
      "cali-OUTPUT",
      "cali-cidr-block",
      "cali-from-hep-forward",
      "cali-from-wl-dispatch",
      "cali-to-hep-forward",
      "cali-to-wl-dispatch",
    ].map((ch) => `:${ch} - [0:0]`),
    `-I FORWARD 1 ${c("wUHhoiAYhphO9Mso")} -j cali-FORWARD`,
    `-A FORWARD ${c("S93hcgKJrXEqnTfs")} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A FORWARD ${c("mp77cMpurHhyjLrM")} -j MARK --set-xmark 0x10000/0x10000`,
    `-I INPUT 1 ${c("Cz_u1IQiXIMmKD4c")} -j cali-INPUT`,
    `-I OUTPUT 1 ${c("tVnHkvAo15HuiPy0")} -j cali-OUTPUT`,
    `-A cali-FORWARD ${c("vjrMJCRpqwy5oRoX")} -j MARK --set-xmark 0x0/0xe0000`,
    `-A cali-FORWARD ${c("A_sPAO0mcxbT9mOV")} -m mark --mark 0x0/0x10000 -j cali-from-hep-forward`,
    `-A cali-FORWARD -i cali+ ${c("8ZoYfO5HKXWbB3pk")} -j cali-from-wl-dispatch`,
    `-A cali-FORWARD -o cali+ ${c("jdEuaPBe14V2hutn")} -j cali-to-wl-dispatch`,
    `-A cali-FORWARD ${c("12bc6HljsMKsmfr-")} -j cali-to-hep-forward`,
    `-A cali-FORWARD ${c("NOSxoaGx8OIstr1z")} -j cali-cidr-block`,
    `-A cali-from-wl-dispatch ${c("zTj6P0TIgYvgz-md")} -m comment --comment "Unknown interface" -j DROP`,
    `-A cali-to-wl-dispatch ${c("7KNphB1nNHw80nIO")} -m comment --comment "Unknown interface" -j DROP`,
    "COMMIT",
    "",
  ].join("\n");
}

const heredoc = (cmd: string, lines: readonly string[]) =>
  lines.length === 0 ? [] : [`${cmd} <<'EOF'`, ...lines, "EOF"];

export interface BusyTools {
  ip: string;
  bridge: string;
  iptablesRestore?: string;
}

/** The script that loads a node (run with `sh -e` inside the node's network namespace). */
export function busyNodeScript(
  node: PlannedNode,
  cluster: PlannedCluster,
  size: BusySize,
  release: OsRelease,
  tools: BusyTools,
): string {
  const ip = shq(tools.ip);
  const wls = workloads(node, size.pods);
  const peers = cluster.nodes.filter((p) => p.name !== node.name);
  const rp = release.rpFilter;
  const vx = CALICO_VXLAN.device;
  return [
    `echo ${rp} > ${conf("all", "rp_filter")}`,
    // Workload interfaces inherit rp_filter 1 and proxy_arp 1 from `default` while they are made.
    `echo 1 > ${conf("default", "rp_filter")}`,
    `echo 1 > ${conf("default", "proxy_arp")}`,
    ...heredoc(
      `${ip} -batch -`,
      wls.map(
        (w) =>
          `link add ${w.hostIf} mtu ${POD_MTU} type veth peer name ${w.peerIf} mtu ${POD_MTU} netns ${node.podNamespace}`,
      ),
    ),
    `echo ${rp} > ${conf("default", "rp_filter")}`,
    `echo 0 > ${conf("default", "proxy_arp")}`,
    ...heredoc(`${ip} -batch -`, [
      ...wls.map((w) => `link set ${w.hostIf} up`),
      ...wls.flatMap((w) => (w.ip ? [`route add ${w.ip}/32 dev ${w.hostIf} scope link`] : [])),
      ...(size.services > 0
        ? [
            `link add ${KUBE_IPVS} type bridge`,
            `link set ${KUBE_IPVS} arp off`,
            ...serviceAddresses(cluster, size.services).map((a) => `address add ${a}/32 dev ${KUBE_IPVS}`),
          ]
        : []),
      `link add ${vx} address ${calicoVtepMac(node)} type vxlan id ${CALICO_VXLAN.vni} local ${node.underlayIp} dev eth0 dstport ${CALICO_VXLAN.port} nolearning`,
      `address add ${calicoVtepIp(node)}/32 dev ${vx}`,
      `link set ${vx} up`,
      ...peers.map((p) => `neigh add ${calicoVtepIp(p)} lladdr ${calicoVtepMac(p)} dev ${vx} nud permanent`),
      ...peers.flatMap((p) =>
        p.podBlocks.map(
          (b) => `route add ${b} via ${calicoVtepIp(p)} dev ${vx} onlink proto ${CALICO_PROTO}`,
        ),
      ),
      ...node.podBlocks.map((b) => `route add blackhole ${b} proto ${CALICO_PROTO}`),
    ]),
    ...heredoc(
      `${shq(tools.bridge)} -batch -`,
      peers.map((p) => `fdb append ${calicoVtepMac(p)} dev ${vx} dst ${p.underlayIp} self permanent`),
    ),
    ...heredoc(
      `${ip} -n ${node.podNamespace} -batch -`,
      wls.map((w) => `link set ${w.peerIf} up`),
    ),
    ...(tools.iptablesRestore ? heredoc(`${shq(tools.iptablesRestore)} --noflush`, [calicoIptables()]) : []),
  ].join("\n");
}
