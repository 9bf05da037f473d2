/** `lab up`: build the namespace lab (bridge, node and pod namespaces, sshds, fake Kubernetes APIs). */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import pLimit from "p-limit";
import { MeshctlError } from "../core/errors.js";
import { fenceBehindBastion } from "./bastion.js";
import { startDetached, waitForLog, waitForSsh } from "./daemon.js";
import { labDown } from "./down.js";
import { LabError } from "./errors.js";
import {
  bridgeOwner,
  DEFAULT_LAB_DIR,
  downCommand,
  listLinks,
  listNamespaces,
  requireRoot,
  SUDOERS_FILE,
} from "./host.js";
import { renderInventory } from "./inventory.js";
import { findKubeApiServer, kubeApiServerCandidates, seedObjects } from "./kube.js";
import { writeKubeconfig } from "./kubeapi/kubeconfig.js";
import {
  createHostDir,
  makeNodeDirs,
  missingHostDirs,
  osDirOf,
  wrapperMounts,
  writeWrappers,
} from "./nodefs.js";
import { buildNetwork, busyTools } from "./nodenet.js";
import { osRelease } from "./osrelease.js";
import {
  type BusySize,
  CONTROLLER_IP,
  DEFAULT_BUSY,
  inLabRange,
  KUBE_API_PORT,
  LAB_BRIDGE,
  LAB_RANGE,
  type LabPlan,
  NODE_NS_PREFIX,
  neighThresholds,
  POD_NS_PREFIX,
  planLab,
  SSH_PORT,
  SUDO_USER,
  validateBusy,
} from "./plan.js";
import { nodeFiles, nodeMounts, SSHD, sshdCommand, sshdConfig } from "./sshd.js";
import { type LabInfo, type LabState, readState, stateFile, writeState } from "./state.js";
import { run, which } from "./sys.js";

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
  /** Fence the last cluster behind a bastion node (see bastion.ts). */
  bastion?: boolean;
}

const TOOLS: { name: string; pkg: string; why: string }[] = [
  { name: "ip", pkg: "iproute2", why: "namespaces, veths and the bridge" },
  { name: SSHD, pkg: "openssh-server", why: "an SSH server per node" },
  { name: "ssh-keygen", pkg: "openssh-client", why: "host and client keys" },
  { name: "unshare", pkg: "util-linux", why: "a private /root per sshd" },
  { name: "mount", pkg: "mount", why: "a private /root per sshd" },
  { name: "sudo", pkg: "sudo", why: "the non-root lab user" },
];

function preflight(dir: string): void {
  requireRoot("meshctl lab up");
  for (const t of TOOLS) {
    if (!which(t.name)) {
      throw new LabError(`${t.name} not found (needed for ${t.why}): apt-get install ${t.pkg}`);
    }
  }
  if (dir === "/root" || dir.startsWith("/root/")) {
    throw new LabError(`the lab directory cannot be under /root (${dir}): each sshd mounts a private /root`);
  }
  // The sudo user's sshd reads <dir>/authorized_keys as that user: every ancestor must be traversable.
  for (let p = dirname(dir); ; p = dirname(p)) {
    if (existsSync(p) && (statSync(p).mode & 0o001) === 0) {
      throw new LabError(
        `${p} is not searchable by other users, so the lab user ${SUDO_USER} could not read ${dir}/authorized_keys: choose another --dir`,
      );
    }
    if (p === "/") break;
  }
}

async function checkConflicts(dir: string): Promise<void> {
  const links = await listLinks();
  const owner = bridgeOwner(links);
  if (owner.exists) {
    throw new LabError(
      owner.dir
        ? `another lab is up in ${owner.dir} (bridge ${LAB_BRIDGE} exists); run \`${downCommand(owner.dir)}\` first`
        : `bridge ${LAB_BRIDGE} exists (a lab left behind?); run \`${downCommand(dir)}\` to sweep it`,
    );
  }
  const strays = (await listNamespaces()).filter(
    (n) => n.startsWith(NODE_NS_PREFIX) || n.startsWith(POD_NS_PREFIX),
  );
  if (strays.length > 0) {
    throw new LabError(
      `lab namespaces are left behind (${strays.slice(0, 4).join(", ")}${strays.length > 4 ? ", ..." : ""}); run \`${downCommand(dir)}\` to sweep them`,
    );
  }
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.family === "inet" && inLabRange(a.local)) {
        throw new LabError(
          `${a.local}/${a.prefixlen} on ${l.ifname} is inside the lab range ${LAB_RANGE}, which the lab must own alone`,
        );
      }
    }
  }
}

function buildInfo(plan: LabPlan, dir: string, inventory: string, kubeApi: boolean): LabInfo {
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
    })),
  };
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
  const plan = planLab(opts.clusters ?? 3, opts.nodesPerCluster ?? 2, discover, opts.os);
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

async function build(plan: LabPlan, st: LabState, kubeServer: string | undefined, log: (l: string) => void) {
  const { info } = st;
  const dir = info.dir;
  const save = () => writeState(dir, st);
  const parallel = pLimit(Math.max(4, cpus().length * 2));
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await f();
    log(`${what} (${Date.now() - t} ms)`);
    return r;
  };

  // --- files: keys, sshd configs, private homes -------------------------------------------------------
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o005) !== 0o005) {
    st.dirMode = mode;
    save();
    chmodSync(dir, mode | 0o055);
  }
  const authorizedKeys = join(dir, "authorized_keys");
  const home = join(dir, "home");
  st.paths.push(
    join(dir, "nodes"),
    osDirOf(dir),
    home,
    info.identityFile,
    `${info.identityFile}.pub`,
    authorizedKeys,
    info.knownHosts,
    ...(info.kubeApi ? [join(dir, "kube")] : []),
    info.inventory,
  );
  save();
  await timed("keys and sshd configs", async () => {
    mkdirSync(home, { recursive: true, mode: 0o755 });
    mkdirSync(join(home, "root"), { recursive: true, mode: 0o700 });
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "meshctl-lab", "-f", info.identityFile]);
    writeFileSync(authorizedKeys, readFileSync(`${info.identityFile}.pub`, "utf8"), { mode: 0o644 });
    await Promise.all(
      plan.nodes.map((n) =>
        parallel(async () => {
          const f = nodeFiles(dir, n);
          mkdirSync(f.dir, { recursive: true, mode: 0o755 });
          makeNodeDirs(f, dir);
          await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@${n.name}`, "-f", f.hostKey]);
          writeFileSync(f.config, sshdConfig(n, f, authorizedKeys), { mode: 0o644 });
        }),
      ),
    );
    const lines = plan.nodes.map((n) => {
      const pub = readFileSync(`${nodeFiles(dir, n).hostKey}.pub`, "utf8")
        .trim()
        .split(/\s+/);
      return `${n.underlayIp} ${pub[0]} ${pub[1]}`;
    });
    writeFileSync(info.knownHosts, `${lines.join("\n")}\n`, { mode: 0o644 });
    writeWrappers(
      dir,
      plan.clusters.map((c) => c.os),
    );
  });
  // Bind targets the host lacks (meshctl's own directories on a fresh host): made, recorded, removed on down.
  for (const d of missingHostDirs()) {
    st.hostDirs = [...(st.hostDirs ?? []), d];
    save();
    createHostDir(d);
  }
  // sshd's compiled-in privilege-separation directory (systemd would create it). It is left in place on
  // down: it belongs to the openssh-server package, and the host's own sshd may need it.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  // --- the sudo user --------------------------------------------------------------------------------------
  await timed(`user ${SUDO_USER}`, async () => {
    const userHome = join(home, SUDO_USER);
    const pw = await run("getent", ["passwd", SUDO_USER], { allowFail: true });
    if (pw.code === 0) {
      const sh = await run("getent", ["shadow", SUDO_USER], { allowFail: true });
      const hash = sh.stdout.split(":")[1] ?? "";
      if (hash.startsWith("!")) {
        throw new LabError(
          `user ${SUDO_USER} exists but is locked (password field starts with "!"), so sshd (UsePAM no) refuses its keys: unlock it with \`usermod -p '*' ${SUDO_USER}\` or remove it`,
        );
      }
      st.user = { name: SUDO_USER, created: false };
    } else {
      // '*': no password, but not locked (sshd refuses locked accounts when PAM is off).
      await run("useradd", [
        "--system",
        "--no-create-home",
        "--home-dir",
        userHome,
        "--shell",
        "/bin/bash",
        "--comment",
        "meshctl lab",
        "--password",
        "*",
        SUDO_USER,
      ]);
      st.user = { name: SUDO_USER, created: true };
      save();
      mkdirSync(userHome, { recursive: true, mode: 0o755 });
      const ids = (await run("id", ["-u", SUDO_USER])).stdout.trim();
      const gid = (await run("id", ["-g", SUDO_USER])).stdout.trim();
      chownSync(userHome, Number(ids), Number(gid));
    }
    st.sudoersFile = SUDOERS_FILE;
    save();
    mkdirSync(dirname(SUDOERS_FILE), { recursive: true, mode: 0o755 });
    writeFileSync(
      SUDOERS_FILE,
      `# meshctl lab: the lab user may run anything without a password (removed by \`meshctl lab down\`)\n${SUDO_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`,
      { mode: 0o440 },
    );
    chmodSync(SUDOERS_FILE, 0o440);
    if (which("visudo")) await run("visudo", ["-c", "-q", "-f", SUDOERS_FILE]);
  });

  // --- neighbour table limits (shared by every namespace, set only in the root one) ------------------
  const want = neighThresholds(plan.nodes.length);
  for (let i = 0; i < 3; i++) {
    const path = `/proc/sys/net/ipv4/neigh/default/gc_thresh${i + 1}`;
    const old = readFileSync(path, "utf8").trim();
    const target = want[i] ?? 0;
    if (target > Number(old)) {
      st.sysctls.push({ path, value: old });
      save();
      writeFileSync(path, `${target}\n`);
    }
  }

  // --- network ---------------------------------------------------------------------------------------------
  await buildNetwork(plan, st, save, timed, parallel);

  // --- sshd per node ----------------------------------------------------------------------------------------
  await timed(`${plan.nodes.length} sshds accepting connections`, async () => {
    const rootHome = join(home, "root");
    const starting = pLimit(16);
    await Promise.all(
      plan.nodes.map((n) =>
        starting(async () => {
          const f = nodeFiles(dir, n);
          const mounts = nodeMounts(f, rootHome, dir, wrapperMounts(dir, n.os));
          const proc = startDetached("ip", sshdCommand(n, f, mounts), f.out);
          st.processes.push({ ...proc, role: "sshd", owner: n.name });
          save();
          await waitForSsh(n.underlayIp, SSH_PORT, proc, [f.out, f.log]);
        }),
      ),
    );
  });

  // --- fake Kubernetes API per cluster -------------------------------------------------------------------
  if (kubeServer) {
    await timed("Kubernetes APIs", async () => {
      const kubeDir = join(dir, "kube");
      mkdirSync(kubeDir, { recursive: true, mode: 0o755 });
      await Promise.all(
        plan.clusters.map(async (c) => {
          const ci = info.clusters.find((x) => x.name === c.name);
          if (!ci?.kubeconfig) return;
          const stateJson = join(kubeDir, `${c.name}.json`);
          const logFile = join(kubeDir, `${c.name}.log`);
          writeFileSync(stateJson, `${JSON.stringify({ items: seedObjects(c) }, null, 2)}\n`, {
            mode: 0o644,
          });
          const listen = `${c.nodes[0]?.underlayIp}:${KUBE_API_PORT}`;
          await writeKubeconfig(ci.kubeconfig, `http://${listen}`, c.name);
          const proc = startDetached(
            "ip",
            [
              "netns",
              "exec",
              ci.controlNamespace,
              process.execPath,
              kubeServer,
              "--listen",
              listen,
              "--state",
              stateJson,
            ],
            logFile,
          );
          st.processes.push({ ...proc, role: "kubeapi", owner: c.name });
          save();
          await waitForLog(`the Kubernetes API of ${c.name}`, logFile, "listening on http://", proc);
        }),
      );
    });
  }

  // --- inventory -------------------------------------------------------------------------------------------
  mkdirSync(dirname(info.inventory), { recursive: true });
  writeFileSync(info.inventory, renderInventory(plan, info, st.createdAt), { mode: 0o644 });
  st.phase = "up";
  save();
}
