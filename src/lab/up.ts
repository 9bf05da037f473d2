/** `lab up`: build the namespace lab (bridge, node and pod namespaces, sshds, fake Kubernetes APIs). */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MeshctlError } from "../core/errors.js";
import { fenceBehindBastion } from "./bastion.js";
import { build } from "./build.js";
import { labDown } from "./down.js";
import { LabError } from "./errors.js";
import { DEFAULT_LAB_DIR, downCommand } from "./host.js";
import { findKubeApiServer, kubeApiServerCandidates } from "./kube.js";
import { buildInfo } from "./lab-info.js";
import { busyTools } from "./nodenet.js";
import { type BusySize, DEFAULT_BUSY, planLab, validateBusy } from "./plan.js";
import { checkConflicts, preflight } from "./preflight.js";
import { type LabInfo, type LabState, readState, stateFile, writeState } from "./state.js";

export interface LabUpOptions {
  /** Lab directory (state, keys, logs); default /run/meshctl-lab. */
  dir?: string;
  /** Number of clusters (default 3). */
  clusters?: number;
  /** Nodes per cluster (default 2). */
  nodesPerCluster?: number;
  /** Omit pod_blocks from the inventory and give every node two blocks in the Kubernetes API. */
  discover?: boolean;
  /** Inventory path; default <dir>/inventory.yaml. */
  out?: string;
  /** Run a fake Kubernetes API server per cluster (default true). */
  kubeApi?: boolean;
  /** Path of the fake API server's entry point (default: dist/lab/kubeapi/main.js). */
  kubeApiServer?: string;
  /** Calico-like load per node (default DEFAULT_BUSY); false: bare nodes (three interfaces each). */
  busy?: BusySize | false;
  /** `--os`: one release per cluster, cycling (default: the machine's own iproute2). */
  os?: string[];
  log?: (line: string) => void;
  /** `--spare N`: N more nodes (dealt round the clusters) that are not registered in their cluster's API. */
  spares?: number;
  /** Fence the last cluster behind a bastion node (see bastion.ts). */
  bastion?: boolean;
  /** Underlay subnets: 1 (default), or 2 (even clusters on 198.18.2.0/24, joined by a router namespace). */
  subnets?: number;
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir ?? DEFAULT_LAB_DIR);
  const discover = opts.discover ?? false;
  const kubeApi = opts.kubeApi ?? true;
  if (discover && !kubeApi) {
    throw new LabError(
      "--discover needs the fake Kubernetes APIs (pod blocks are discovered from them): drop --no-kube-api",
    );
  }
  const plan = planLab(
    opts.clusters ?? 3,
    opts.nodesPerCluster ?? 2,
    discover,
    opts.os,
    opts.subnets ?? 1,
    opts.spares ?? 0,
  );
  if (opts.busy !== false) {
    plan.busy = opts.busy ?? DEFAULT_BUSY;
    validateBusy(plan.busy);
    busyTools();
  }
  preflight(dir);
  let kubeServer: string | undefined;
  if (kubeApi) {
    kubeServer = opts.kubeApiServer ? resolve(opts.kubeApiServer) : findKubeApiServer();
    if (!kubeServer || !existsSync(kubeServer)) {
      const looked = opts.kubeApiServer ? [resolve(opts.kubeApiServer)] : kubeApiServerCandidates();
      throw new LabError(
        `the lab's Kubernetes API server is not built (looked for ${looked.join(", ")}): run \`npm run build\`, or pass --no-kube-api`,
      );
    }
  }
  const existing = readState(dir);
  if (existing) {
    throw new LabError(
      `lab already up in ${dir} (${existing.info.nodes.length} nodes); run \`${downCommand(dir)}\` to take it down`,
    );
  }
  await checkConflicts(dir);

  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const inventory = resolve(opts.out ?? join(dir, "inventory.yaml"));
  const createdAt = new Date().toISOString();
  const info = buildInfo(plan, dir, inventory, kubeApi);
  const st: LabState = {
    version: 1,
    phase: "starting",
    createdAt,
    createdDir,
    info,
    namespaces: [],
    links: [],
    routes: [],
    processes: [],
    paths: [],
    sysctls: [],
  };
  // The first write is exclusive: two `lab up` in one directory cannot both proceed.
  try {
    writeFileSync(stateFile(dir), `${JSON.stringify(st, null, 2)}\n`, { flag: "wx", mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new LabError(`lab already up in ${dir} (it is being started); run \`${downCommand(dir)}\``);
    }
    throw new LabError(`cannot write ${stateFile(dir)}: ${(err as Error).message}`);
  }

  const t0 = Date.now();
  log(`creating a lab of ${plan.clusters.length} x ${plan.clusters[0]?.nodes.length ?? 0} nodes in ${dir}`);
  try {
    await build(plan, st, kubeServer, log);
    if (opts.bastion) {
      st.paths.push(join(dir, "ssh_config"));
      writeState(dir, st);
      info.bastion = await fenceBehindBastion(plan, info);
      writeState(dir, st);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log(`lab up failed: ${msg.split("\n")[0]}; taking down what it made`);
    try {
      await labDown({ dir, log });
    } catch (downErr) {
      log(`lab down after the failure failed too: ${(downErr as Error).message}`);
    }
    if (err instanceof MeshctlError) {
      throw new LabError(`${err.message}\n(lab up failed; what it had made was taken down)`);
    }
    throw new LabError(`lab up failed: ${msg}\n(what it had made was taken down)`);
  }
  log(
    `lab up: ${plan.nodes.length} nodes in ${plan.clusters.length} cluster(s) in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  return info;
}
