/** The inventory `lab up` writes: a plain meshctl inventory (same shape as inventories/seed.yaml). */
import { Document, isMap, isScalar, isSeq } from "yaml";
import { type LabPlan, OVERLAY_CIDR } from "./plan.js";
import type { LabInfo } from "./state.js";

export const LAB_MESH = {
  device: "mshvx0",
  vni: 10001,
  port: 4899,
  overlay: OVERLAY_CIDR,
  mtu: "auto",
  route_protocol: 77,
} as const;

export function renderInventory(plan: LabPlan, info: LabInfo, createdAt: string): string {
  const data = {
    mesh: {
      ...LAB_MESH,
      ssh: { user: "root", port: 22, identity_file: info.identityFile, known_hosts: info.knownHosts },
    },
    clusters: plan.clusters.map((c) => {
      const kubeconfig = info.clusters.find((ci) => ci.name === c.name)?.kubeconfig;
      return {
        name: c.name,
        pod_cidr: c.podCidr,
        service_cidr: c.serviceCidr,
        cni: "calico",
        control: c.control,
        ...(kubeconfig ? { kubeconfig } : {}),
        // The lab's pod addresses: what `meshctl verify` pings across clusters.
        test_endpoints: c.nodes.map((n) => n.podIp),
        nodes: c.nodes.map((n) => ({
          name: n.name,
          host: n.underlayIp,
          ...(plan.discover ? {} : { pod_blocks: n.podBlocks }),
        })),
      };
    }),
  };
  const doc = new Document(data);
  doc.commentBefore = [
    ` meshctl lab inventory, written by \`meshctl lab up\` at ${createdAt}.`,
    ` Lab directory: ${info.dir} (lab facts such as pod namespaces and pod IPs: ${info.dir}/lab.json,`,
    " or `meshctl lab status`). Every node is a network namespace on this host, reached over the bridge",
    ` ${info.bridge} (${info.controllerIp}); every address is inside 198.18.0.0/15. underlay_interface,`,
    " overlay_ip and mac are left to meshctl (discovered / derived from the underlay address).",
    plan.discover ? " Pod blocks are discovered from each cluster's (fake) Kubernetes API." : "",
    " Take it all down with `meshctl lab down`.",
  ]
    .filter(Boolean)
    .join("\n");
  // Readability: flow-style pod_blocks with the pod address as a trailing comment, a blank line between clusters.
  const clustersPair = isMap(doc.contents)
    ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "clusters")
    : undefined;
  if (clustersPair && isScalar(clustersPair.key)) clustersPair.key.spaceBefore = true;
  const clusters = doc.get("clusters");
  if (isSeq(clusters)) {
    clusters.items.forEach((cl, ci) => {
      if (!isMap(cl)) return;
      if (ci > 0) cl.spaceBefore = true;
      const nodes = cl.get("nodes");
      if (!isSeq(nodes)) return;
      nodes.items.forEach((nd, ni) => {
        const planned = plan.clusters[ci]?.nodes[ni];
        if (!isMap(nd) || !planned) return;
        const blocks = nd.get("pod_blocks");
        if (isSeq(blocks)) blocks.flow = true;
        const last = nd.items[nd.items.length - 1]?.value;
        if (last && typeof last === "object") {
          (last as { comment?: string | null }).comment =
            ` pod ${planned.podIp} in netns ${planned.podNamespace}; os ${planned.os}`;
        }
      });
    });
  }
  return doc.toString({ lineWidth: 0 });
}
