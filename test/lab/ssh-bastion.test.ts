/**
 * meshctl as an OpenSSH user runs it: a 3 x 2 lab whose cluster3 is fenced (`lab up --bastion`: its
 * nodes refuse SSH from the controller), an inventory that says nothing about SSH and names hosts by
 * alias, and a test ~/.ssh/config (a temp HOME; the real ~/.ssh is never touched) giving HostName, per-host
 * users (with a negated Host pattern), the ProxyJump to the bastion and, by omission, OpenSSH's default
 * key ~/.ssh/id_ed25519. The whole mesh is applied through the bastion; sshd's own logs show who logged in
 * from where, so the test sees the one shared bastion connection per run.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { createSshConnector, isTransient, UnreachableError } from "../../src/exec/ssh/index.js";
import { CONTROLLER_IP, SUDO_USER } from "../../src/lab/index.js";
import { readState } from "../../src/lab/state.js";
import { ROOT, useLab } from "./helpers/cli.js";

const lab = useLab("bastion", { clusters: 3, nodesPerCluster: 2, bastion: true });
const BIN = join(ROOT, "bin", "meshctl.js");

const alias = (node: string) => `n-${node}`;
const home = () => join(lab.dir, "home-test");
const inventory = () => join(lab.dir, "aliases.yaml");
const sshdLog = (node: string) => readFileSync(join(lab.dir, "nodes", node, "sshd.log"), "utf8");
const logins = (node: string, user: string, from: string) =>
  sshdLog(node)
    .split("\n")
    .filter((l) => l.includes(`Accepted publickey for ${user} from ${from} `)).length;

function meshctl(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, HOME: home(), SSH_AUTH_SOCK: "", NO_COLOR: "1" },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** ~/.ssh of the test HOME: config, the lab key as the default identity, the lab's known_hosts. */
function writeHome(): void {
  const ssh = join(home(), ".ssh");
  mkdirSync(ssh, { recursive: true, mode: 0o700 });
  copyFileSync(lab.info.identityFile, join(ssh, "id_ed25519"));
  copyFileSync(lab.info.knownHosts, join(ssh, "known_hosts"));
  const b = lab.info.bastion;
  if (!b) throw new Error("lab up --bastion recorded no bastion");
  const lines = [
    "# aliases: the inventory names n-<node>; HostName gives the address",
    ...lab.info.nodes.flatMap((n) => [`Host ${alias(n.name)}`, `  HostName ${n.underlayIp}`]),
    "",
    "Host bastion",
    `  HostName ${b.ip}`,
    `  User ${SUDO_USER}`, // the jump logs in as meshlab: its logins are told apart from the node's own
    "",
    `Host n-${b.cluster.replace("cluster", "c")}-*`,
    "  ProxyJump bastion",
    "",
    "Host n-* !n-c2-*",
    "  User root",
    "",
    "Host *",
    `  User ${SUDO_USER}`,
    "  ConnectTimeout 5",
    "",
  ];
  writeFileSync(join(ssh, "config"), lines.join("\n"), { mode: 0o600 });
  // The lab's inventory without its ssh: block, hosts by alias, the underlay address given explicitly.
  const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
  doc.deleteIn(["mesh", "ssh"]);
  lab.info.clusters.forEach((c, ci) => {
    c.nodes.forEach((name, ni) => {
      doc.setIn(["clusters", ci, "nodes", ni, "host"], alias(name));
      doc.setIn(["clusters", ci, "nodes", ni, "underlay_ip"], lab.node(name).underlayIp);
    });
  });
  writeFileSync(inventory(), doc.toString());
}

describe("~/.ssh/config and a bastion (lab up --bastion)", () => {
  it("the fence holds: the fenced cluster refuses the controller, and the lab's ssh_config gets through", () => {
    writeHome();
    const direct = meshctl(
      "ping",
      "-i",
      lab.info.inventory,
      "-F",
      "none",
      "--retries",
      "0",
      "-l",
      "cluster3",
    );
    expect(direct.code).toBe(4);
    expect(direct.stdout + direct.stderr).toMatch(
      /c3-node1: cannot connect to 198\.18\.0\.\d+:22: connection refused/,
    );
    const viaLabConfig = meshctl(
      "ping",
      "-i",
      lab.info.inventory,
      "-F",
      lab.info.bastion?.sshConfig ?? "",
      "-l",
      "cluster3",
    );
    expect(viaLabConfig.code, viaLabConfig.stdout + viaLabConfig.stderr).toBe(0);
  });

  it("applies the whole mesh through the bastion: aliases, per-host users, the default key", () => {
    const r = meshctl("apply", "-i", inventory(), "-vv");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // -vv says how each node was reached
    const fenced = lab.info.bastion?.fencedNodes ?? [];
    expect(fenced).toEqual(["c3-node1", "c3-node2"]);
    for (const n of fenced)
      expect(r.stderr).toMatch(new RegExp(`${n}: connected to root@[0-9.]+:22 via bastion`));
    // -v: every command sent; -vv: per-stage timings per host; all of it on stderr, results alone on stdout
    expect(r.stderr).toMatch(/c2-node1: \$ /);
    expect(r.stderr).toMatch(/stage inventory: \d+ ms/);
    expect(r.stderr).toMatch(/c3-node2: \S.* \(.+ \d+ ms\)/);
    expect(r.stdout).toMatch(/RECAP/);
    expect(r.stdout).not.toMatch(/connected to|\$ |stage /);
    expect(meshctl("diff", "-i", inventory()).code).toBe(0);
  });

  it("sshd's logs: fenced nodes saw only the bastion, c2 nodes saw meshlab (the negated Host pattern)", () => {
    const b = lab.info.bastion;
    if (!b) throw new Error("no bastion");
    for (const n of b.fencedNodes) {
      expect(logins(n, "root", b.ip)).toBeGreaterThanOrEqual(2); // apply and diff
      expect(logins(n, "root", CONTROLLER_IP) + logins(n, SUDO_USER, CONTROLLER_IP)).toBe(0);
    }
    for (const n of ["c2-node1", "c2-node2"]) {
      expect(logins(n, SUDO_USER, CONTROLLER_IP)).toBeGreaterThanOrEqual(2);
      expect(logins(n, "root", CONTROLLER_IP)).toBe(0);
    }
    expect(logins("c1-node2", "root", CONTROLLER_IP)).toBeGreaterThanOrEqual(2);
    // ONE jump connection per run (apply, diff), however many nodes sit behind it.
    expect(logins(b.node, SUDO_USER, CONTROLLER_IP)).toBe(2);
  });

  it("pods of every cluster reach each other through the mesh built via the bastion", () => {
    const r = meshctl("verify", "-i", inventory(), "-o", "json");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it("host keys are verified behind the bastion: a changed key of a fenced node is refused", () => {
    const kh = join(home(), ".ssh", "known_hosts");
    const saved = readFileSync(kh, "utf8");
    const c3 = lab.node("c3-node1").underlayIp;
    const other = saved.split("\n").find((l) => l.startsWith(`${lab.node("c1-node2").underlayIp} `));
    const swapped = saved
      .split("\n")
      .map((l) => (l.startsWith(`${c3} `) && other ? `${c3} ${other.split(" ").slice(1).join(" ")}` : l))
      .join("\n");
    writeFileSync(kh, swapped);
    try {
      const r = meshctl("ping", "-i", inventory(), "-l", "cluster3");
      expect(r.code).toBe(4);
      expect(r.stdout + r.stderr).toMatch(
        /c3-node1: REMOTE HOST IDENTIFICATION HAS CHANGED for 198\.18\.0\.\d+/,
      );
      expect(r.stdout + r.stderr).not.toMatch(/c3-node2:/);
    } finally {
      writeFileSync(kh, saved);
    }
  });

  it("the bastion's own key is verified too: every node behind it fails, naming the jump host", () => {
    const kh = join(home(), ".ssh", "known_hosts");
    const saved = readFileSync(kh, "utf8");
    const b = lab.info.bastion?.ip ?? "";
    writeFileSync(
      kh,
      saved
        .split("\n")
        .filter((l) => !l.startsWith(`${b} `))
        .join("\n"),
    );
    try {
      const r = meshctl("ping", "-i", inventory(), "-l", "cluster3");
      expect(r.code).toBe(4);
      expect(r.stdout + r.stderr).toMatch(
        /c3-node1: cannot reach it through jump host bastion: host key of 198\.18\.0\.\d+ is not in/,
      );
      expect(r.stdout + r.stderr).toMatch(/c3-node2: cannot reach it through jump host bastion/);
    } finally {
      writeFileSync(kh, saved);
    }
  });
});

describe("transient failures: retried with backoff; a slow login is not an unreachable host", () => {
  const reject = (node: string, on: boolean) =>
    spawnSync("ip", [
      ..."netns exec".split(" "),
      lab.node(node).namespace,
      "iptables",
      "-w",
      on ? "-I" : "-D",
      "INPUT",
      ..."-p tcp --dport 22 -j REJECT --reject-with tcp-reset".split(" "),
    ]).status;

  it("a node refusing for a moment is reached with --retries, and not without", async () => {
    expect(reject("c2-node1", true)).toBe(0);
    try {
      const once = meshctl("ping", "-i", inventory(), "-l", "c2-node1", "--retries", "0");
      expect(once.code).toBe(4);
      expect(once.stdout + once.stderr).toMatch(/c2-node1: cannot connect to .*connection refused/);
      // Lift the fence as soon as the run says it will try again (no fixed sleep: start-up time varies).
      let lifted = false;
      const retried = new Promise<{ code: number; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [BIN, "ping", "-i", inventory(), "-l", "c2-node1", "--retries", "4", "-v"],
          { env: { ...process.env, HOME: home(), SSH_AUTH_SOCK: "", NO_COLOR: "1" } },
        );
        let stderr = "";
        child.stderr.on("data", (d) => {
          stderr += String(d);
          if (!lifted && /trying again/.test(stderr)) {
            lifted = true;
            reject("c2-node1", false);
          }
        });
        child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
      });
      const r = await retried;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/connection refused.*; trying again in \d+\.\d s \(try 2 of 5\)/);
    } finally {
      reject("c2-node1", false);
    }
  });

  it("an sshd that accepts TCP but never answers is a slow login (handshake-timeout), not a refused host", async () => {
    const st = readState(lab.dir);
    const sshd = st?.processes.find((p) => p.role === "sshd" && p.owner === "c2-node2");
    if (!sshd) throw new Error("no sshd recorded for c2-node2");
    process.kill(sshd.pid, "SIGSTOP");
    try {
      const connector = createSshConnector({
        forks: 4,
        retries: 0,
        handshakeTimeoutMs: 1500,
        agentSocket: null,
      });
      const n = lab.node("c2-node2");
      const t = {
        host: n.underlayIp,
        port: 22,
        user: "root",
        identityFile: lab.info.identityFile,
        knownHosts: lab.info.knownHosts,
        become: false,
        connectTimeoutMs: 3000,
      };
      const err = await connector.connect("c2-node2", t).then(
        () => undefined,
        (e: unknown) => e,
      );
      connector.closeAll();
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as UnreachableError).reason).toBe("handshake-timeout");
      expect((err as Error).message).toMatch(
        /connected to .* \(so the host is up\), but the SSH login did not finish within 1\.5 s/,
      );
      expect(isTransient(err)).toBe(true);
    } finally {
      process.kill(sshd.pid, "SIGCONT");
    }
  });
});
