/**
 * meshctl's SSH layer against real OpenSSH servers: a 2-node lab (src/lab), plus one extra sshd inside
 * node 1's namespace on port 2222 with MaxSessions 10 and its own host key. Runs as root.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureFloor } from "../../src/bench/ssh-floor.js";
import {
  AuthError,
  type Connection,
  type Connector,
  createSshConnector,
  HostKeyMismatchError,
  HostKeyUnknownError,
  RemoteCommandError,
  type SshConnectorOptions,
  SudoError,
  UnreachableError,
} from "../../src/exec/ssh/index.js";
import type { SshTarget } from "../../src/inventory/types.js";
import { type LabInfo, labDown, labUp } from "../../src/lab/index.js";
import { processesMatching, requireRootOrFail } from "./helpers/host.js";
import { until } from "./helpers/node-mounts.js";

const NOSUDO_USER = "mshssh-nosudo";
const EXTRA_PORT = 2222;
const PASSPHRASE = "correct horse battery staple";

let dir: string;
let lab: LabInfo;
let extraSshd: ChildProcess | undefined;
let createdUser = false;
const connectors: Connector[] = [];

const node = (i: number) => lab.nodes[i] as LabInfo["nodes"][number];
const hostPub = (name: string, file = "ssh_host_ed25519_key") =>
  readFileSync(join(lab.dir, "nodes", name, `${file}.pub`), "utf8")
    .trim()
    .split(/\s+/) as [string, string];
const sshFingerprint = (pubFile: string) =>
  execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", pubFile], { encoding: "utf8" }).split(
    /\s+/,
  )[1] as string;

function target(over: Partial<SshTarget> = {}): SshTarget {
  return {
    host: node(0).underlayIp,
    port: 22,
    user: "root",
    identityFile: lab.identityFile,
    knownHosts: lab.knownHosts,
    become: false,
    connectTimeoutMs: 5000,
    ...over,
  };
}

function connector(opts: Partial<SshConnectorOptions> = {}): Connector {
  const c = createSshConnector({ forks: 16, agentSocket: null, ...opts });
  connectors.push(c);
  return c;
}

/** A fresh known_hosts file in the lab directory. */
function knownHosts(name: string, text = ""): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}

async function startExtraSshd(): Promise<void> {
  const n = node(0);
  const nodeDir = join(lab.dir, "nodes", n.name);
  const hostKey = join(nodeDir, "extra_host_key");
  // ECDSA, so one host offers a key type other than the lab's ed25519 (see the key-type-change test).
  execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", hostKey]);
  const log = join(nodeDir, "extra-sshd.log");
  const config = readFileSync(join(nodeDir, "sshd_config"), "utf8")
    .split("\n")
    .filter((l) => !/^(ListenAddress|HostKey|PidFile|MaxSessions) /.test(l))
    .concat([
      `ListenAddress ${n.underlayIp}:${EXTRA_PORT}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(nodeDir, "extra-sshd.pid")}`,
      "MaxSessions 10",
    ])
    .join("\n");
  writeFileSync(join(nodeDir, "extra_sshd_config"), `${config}\n`);
  const script = `mount --bind ${join(lab.dir, "home", "root")} /root && exec /usr/sbin/sshd -D -f ${join(nodeDir, "extra_sshd_config")} -E ${log}`;
  extraSshd = spawn(
    "ip",
    ["netns", "exec", n.namespace, "unshare", "--mount", "--propagation", "private", "sh", "-c", script],
    {
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {
      // not yet
    }
    if (text.includes("Server listening")) return;
    if (extraSshd.exitCode !== null) throw new Error(`extra sshd exited: ${text}`);
  }
  throw new Error("extra sshd did not start");
}

beforeAll(async () => {
  requireRootOrFail();
  dir = mkdtempSync(join(tmpdir(), "meshctl-ssh-lab-"));
  lab = await labUp({ dir, clusters: 1, nodesPerCluster: 2, kubeApi: false });
  // Keys of our own: one unknown to the servers, one encrypted and authorised.
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "wrong_key")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", join(dir, "enc_key")]);
  appendFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "enc_key.pub")));
  // A user who may log in but not sudo.
  try {
    execFileSync("getent", ["passwd", NOSUDO_USER]);
  } catch {
    execFileSync("useradd", [
      "--system",
      "--no-create-home",
      "--home-dir",
      dir,
      "--shell",
      "/bin/sh",
      "--password",
      "*",
      NOSUDO_USER,
    ]);
    createdUser = true;
  }
  await startExtraSshd();
});

afterAll(async () => {
  for (const c of connectors) c.closeAll();
  if (extraSshd && extraSshd.exitCode === null) {
    const gone = new Promise((r) => extraSshd?.once("exit", r));
    extraSshd.kill("SIGTERM");
    await Promise.race([gone, sleep(3000)]);
  }
  if (createdUser) execFileSync("userdel", [NOSUDO_USER]);
  if (dir) {
    await labDown({ dir });
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("ssh against real sshd", () => {
  describe("exec", () => {
    let conn: Connection;
    beforeAll(async () => {
      conn = await connector().connect(node(0).name, target());
    });

    it("runs true", async () => {
      expect(await conn.exec("true")).toEqual({ code: 0, stdout: "", stderr: "" });
    });

    it("passes 100 KB of stdin through", async () => {
      const input = "0123456789abcdef".repeat(6400);
      const r = await conn.exec("cat", { stdin: input });
      expect(r.stdout.length).toBe(102_400);
      expect(r.stdout).toBe(input);
    });

    it("reports exit codes and stderr; check turns them into RemoteCommandError", async () => {
      expect(await conn.exec("echo out; echo err >&2; exit 3")).toEqual({
        code: 3,
        stdout: "out\n",
        stderr: "err\n",
      });
      const err = await failure(
        conn.exec("echo 'no such device' >&2; exit 2", { check: true, label: "ip link show" }),
      );
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect(err.message).toBe(`${node(0).name}: \`ip link show\` failed with exit code 2: no such device`);
      expect((err as RemoteCommandError).unreachable).toBe(false);
    });

    it("quotes scripts for sh -c (quotes, $, newlines)", async () => {
      const r = await conn.exec(`x='it'"'"'s'\nprintf '%s|%s\\n' "$x" "$(echo a  b)"`);
      expect(r.stdout).toBe("it's|a b\n");
    });

    it("times out, kills, and keeps the connection usable", async () => {
      const t0 = Date.now();
      const err = await failure(conn.exec("sleep 20", { timeoutMs: 300 }));
      expect(err.message).toContain("timed out after 0.3 s");
      expect(Date.now() - t0).toBeLessThan(3000);
      expect((await conn.exec("echo still here")).stdout).toBe("still here\n");
    });

    it("holds a session for several round trips on one channel", async () => {
      const s = await conn.session(
        'while IFS= read -r l; do if [ "$l" = facts ]; then head -c 100000 /dev/zero | tr "\\0" f; echo; fi; echo "re:$l"; done; echo bye',
      );
      for (const req of ["one", "facts", "three"]) {
        s.write(`${req}\n`);
        if (req === "facts") expect(await s.readLine()).toBe("f".repeat(100_000));
        expect(await s.readLine()).toBe(`re:${req}`);
      }
      s.end();
      expect(await s.done).toEqual({ code: 0, stdout: "bye\n", stderr: "" });
    });

    it("after close, commands fail as a lost connection", async () => {
      const c = await connector().connect(node(1).name, target({ host: node(1).underlayIp }));
      c.close();
      await c.closed;
      const err = await failure(c.exec("true"));
      expect(err).toBeInstanceOf(UnreachableError);
    });
  });

  describe("channels per host", () => {
    const probe = (d: string) =>
      `mkdir -p ${d}; t=$(mktemp -p ${d}); sleep 0.3; n=$(ls ${d} | wc -l); rm -f "$t"; echo "$n"`;

    it("caps concurrent channels (30 execs, MaxSessions 10, default cap 8): all succeed", async () => {
      const kh = knownHosts("kh-cap");
      const conn = await connector({ acceptNewHostKeys: true }).connect(
        node(0).name,
        target({ port: EXTRA_PORT, knownHosts: kh }),
      );
      const d = join(dir, "conc-default");
      const results = await Promise.all(Array.from({ length: 30 }, () => conn.exec(probe(d))));
      expect(results.every((r) => r.code === 0)).toBe(true);
      const peak = Math.max(...results.map((r) => Number(r.stdout)));
      expect(peak).toBeLessThanOrEqual(8);
      expect(peak).toBeGreaterThanOrEqual(4);
    });

    it("adapts when channelsPerHost is above the server's MaxSessions", async () => {
      const kh = knownHosts("kh-cap16");
      const conn = await connector({ acceptNewHostKeys: true, channelsPerHost: 16 }).connect(
        node(0).name,
        target({ port: EXTRA_PORT, knownHosts: kh }),
      );
      const d = join(dir, "conc-16");
      const results = await Promise.all(Array.from({ length: 30 }, () => conn.exec(probe(d))));
      expect(results.map((r) => r.code)).toEqual(Array(30).fill(0));
      expect(Math.max(...results.map((r) => Number(r.stdout)))).toBeLessThanOrEqual(10);
    });
  });

  describe("host keys", () => {
    it("refuses an unknown host key, showing its fingerprint", async () => {
      const kh = knownHosts("kh-empty", "# nothing yet\n");
      const err = await failure(connector().connect(node(0).name, target({ knownHosts: kh })));
      expect(err).toBeInstanceOf(HostKeyUnknownError);
      const fp = sshFingerprint(join(lab.dir, "nodes", node(0).name, "ssh_host_ed25519_key.pub"));
      expect(err.message).toContain(fp);
      expect(err.message).toContain("--accept-new-host-keys");
      expect((err as HostKeyUnknownError).unreachable).toBe(true);
      expect(readFileSync(kh, "utf8")).toBe("# nothing yet\n");
    });

    it("accept-new appends host and [host]:port lines, then they verify", async () => {
      const kh = knownHosts("kh-new");
      const c = connector({ acceptNewHostKeys: true });
      const [a, b, x] = await Promise.all([
        c.connect(node(0).name, target({ knownHosts: kh })),
        c.connect(node(1).name, target({ host: node(1).underlayIp, knownHosts: kh })),
        c.connect(node(0).name, target({ port: EXTRA_PORT, knownHosts: kh })),
      ]);
      for (const conn of [a, b, x]) conn.close();
      const lines = readFileSync(kh, "utf8").trim().split("\n").sort();
      const [t0, k0] = hostPub(node(0).name);
      const [t1, k1] = hostPub(node(1).name);
      const [tx, kx] = hostPub(node(0).name, "extra_host_key");
      expect(lines).toEqual(
        [
          `${node(0).underlayIp} ${t0} ${k0}`,
          `${node(1).underlayIp} ${t1} ${k1}`,
          `[${node(0).underlayIp}]:${EXTRA_PORT} ${tx} ${kx}`,
        ].sort(),
      );
      const again = await connector().connect(node(0).name, target({ port: EXTRA_PORT, knownHosts: kh }));
      expect((await again.exec("true")).code).toBe(0);
    });

    it("refuses a changed key, even with accept-new, and names the old line", async () => {
      const [t1, k1] = hostPub(node(1).name);
      const text = `# stale\n${node(0).underlayIp} ${t1} ${k1}\n`;
      const kh = knownHosts("kh-changed", text);
      const err = await failure(
        connector({ acceptNewHostKeys: true }).connect(node(0).name, target({ knownHosts: kh })),
      );
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err.message).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
      expect(err.message).toContain(`${kh}:2`);
      expect(err.message).toContain(`ssh-keygen -R '${node(0).underlayIp}' -f ${kh}`);
      expect(readFileSync(kh, "utf8")).toBe(text);
    });

    it("refuses a host whose key type changed (ed25519 known, ECDSA offered), even with accept-new", async () => {
      const [t0, k0] = hostPub(node(0).name);
      const [tx] = hostPub(node(0).name, "extra_host_key");
      expect([t0, tx]).toEqual(["ssh-ed25519", "ecdsa-sha2-nistp256"]);
      const text = `[${node(0).underlayIp}]:${EXTRA_PORT} ${t0} ${k0}\n`;
      const kh = knownHosts("kh-type-changed", text);
      const err = await failure(
        connector({ acceptNewHostKeys: true }).connect(
          node(0).name,
          target({ port: EXTRA_PORT, knownHosts: kh }),
        ),
      );
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err.message).toContain("ecdsa-sha2-nistp256");
      expect(err.message).toContain(`${kh}:1`);
      expect(readFileSync(kh, "utf8")).toBe(text);
    });
  });

  describe("authentication", () => {
    it("a key the server does not know → AuthError naming user, host and key", async () => {
      const key = join(dir, "wrong_key");
      const err = await failure(connector().connect(node(0).name, target({ identityFile: key })));
      expect(err).toBeInstanceOf(AuthError);
      expect(err.message).toContain(
        `root@${node(0).underlayIp}:22 refused authentication with key ${key} (SHA256:`,
      );
      expect((err as AuthError).unreachable).toBe(true);
    });

    it("an encrypted key: works with the passphrase variable, clear error without", async () => {
      const key = join(dir, "enc_key");
      const withPass = connector({ env: { MESHCTL_SSH_PASSPHRASE: PASSPHRASE } });
      const conn = await withPass.connect(node(0).name, target({ identityFile: key }));
      expect((await conn.exec("echo ok")).stdout).toBe("ok\n");
      const err = await failure(connector({ env: {} }).connect(node(0).name, target({ identityFile: key })));
      expect(err).toBeInstanceOf(AuthError);
      expect(err.message).toContain(
        `identity file ${key} is encrypted: put its passphrase in MESHCTL_SSH_PASSPHRASE`,
      );
    });
  });

  describe("ssh-agent", () => {
    let agent: ChildProcess | undefined;
    let sock = "";
    const agentEnv = () => ({ ...process.env, SSH_AUTH_SOCK: sock });

    beforeAll(async () => {
      sock = join(dir, "agent.sock");
      agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
      expect(await until(() => existsSync(sock), 10_000)).toBe(true);
      execFileSync("ssh-add", ["-q", lab.identityFile], { env: agentEnv(), stdio: "ignore" });
    });
    afterAll(async () => {
      if (agent && agent.exitCode === null) {
        const gone = new Promise((r) => agent?.once("exit", r));
        agent.kill("SIGTERM");
        await Promise.race([gone, sleep(3000)]);
      }
    });

    it("a key only ssh-agent holds logs in, the agent found through SSH_AUTH_SOCK", async () => {
      const viaEnv = connector({ agentSocket: undefined, env: { SSH_AUTH_SOCK: sock } });
      const conn = await viaEnv.connect(node(0).name, target({ identityFile: undefined }));
      expect((await conn.exec("echo agent")).stdout).toBe("agent\n");
    });

    it("the agent's keys are offered after a refused identity file", async () => {
      const conn = await connector({ agentSocket: sock }).connect(
        node(0).name,
        target({ identityFile: join(dir, "wrong_key") }),
      );
      expect((await conn.exec("echo second")).stdout).toBe("second\n");
    });

    it("without the agent the same login is refused, saying what was tried", async () => {
      const err = await failure(
        connector({ agentSocket: null }).connect(
          node(0).name,
          target({ identityFile: join(dir, "wrong_key") }),
        ),
      );
      expect(err).toBeInstanceOf(AuthError);
      expect(err.message).not.toContain("ssh-agent");
      execFileSync("ssh-add", ["-q", "-D"], { env: agentEnv(), stdio: "ignore" });
      const empty = await failure(
        connector({ agentSocket: sock }).connect(
          node(0).name,
          target({ identityFile: join(dir, "wrong_key") }),
        ),
      );
      expect(empty).toBeInstanceOf(AuthError);
      expect(empty.message).toContain("the keys in ssh-agent");
    });
  });

  describe("unreachable", () => {
    it("an address nobody answers → UnreachableError within the connect timeout", async () => {
      const t0 = Date.now();
      const err = await failure(
        connector().connect("ghost", target({ host: "198.18.0.250", connectTimeoutMs: 1500 })),
      );
      expect(err).toBeInstanceOf(UnreachableError);
      expect(["timeout", "no-route"]).toContain((err as UnreachableError).reason);
      expect(err.message).toMatch(/^ghost: cannot connect to 198\.18\.0\.250:22: /);
      expect(Date.now() - t0).toBeLessThan(4000);
    });

    it("a port with nothing listening → connection refused", async () => {
      const err = await failure(connector().connect(node(0).name, target({ port: 23 })));
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as UnreachableError).reason).toBe("refused");
      expect(err.message).toContain("connection refused");
    });
  });

  describe("become", () => {
    it("runs through sudo -n as the lab user: uid 0, stdin and sessions included", async () => {
      const conn = await connector().connect(node(0).name, target({ user: lab.sudoUser, become: true }));
      expect((await conn.exec("id -u")).stdout).toBe("0\n");
      expect((await conn.exec("wc -c", { stdin: "x".repeat(5000) })).stdout.trim()).toBe("5000");
      const s = await conn.session('read l; echo "$l $(id -u)"');
      s.write("hello\n");
      expect(await s.readLine()).toBe("hello 0");
      expect((await s.done).code).toBe(0);
    });

    it("a user without sudo → SudoError, for exec and session", async () => {
      const conn = await connector().connect(node(0).name, target({ user: NOSUDO_USER, become: true }));
      const err = await failure(conn.exec("id -u"));
      expect(err).toBeInstanceOf(SudoError);
      expect(err.message).toContain(`user ${NOSUDO_USER} cannot run sudo without a password`);
      expect(err.message).toContain(
        `add \`${NOSUDO_USER} ALL=(ALL) NOPASSWD: ALL\` to sudoers or set become: false`,
      );
      expect((err as SudoError).unreachable).toBe(false);
      const s = await conn.session("cat");
      expect(await s.readLine()).toBeUndefined();
      expect(await failure(s.done)).toBeInstanceOf(SudoError);
      const plain = await connector().connect(node(0).name, target({ user: NOSUDO_USER }));
      expect((await plain.exec("id -un")).stdout).toBe(`${NOSUDO_USER}\n`);
    });
  });

  it("a connection that stops answering fails running commands as lost (keepalive)", async () => {
    const n = node(1);
    const conn = await connector({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 }).connect(
      n.name,
      target({ host: n.underlayIp }),
    );
    // Wait for the command to run on the node (not a fixed sleep: a loaded machine starts it late).
    const running = conn.exec("exec sleep 30.125");
    expect(await until(() => processesMatching("sleep 30.125").length > 0, 10_000)).toBe(true);
    execFileSync("ip", ["netns", "exec", n.namespace, "ip", "link", "set", "eth0", "down"]);
    try {
      const t0 = Date.now();
      const err = await failure(running);
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as UnreachableError).reason).toBe("lost");
      expect(err.message).toContain("no answer to keepalives");
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      execFileSync("ip", ["netns", "exec", n.namespace, "ip", "link", "set", "eth0", "up"]);
    }
  });

  it("measureFloor connects to every node and runs true", async () => {
    const targets = lab.nodes.map((n) => ({ name: n.name, target: target({ host: n.underlayIp }) }));
    const r = await measureFloor(targets, 8, { agentSocket: null });
    expect(r).toMatchObject({ connected: 2, failed: 0 });
    expect(r.wallMs).toBeGreaterThan(0);
  });
});
