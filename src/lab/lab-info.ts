/** The lab's description (state.json `info`): what tests and `lab status` read. */
import { join } from "node:path";
import { osRelease } from "./osrelease.js";
import { CONTROLLER_IP, KUBE_API_PORT, LAB_BRIDGE, type LabPlan, SUDO_USER } from "./plan.js";
import type { LabInfo } from "./state.js";

export function buildInfo(plan: LabPlan, dir: string, inventory: string, kubeApi: boolean): LabInfo {
  return {
    dir,
    inventory,
    knownHosts: join(dir, "known_hosts"),
    identityFile: join(dir, "id_ed25519"),
    sudoUser: SUDO_USER,
    controllerIp: CONTROLLER_IP,
    bridge: LAB_BRIDGE,
    discover: plan.discover,
    kubeApi,
    ...(plan.busy ? { busy: plan.busy } : {}),
    clusters: plan.clusters.map((c) => ({
      name: c.name,
      podCidr: c.podCidr,
      serviceCidr: c.serviceCidr,
      control: c.control,
      controlNamespace: c.nodes[0]?.namespace ?? "",
      os: c.os,
      ...(kubeApi
        ? {
            kubeconfig: join(dir, "kube", `${c.name}.kubeconfig`),
            kubeApiUrl: `http://${c.nodes[0]?.underlayIp}:${KUBE_API_PORT}`,
          }
        : {}),
      nodes: c.nodes.map((n) => n.name),
      ...(c.spares.length > 0 ? { spares: c.spares.map((n) => n.name) } : {}),
    })),
    nodes: plan.nodes.map((n) => ({
      cluster: n.cluster,
      name: n.name,
      namespace: n.namespace,
      underlayIp: n.underlayIp,
      podNamespace: n.podNamespace,
      podIp: n.podIp,
      podGateway: n.podGateway,
      podBlocks: n.podBlocks,
      control: n.control,
      os: n.os,
      iproute2: osRelease(n.os).iproute2,
      ...(n.spare ? { spare: true } : {}),
    })),
  };
}
