/**
 * `nodes_from: kubernetes`: a cluster's nodes are its Kubernetes Nodes. Each Node becomes an inventory
 * node — name from Kubernetes, SSH host and underlay IP from its InternalIP — unless the inventory's
 * entry of the same name overrides them (host, underlay_ip, underlay_interface, ssh, overlay_ip, mac,
 * pod_blocks). Overlay IP and MAC are allocated as for any node (local to the node: a join or a leave
 * renumbers nobody). Pure: the Nodes are read elsewhere (src/exec/cluster-nodes.ts).
 */
import { MeshctlError } from "../core/errors.js";
import { cidrContainsIp, type Ipv4, type Mac, parseDnsLabel, parseIpv4 } from "../net/addr.js";
import { allocate, macFor } from "./allocate.js";
import type { Inventory, InventoryCluster, InventoryNode, KubeNode, NodesFrom } from "./types.js";

/** Kubernetes Nodes by cluster name. */
export type ReportedNodes = ReadonlyMap<string, readonly KubeNode[]>;

/** The clusters whose node list comes from Kubernetes. */
export const clustersWithNodesFrom = (inv: Inventory): InventoryCluster[] =>
  inv.clusters.filter((c) => c.nodesFrom !== undefined);

/**
 * `inv` with every `nodes_from` cluster's nodes made from what it reported. A cluster missing from
 * `reported` is an error (its nodes are unknown: no node of the mesh may be pruned for it); so is a
 * Node meshctl cannot mesh (no usable name or address), and any collision with another node.
 */
export function withClusterNodes(inv: Inventory, reported: ReportedNodes): Inventory {
  const problems: string[] = [];
  /** What the overrides pin, per node made here (the rest is allocated below). */
  const pins = new Map<InventoryNode, Pins>();
  const clusters = inv.clusters.map((c): InventoryCluster => {
    if (c.nodesFrom === undefined) return c;
    const kube = reported.get(c.name);
    if (kube === undefined) {
      throw new MeshctlError(`cluster ${c.name}: its Nodes were not read, so its node list is unknown`);
    }
    const nodes = kube.flatMap((k) => {
      const made = nodeOf(c, c.nodesFrom as NodesFrom, k);
      if (typeof made === "string") {
        problems.push(made);
        return [];
      }
      pins.set(made.node, made.pins);
      return [made.node];
    });
    return { ...c, nodes: [...nodes].sort((a, b) => a.name.localeCompare(b.name)) };
  });
  const all = clusters.flatMap((c) => c.nodes);
  problems.push(...collisions(inv, all));
  const { allocations, issues } = allocate(
    inv.mesh.overlay,
    all.map((n) => ({
      path: [n.name],
      name: n.name,
      underlayIp: n.underlayIp,
      // The inventory's own nodes are allocated already: they take part as pinned — their MAC only when it
      // is not the one their overlay IP derives (two derived MACs collide only with their IPs, reported as such).
      ...(pins.get(n) ?? {
        overlayIp: n.overlayIp,
        ...(n.mac === macFor(n.overlayIp) ? {} : { mac: n.mac }),
      }),
    })),
  );
  problems.push(...issues.map((i) => i.message));
  if (problems.length > 0) {
    throw new MeshctlError(
      `the nodes the clusters report cannot be meshed (nothing was changed):\n  ${[...new Set(problems)].join("\n  ")}`,
      "conflict",
    );
  }
  const allocated = new Map(all.map((n, i) => [n, allocations[i]]));
  return {
    ...inv,
    clusters: clusters.map((c) =>
      c.nodesFrom === undefined
        ? c
        : { ...c, nodes: c.nodes.map((n) => ({ ...n, ...(allocated.get(n) ?? {}) })) },
    ),
  };
}

interface Pins {
  overlayIp?: Ipv4;
  mac?: Mac;
}

/** One Kubernetes Node as an inventory node, or why it cannot be one. */
function nodeOf(
  c: InventoryCluster,
  from: NodesFrom,
  k: KubeNode,
): { node: InventoryNode; pins: Pins } | string {
  const name = parseDnsLabel(k.name);
  if (!name.ok) {
    return `cluster ${c.name}: Node "${k.name}" is not an RFC 1123 label (${name.error}); meshctl names a node's peers by node name`;
  }
  const o = from.overrides.find((x) => x.name === name.value);
  const host = o?.host ?? k.internalIp;
  const underlayIp = o?.underlayIp ?? k.internalIp;
  if (host === undefined || underlayIp === undefined) {
    return `cluster ${c.name}: Node ${k.name} has no InternalIP: give it host and underlay_ip in the inventory`;
  }
  const dev = o?.underlayInterface ?? from.defaults.underlayInterface;
  const node: InventoryNode = {
    name: name.value,
    cluster: c.name,
    ssh: { host, ...(o?.ssh ?? from.defaults.ssh) },
    underlayIp,
    ...(dev === undefined ? {} : { underlayInterface: dev }),
    // Replaced by the allocation in withClusterNodes.
    overlayIp: underlayIp,
    mac: "00:00:00:00:00:00" as Mac,
    ...(o?.podBlocks === undefined ? {} : { podBlocks: [...o.podBlocks] }),
  };
  return {
    node,
    pins: {
      ...(o?.overlayIp === undefined ? {} : { overlayIp: o.overlayIp }),
      ...(o?.mac === undefined ? {} : { mac: o.mac }),
    },
  };
}

/** Duplicate names, underlay IPs and SSH addresses across the whole mesh; underlays inside the overlay. */
function collisions(inv: Inventory, all: readonly InventoryNode[]): string[] {
  const out: string[] = [];
  const seen = (key: (n: InventoryNode) => string, what: string) => {
    const first = new Map<string, InventoryNode>();
    for (const n of all) {
      const k = key(n);
      const other = first.get(k);
      if (other)
        out.push(
          `duplicate ${what} ${k}: node ${n.name} (cluster ${n.cluster}) and node ${other.name} (cluster ${other.cluster})`,
        );
      else first.set(k, n);
    }
  };
  seen((n) => n.name, "node name");
  seen((n) => n.underlayIp, "underlay IP");
  seen((n) => `${n.ssh.host.toLowerCase()}:${n.ssh.port}`, "SSH address");
  // Lock-out (as the inventory's own nodes are checked): no range meshctl routes may hold a node's address.
  const ranges = [
    { cidr: inv.mesh.overlay, label: "the overlay" },
    ...inv.clusters.flatMap((c) => [
      { cidr: c.podCidr, label: `${c.name}'s pod_cidr` },
      { cidr: c.serviceCidr, label: `${c.name}'s service_cidr` },
    ]),
  ];
  for (const n of all) {
    const ips = new Set([n.underlayIp, ...(parseIpv4(n.ssh.host).ok ? [n.ssh.host as Ipv4] : [])]);
    for (const ip of ips) {
      for (const r of ranges.filter((x) => cidrContainsIp(x.cidr, ip))) {
        out.push(
          `node ${n.name}'s address ${ip} lies inside ${r.label} ${r.cidr} (lock-out): override its host/underlay_ip`,
        );
      }
    }
  }
  return out;
}
