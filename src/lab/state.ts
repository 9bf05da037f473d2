/**
 * `<dir>/lab.json`: what the lab is (LabInfo) and everything it made (so `down` removes exactly that).
 * Up records each thing *before* making it, so a crash half-way through leaves a state that down can use.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "./errors.js";

export interface LabNodeInfo {
  cluster: string;
  name: string;
  /** Network namespace of the node (`ip netns exec <namespace> ...`). */
  namespace: string;
  /** Underlay address: meshctl connects to it over SSH on port 22. */
  underlayIp: string;
  podNamespace: string;
  podIp: string;
  /** Node side of the pod veth (the pod's default gateway). */
  podGateway: string;
  /** Pod blocks the node owns (the pod lives in the first). */
  podBlocks: string[];
  control: boolean;
  /** `--os` release whose `ip`/`bridge` behaviour the node has (`host`: the machine's own, unwrapped). */
  os: string;
  /** iproute2 version of that release (`host` for the machine's own). */
  iproute2: string;
  /** `--spare`: not a Node of its cluster's API until `meshctl lab join` (and again after `lab leave`). */
  spare?: boolean;
}

export interface LabClusterInfo {
  name: string;
  podCidr: string;
  serviceCidr: string;
  /** Name of the control node (where kubectl runs). */
  control: string;
  controlNamespace: string;
  /** `--os` release of every node of the cluster. */
  os: string;
  /** Kubeconfig of the cluster's fake API server; undefined when the lab runs without Kubernetes APIs. */
  kubeconfig?: string;
  /** URL of the API server, reachable only inside the control node's namespace. */
  kubeApiUrl?: string;
  nodes: string[];
  /** `--spare` nodes of this cluster (built, not registered at first). */
  spares?: string[];
}

/** `lab up --bastion`: the jump host and the cluster fenced behind it (see bastion.ts). */
export interface BastionInfo {
  /** The bastion node (reachable directly). */
  node: string;
  ip: string;
  /** The fenced cluster: its nodes answer SSH only from the lab bridge, not from the controller. */
  cluster: string;
  fencedNodes: string[];
  /** An OpenSSH client config with `ProxyJump` for the fenced nodes' addresses. */
  sshConfig: string;
}

export interface LabInfo {
  dir: string;
  inventory: string;
  knownHosts: string;
  identityFile: string;
  /** Non-root user with passwordless sudo on every node. */
  sudoUser: string;
  /** The root-namespace address meshctl connects from. */
  controllerIp: string;
  bridge: string;
  discover: boolean;
  kubeApi: boolean;
  /** Calico-like load per node; absent on a bare lab. */
  busy?: { pods: number; services: number };
  clusters: LabClusterInfo[];
  nodes: LabNodeInfo[];
  /** Set by `lab up --bastion`: the fenced cluster and its jump host. */
  bastion?: BastionInfo;
}

export interface ProcessRecord {
  pid: number;
  startTime: string;
  role: "sshd" | "kubeapi";
  /** Node (sshd) or cluster (kubeapi) the process belongs to. */
  owner: string;
}

export interface LabState {
  version: 1;
  phase: "starting" | "up";
  createdAt: string;
  /** The lab created `dir` itself (so down removes it when empty). */
  createdDir: boolean;
  /** Mode of `dir` before the lab made it traversable (restored on down). */
  dirMode?: number;
  info: LabInfo;
  namespaces: string[];
  /** Root-namespace links, deleted in reverse order. */
  links: string[];
  /** `ip route del` argument lists. */
  routes: string[][];
  processes: ProcessRecord[];
  /** Files and directories to remove (rm -rf), in reverse order. */
  paths: string[];
  user?: { name: string; created: boolean };
  sudoersFile?: string;
  /** Host directories up created as bind targets (removed on down if still empty). */
  hostDirs?: string[];
  /** Sysctl files and the values to restore. */
  sysctls: { path: string; value: string }[];
}

export const stateFile = (dir: string) => join(dir, "lab.json");

export function readState(dir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile(dir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LabError(`cannot read ${stateFile(dir)}: ${(err as Error).message}`);
  }
  try {
    const st = JSON.parse(text) as LabState;
    if (st.version !== 1 || !st.info) throw new Error("unknown format");
    return st;
  } catch (err) {
    throw new LabError(
      `${stateFile(dir)} is not a lab state file (${(err as Error).message}); remove it by hand if it is stale`,
    );
  }
}

/** Atomically write the state (write a temporary file, then rename it). */
export function writeState(dir: string, st: LabState): void {
  const tmp = `${stateFile(dir)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(st, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, stateFile(dir));
}
