/**
 * Which pings each node sends. Pure. From every selected node: its overlay and a don't-fragment ping at
 * the device MTU to every other node's overlay IP (to a direct peer, #14: its underlay IP, at the underlay
 * MTU); and a ping to every test endpoint (pod IP) of every
 * other cluster, sent from an address the node holds in its own pod blocks.
 */

import type { MeshModel, NodeModel } from "../model/types.js";
import { cidrContainsIp, type Ipv4 } from "../net/addr.js";
import type { NodePlan, Probe } from "./types.js";

/** The node whose pod blocks hold `ip`, if any. */
export function ownerOf(model: MeshModel, ip: Ipv4): NodeModel | undefined {
  return model.nodes.find((n) => n.podBlocks?.some((b) => cidrContainsIp(b, ip)));
}

export function planNode(model: MeshModel, node: NodeModel): NodePlan {
  const probes: Probe[] = [];
  const add = (p: Omit<Probe, "id">) => probes.push({ id: probes.length, ...p });
  const pairs = new Map(node.fdb.map((f) => [f.peer as string, f.pair]));
  for (const peer of model.nodes) {
    if (peer.name === node.name) continue;
    const pair = pairs.get(peer.name) ?? "vxlan";
    const path = pair === "vxlan" ? {} : { path: pair, underlay: peer.device.localIp };
    add({ kind: "overlay", to: peer.name, toCluster: peer.cluster, dst: peer.device.address, ...path });
    add({ kind: "mtu", to: peer.name, toCluster: peer.cluster, dst: peer.device.address, ...path });
  }
  for (const c of model.clusters) {
    if (c.name === node.cluster) continue;
    for (const ep of c.testEndpoints) {
      add({ kind: "pod", to: ownerOf(model, ep)?.name ?? ep, toCluster: c.name, dst: ep });
    }
  }
  return {
    node: node.name,
    cluster: node.cluster,
    podBlocks: node.podBlocks ?? [],
    overlayIp: node.device.address,
    underlayIp: node.device.localIp,
    probes,
  };
}

/** Matrix columns: every node, in inventory order (grouped by cluster), then endpoints no node owns. */
export function columnsOf(model: MeshModel): { name: string; cluster: string }[] {
  const cols: { name: string; cluster: string }[] = model.nodes.map((n) => ({
    name: n.name,
    cluster: n.cluster,
  }));
  for (const c of model.clusters) {
    for (const ep of c.testEndpoints) {
      if (!ownerOf(model, ep) && !cols.some((x) => x.name === ep)) cols.push({ name: ep, cluster: c.name });
    }
  }
  // Keep each cluster's columns together (unowned endpoints after their cluster's nodes).
  const order: string[] = model.clusters.map((c) => c.name);
  return cols
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order.indexOf(a.c.cluster) - order.indexOf(b.c.cluster) || a.i - b.i)
    .map((x) => x.c);
}
