/** The lab's fake Kubernetes API per cluster: seed objects, kubeconfig, and where the server lives. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PlannedCluster } from "./plan.js";

/** Calico names a block affinity `<node>-<cidr with . and / as ->`. */
export function blockAffinityName(node: string, cidr: string): string {
  return `${node}-${cidr.replaceAll(".", "-").replaceAll("/", "-")}`;
}

/** What a Node and its block affinities are made of (a planned node, or a lab node's info). */
export interface KubeNodeSeed {
  name: string;
  cluster: string;
  underlayIp: string;
  podBlocks: readonly string[];
  control: boolean;
}

/** Core v1 Node objects (spec.podCIDRs = the first block) and Calico BlockAffinities (every block). */
export function seedObjects(cluster: PlannedCluster): unknown[] {
  return [...cluster.nodes.map(nodeObject), ...cluster.nodes.flatMap(blockAffinities)];
}

/** A node's Node object: its InternalIP is its underlay address. */
export function nodeObject(n: KubeNodeSeed): unknown {
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": n.name,
    "kubernetes.io/os": "linux",
    "meshctl.dev/lab-cluster": n.cluster,
  };
  if (n.control) labels["node-role.kubernetes.io/control-plane"] = "";
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels },
    spec: { podCIDR: n.podBlocks[0], podCIDRs: n.podBlocks.slice(0, 1) },
    status: {
      addresses: [
        { type: "InternalIP", address: n.underlayIp },
        { type: "Hostname", address: n.name },
      ],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "meshctl lab node" }],
      nodeInfo: {
        kubeletVersion: "v1.23.17",
        osImage: "meshctl lab (network namespace)",
        operatingSystem: "linux",
      },
    },
  };
}

/** Calico's confirmed block affinity for every block of the node. */
export function blockAffinities(n: KubeNodeSeed): unknown[] {
  return n.podBlocks.map((cidr) => ({
    apiVersion: "crd.projectcalico.org/v1",
    kind: "BlockAffinity",
    metadata: { name: blockAffinityName(n.name, cidr) },
    spec: { node: n.name, cidr, state: "confirmed", deleted: "false" },
  }));
}

/**
 * The fake API server's entry point: next to this module when running from dist/, or the built copy in
 * dist/ when running from src/ (tests, tsx).
 */
export function kubeApiServerCandidates(): string[] {
  const here = import.meta.url;
  return [
    fileURLToPath(new URL("./kubeapi/main.js", here)),
    fileURLToPath(new URL("../../dist/lab/kubeapi/main.js", here)),
  ];
}

export function findKubeApiServer(): string | undefined {
  return kubeApiServerCandidates().find((p) => p.endsWith(".js") && existsSync(p));
}
