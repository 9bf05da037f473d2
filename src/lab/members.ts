/**
 * `meshctl lab join|leave NODE`: a node joins its cluster (its Node and its block affinities are created in
 * the cluster's fake API, as kubelet and Calico would) or leaves it (they are deleted, as `kubectl delete
 * node` and Calico's garbage collection would). With real kubectl inside the control node's namespace,
 * against the lab API; the node's namespaces and sshd stay (a `--spare` node is built, just not registered).
 */
import { join } from "node:path";
import { LabError } from "./errors.js";
import { blockAffinities, blockAffinityName, nodeObject } from "./kube.js";
import type { LabClusterInfo, LabInfo, LabNodeInfo } from "./state.js";
import { readState } from "./state.js";
import { run } from "./sys.js";

export interface LabMemberOptions {
  dir: string;
  node: string;
}

function find(opts: LabMemberOptions): { info: LabInfo; node: LabNodeInfo; cluster: LabClusterInfo } {
  const st = readState(opts.dir);
  if (!st) throw new LabError(`no lab in ${opts.dir}`);
  const node = st.info.nodes.find((n) => n.name === opts.node);
  if (!node)
    throw new LabError(`no lab node ${opts.node} (nodes: ${st.info.nodes.map((n) => n.name).join(", ")})`);
  const cluster = st.info.clusters.find((c) => c.name === node.cluster) as LabClusterInfo;
  if (!cluster.kubeconfig) throw new LabError(`the lab runs without Kubernetes APIs (--no-kube-api)`);
  return { info: st.info, node, cluster };
}

/** kubectl in the cluster's control node namespace (its API listens only there), with a private cache. */
async function kubectl(info: LabInfo, cluster: LabClusterInfo, args: string[], input?: string) {
  const kube = join(info.dir, "kube");
  const r = await run(
    "ip",
    [
      "netns",
      "exec",
      cluster.controlNamespace,
      "env",
      `HOME=${kube}`,
      "kubectl",
      "--kubeconfig",
      cluster.kubeconfig as string,
      "--cache-dir",
      join(kube, "cache"),
      "--request-timeout=10s",
      ...args,
    ],
    { ...(input === undefined ? {} : { input }), timeoutMs: 30_000, allowFail: true },
  );
  if (r.code !== 0)
    throw new LabError(
      `kubectl ${args.join(" ")} in ${cluster.name}: ${r.stderr.trim() || `exit ${r.code}`}`,
    );
  return r.stdout;
}

/** Registers the node in its cluster: its Node (InternalIP = its underlay address) and block affinities. */
export async function labJoin(opts: LabMemberOptions): Promise<LabNodeInfo> {
  const { info, node, cluster } = find(opts);
  const items = [nodeObject(node), ...blockAffinities(node)];
  await kubectl(
    info,
    cluster,
    ["create", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items }),
  );
  return node;
}

/** Removes the node from its cluster: its Node and its block affinities. */
export async function labLeave(opts: LabMemberOptions): Promise<LabNodeInfo> {
  const { info, node, cluster } = find(opts);
  await kubectl(info, cluster, ["delete", "node", node.name]);
  const names = node.podBlocks.map((b) => blockAffinityName(node.name, b));
  await kubectl(info, cluster, [
    "delete",
    "blockaffinities.crd.projectcalico.org",
    ...names,
    "--ignore-not-found",
  ]);
  return node;
}
