/** The steps of `lab up` once the state file exists: files, user, network, sshds, Kubernetes APIs, inventory. */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import pLimit from "p-limit";
import { startDetached, waitForLog, waitForSsh } from "./daemon.js";
import { renderInventory } from "./inventory.js";
import { seedObjects } from "./kube.js";
import { writeKubeconfig } from "./kubeapi/kubeconfig.js";
import { ensureSudoUser } from "./lab-user.js";
import {
  createHostDir,
  makeNodeDirs,
  missingHostDirs,
  osDirOf,
  wrapperMounts,
  writeWrappers,
} from "./nodefs.js";
import { buildNetwork } from "./nodenet.js";
import { KUBE_API_PORT, type LabPlan, neighThresholds, SSH_PORT, SUDO_USER } from "./plan.js";
import { nodeFiles, nodeMounts, sshdCommand, sshdConfig } from "./sshd.js";
import { type LabState, writeState } from "./state.js";
import { run } from "./sys.js";

export async function build(
  plan: LabPlan,
  st: LabState,
  kubeServer: string | undefined,
  log: (l: string) => void,
) {
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

  await timed(`user ${SUDO_USER}`, () => ensureSudoUser(st, home, save));

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
  if (kubeServer) await timed("Kubernetes APIs", () => startKubeApis(plan, st, kubeServer, save));

  // --- inventory -------------------------------------------------------------------------------------------
  mkdirSync(dirname(info.inventory), { recursive: true });
  writeFileSync(info.inventory, renderInventory(plan, info, st.createdAt), { mode: 0o644 });
  st.phase = "up";
  save();
}

async function startKubeApis(plan: LabPlan, st: LabState, kubeServer: string, save: () => void) {
  const { info } = st;
  const dir = info.dir;
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
}
