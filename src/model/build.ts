/**
 * inventory → desired state. Pure. Every node gets one neighbour and one FDB entry per other node
 * (all clusters) and one route per pod block of every node of the *other* clusters. What each cluster
 * needs (e.g. Calico IPPools) is its CNI's (src/cni/).
 */

import type { Inventory, InventoryNode } from "../inventory/types.js";
import type { Cidr } from "../net/addr.js";
import { cidrPrefix } from "../net/addr.js";
import type { ClusterModel, MeshModel, NodeModel } from "./types.js";

/** Pod blocks found in the clusters for nodes whose inventory lists none (name → blocks). */
export type DiscoveredBlocks = ReadonlyMap<string, readonly Cidr[]>;

export function blocksOf(node: InventoryNode, discovered?: DiscoveredBlocks): Cidr[] | undefined {
  const blocks = node.podBlocks ?? discovered?.get(node.name);
  return blocks === undefined ? undefined : [...blocks];
}

export function buildModel(inv: Inventory, discovered?: DiscoveredBlocks): MeshModel {
  const all = inv.clusters.flatMap((c) => c.nodes);
  const prefixLen = cidrPrefix(inv.mesh.overlay);
  const nodes = all.map((n): NodeModel => {
    const peers = all.filter((p) => p.name !== n.name);
    const podBlocks = blocksOf(n, discovered);
    return {
      name: n.name,
      cluster: n.cluster,
      ssh: n.ssh,
      ...(podBlocks === undefined ? {} : { podBlocks }),
      device: {
        name: inv.mesh.device,
        vni: inv.mesh.vni,
        port: inv.mesh.port,
        localIp: n.underlayIp,
        ...(n.underlayInterface === undefined ? {} : { underlayDev: n.underlayInterface }),
        mac: n.mac,
        address: n.overlayIp,
        prefixLen,
        mtu: inv.mesh.mtu,
      },
      routeProtocol: inv.mesh.routeProtocol,
      fdb: peers.map((p) => ({ peer: p.name, mac: p.mac, dst: p.underlayIp })),
      neighbours: peers.map((p) => ({ peer: p.name, ip: p.overlayIp, mac: p.mac })),
      routes: peers
        .filter((p) => p.cluster !== n.cluster)
        .flatMap((p) =>
          (blocksOf(p, discovered) ?? []).map((dst) => ({ peer: p.name, dst, via: p.overlayIp })),
        ),
    };
  });
  const clusters = inv.clusters.map(({ nodes: _nodes, ...c }): ClusterModel => c);
  return { clusters, nodes };
}

/** Names of nodes whose pod blocks are neither in the inventory nor discovered. */
export function nodesWithoutBlocks(inv: Inventory, discovered?: DiscoveredBlocks): string[] {
  return inv.clusters
    .flatMap((c) => c.nodes)
    .filter((n) => blocksOf(n, discovered) === undefined)
    .map((n) => n.name);
}
