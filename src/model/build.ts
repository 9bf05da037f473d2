/**
 * inventory → desired state. Pure. Every node gets one neighbour and one FDB entry per other node
 * (all clusters) and one route per pod block of every node of the *other* clusters. What each cluster
 * needs (e.g. Calico IPPools) is its CNI's (src/cni/). Pod blocks the inventory leaves out are added from
 * what the clusters report by resolveModel (src/model/resolve.ts).
 */

import type { Inventory, InventoryNode } from "../inventory/types.js";
import { cidrPrefix, type Ipv4 } from "../net/addr.js";
import { pairMode } from "./paths.js";
import { type DiscoveredBlocks, resolveModel } from "./resolve.js";
import { routesOf } from "./routes.js";
import type { ClusterModel, FdbSpec, MeshMode, MeshModel, NodeModel } from "./types.js";

export type { DiscoveredBlocks } from "./resolve.js";

/**
 * The model of the inventory alone; with `discovered`, resolved with those blocks too (the same as
 * resolveModel(buildModel(inv), discovered)).
 */
export function buildModel(inv: Inventory, discovered?: DiscoveredBlocks): MeshModel {
  const all = inv.clusters.flatMap((c) => c.nodes);
  const prefixLen = cidrPrefix(inv.mesh.overlay);
  // What each node is to its peers, made once and shared by every peer's lists (read-only data): the
  // model of N nodes holds N² references but only O(N) entries.
  // (one FDB list per pair mode: a mesh of one mode shares a single one).
  const modeOf = new Map(inv.clusters.map((c) => [c.name as string, c.mode]));
  const mode = (n: InventoryNode): MeshMode => modeOf.get(n.cluster) ?? inv.mesh.mode;
  const fdbByPair = new Map<MeshMode, FdbSpec[]>();
  const fdbFor = (pair: MeshMode): FdbSpec[] => {
    const known = fdbByPair.get(pair);
    if (known) return known;
    const made = all.map((p) => ({ peer: p.name, mac: p.mac, dst: p.underlayIp, pair }));
    fdbByPair.set(pair, made);
    return made;
  };
  const neighbours = all.map((p) => ({ peer: p.name, ip: p.overlayIp, mac: p.mac }));
  const modes = all.map(mode);
  const nodes = all.map((n, i): NodeModel => {
    const mine = modes[i] as MeshMode;
    const fdb: FdbSpec[] = [];
    for (let j = 0; j < all.length; j++)
      if (j !== i) fdb.push(fdbFor(pairMode(mine, modes[j] as MeshMode))[j] as FdbSpec);
    return {
      ...nodeModel(inv, n, prefixLen, mine),
      fdb,
      neighbours: neighbours.filter((_, j) => j !== i),
    };
  });
  const withRoutes = nodes.map((n) => ({ ...n, routes: routesOf(nodes, n) }));
  const clusters = inv.clusters.map(({ nodes: _nodes, ...c }): ClusterModel => c);
  const base = { clusters, nodes: withRoutes };
  return discovered ? resolveModel(base, discovered) : base;
}

/** A node's own part of the model (its peer lists are filled in by buildModel). */
function nodeModel(inv: Inventory, n: InventoryNode, prefixLen: number, mode: MeshMode): NodeModel {
  return {
    name: n.name,
    cluster: n.cluster,
    ssh: n.ssh,
    ...(n.podBlocks === undefined ? {} : { podBlocks: [...n.podBlocks] }),
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
    mode,
    routeProtocol: inv.mesh.routeProtocol,
    ...(inv.mesh.persist ? {} : { persist: false }),
    ...apiServerOf(inv, n),
    fdb: [],
    neighbours: [],
    routes: [],
  };
}

function apiServerOf(inv: Inventory, n: InventoryNode): { apiServer?: Ipv4 } {
  const api = inv.clusters.find((c) => c.name === n.cluster)?.apiServer;
  return api === undefined ? {} : { apiServer: api };
}
