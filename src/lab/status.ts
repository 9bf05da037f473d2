/** `lab status`: what lab.json says, checked against the host (namespaces present, processes alive). */
import { resolve } from "node:path";
import { DEFAULT_LAB_DIR, listNamespaces } from "./host.js";
import { type LabInfo, readState } from "./state.js";
import { isAlive } from "./sys.js";

export interface LabNodeStatus {
  name: string;
  cluster: string;
  namespace: string;
  underlayIp: string;
  podIp: string;
  namespaceUp: boolean;
  podNamespaceUp: boolean;
  sshdUp: boolean;
}

export interface LabClusterStatus {
  name: string;
  control: string;
  /** undefined when the lab runs without Kubernetes APIs. */
  kubeApiUp?: boolean;
}

export interface LabStatus {
  dir: string;
  /** "starting": lab up has not finished (or died half-way: run lab down). */
  phase: "starting" | "up";
  createdAt: string;
  /** Every namespace, sshd and API server that should be there is there. */
  healthy: boolean;
  info: LabInfo;
  nodes: LabNodeStatus[];
  clusters: LabClusterStatus[];
}

export async function labStatus(opts: { dir?: string } = {}): Promise<LabStatus | undefined> {
  const dir = resolve(opts.dir ?? DEFAULT_LAB_DIR);
  const st = readState(dir);
  if (!st) return undefined;
  const namespaces = new Set(await listNamespaces());
  const alive = (role: string, owner: string) =>
    st.processes.some((p) => p.role === role && p.owner === owner && isAlive(p.pid, p.startTime));
  const nodes: LabNodeStatus[] = st.info.nodes.map((n) => ({
    name: n.name,
    cluster: n.cluster,
    namespace: n.namespace,
    underlayIp: n.underlayIp,
    podIp: n.podIp,
    namespaceUp: namespaces.has(n.namespace),
    podNamespaceUp: namespaces.has(n.podNamespace),
    sshdUp: alive("sshd", n.name),
  }));
  const clusters: LabClusterStatus[] = st.info.clusters.map((c) => ({
    name: c.name,
    control: c.control,
    ...(st.info.kubeApi ? { kubeApiUp: alive("kubeapi", c.name) } : {}),
  }));
  const healthy =
    st.phase === "up" &&
    nodes.every((n) => n.namespaceUp && n.podNamespaceUp && n.sshdUp) &&
    clusters.every((c) => c.kubeApiUp !== false);
  return { dir, phase: st.phase, createdAt: st.createdAt, healthy, info: st.info, nodes, clusters };
}
