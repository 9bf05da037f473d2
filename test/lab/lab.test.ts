/**
 * The namespace lab against the real kernel and real OpenSSH (vitest project `lab`, run as root).
 * Every lab here lives in its own temporary directory, never /run/meshctl-lab, and is taken down in
 * afterAll whatever happened.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadInventory } from "../../src/inventory/load.js";
import { LabError, type LabInfo, labDown, labStatus, labUp, planLab } from "../../src/lab/index.js";
import {
  leftovers,
  liveRecordedPids,
  processesMatching,
  recordedPids,
  requireRootOrFail,
  type Snapshot,
  sh,
  snapshot,
  sshArgs,
} from "./helpers/host.js";

const ROOT = join(import.meta.dirname, "..", "..");
const KUBE_SERVER = join(ROOT, "dist", "lab", "kubeapi", "main.js");

/** Build dist/ so the fake Kubernetes API server is the current source's. */
function buildDist(): { ok: boolean; why: string } {
  const r = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 240_000,
  });
  if (existsSync(KUBE_SERVER)) return { ok: true, why: "" };
  return {
    ok: false,
    why: `the lab's Kubernetes API server ${KUBE_SERVER} is not built (tsc exit ${r.status}): ${(r.stdout + r.stderr).trim().slice(0, 2000)}`,
  };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
const quiet = () => {};

let kube: { ok: boolean; why: string } = { ok: false, why: "not built yet" };

beforeAll(() => {
  requireRootOrFail();
  kube = buildDist();
}, 300_000);

describe("a 3 x 2 lab", () => {
  let dir = "";
  let before: Snapshot;
  let info: LabInfo;
  let pids: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "meshctl-lab-test-"));
    before = await snapshot();
    const t = Date.now();
    info = await labUp({ dir, clusters: 3, nodesPerCluster: 2, kubeApi: kube.ok, log: quiet });
    console.log(`lab up 3x2: ${secs(Date.now() - t)}`);
    pids = recordedPids(dir);
  });

  afterAll(async () => {
    if (dir) {
      await labDown({ dir }).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("describes every node, cluster and file", () => {
    expect(info.nodes).toHaveLength(6);
    expect(info.nodes.map((n) => n.underlayIp)).toEqual([11, 12, 13, 14, 15, 16].map((h) => `198.18.0.${h}`));
    expect(info.nodes[1]).toMatchObject({
      name: "c1-node2",
      cluster: "cluster1",
      podBlocks: ["198.18.16.64/26"],
      podGateway: "198.18.16.65",
      podIp: "198.18.16.66",
    });
    expect(info.clusters.map((c) => c.control)).toEqual(["c1-node1", "c2-node1", "c3-node1"]);
    for (const f of [info.inventory, info.knownHosts, info.identityFile]) expect(existsSync(f)).toBe(true);
    expect(readFileSync(info.knownHosts, "utf8").trim().split("\n")).toHaveLength(6);
  });

  it("every node answers SSH as root with a verified host key, in a private home", async () => {
    const results = await Promise.all(
      info.nodes.map((n) =>
        sh("ssh", sshArgs(dir, "root", n.underlayIp, "ip -o -4 addr show dev eth0; ls -A /root | wc -l")),
      ),
    );
    results.forEach((r, i) => {
      const n = info.nodes[i];
      expect(r.code, `${n?.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`inet ${n?.underlayIp}/24`);
      // The host's /root (with its shell start-up files) is hidden behind an empty private home.
      expect(r.stdout.trim().split("\n").pop()).toBe("0");
    });
  });

  it(`the sudo user logs in and runs sudo -n`, async () => {
    const results = await Promise.all(
      info.nodes.map((n) => sh("ssh", sshArgs(dir, info.sudoUser, n.underlayIp, "sudo -n true && id -un"))),
    );
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe("meshlab");
    }
  });

  it("an unknown host key is refused (strict checking is real)", async () => {
    const other = join(dir, "other_known_hosts");
    const first = info.nodes[0];
    const second = info.nodes[1];
    if (!first || !second) throw new Error("no nodes");
    // Claim node 1's address has node 2's key.
    const key = readFileSync(info.knownHosts, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${second.underlayIp} `));
    writeFileSync(other, `${first.underlayIp} ${key?.split(" ").slice(1).join(" ")}\n`);
    const args = sshArgs(dir, "root", first.underlayIp, "true").map((a) =>
      a.startsWith("UserKnownHostsFile=") ? `UserKnownHostsFile=${other}` : a,
    );
    const r = await sh("ssh", args);
    rmSync(other);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it("each pod namespace pings its node", async () => {
    for (const n of info.nodes) {
      const r = await sh("ip", ["netns", "exec", n.podNamespace, "ping", "-c1", "-W1", n.podGateway]);
      expect(r.code, `${n.podNamespace} -> ${n.podGateway}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it("nodes forward, have no default route and no IPv6", async () => {
    const n = info.nodes[0];
    if (!n) throw new Error("no nodes");
    const fwd = await sh("ip", ["netns", "exec", n.namespace, "cat", "/proc/sys/net/ipv4/ip_forward"]);
    expect(fwd.stdout.trim()).toBe("1");
    const routes = await sh("ip", ["-n", n.namespace, "route"]);
    expect(routes.stdout).not.toContain("default");
    const v6 = await sh("ip", ["-n", n.namespace, "-6", "addr"]);
    expect(v6.stdout.trim()).toBe("");
    const podV6 = await sh("ip", ["-n", n.podNamespace, "-6", "addr"]);
    expect(podV6.stdout.trim()).toBe("");
    const hostV6 = await sh("ip", ["-6", "addr", "show", "dev", "mshlab0"]);
    expect(hostV6.stdout.trim()).toBe("");
    const mtu = await sh("ip", ["-n", n.podNamespace, "-o", "link", "show", "eth0"]);
    expect(mtu.stdout).toContain("mtu 1450");
    const unreachable = await sh("ip", ["route", "show", "type", "unreachable"]);
    expect(unreachable.stdout).toContain("198.18.0.0/15");
  });

  it("the inventory is a valid meshctl inventory of the lab", async () => {
    const text = readFileSync(info.inventory, "utf8");
    expect(text.startsWith("#")).toBe(true);
    const raw = parse(text) as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual(["mesh", "clusters"]);
    expect(raw.mesh).toMatchObject({
      device: "mshvx0",
      vni: 10001,
      port: 4899,
      overlay: "198.18.1.0/24",
      ssh: { user: "root", port: 22, identity_file: info.identityFile, known_hosts: info.knownHosts },
    });
    const inv = await loadInventory(info.inventory);
    expect(inv.clusters.map((c) => ({ name: c.name, podCidr: c.podCidr, control: c.control }))).toEqual(
      info.clusters.map((c) => ({ name: c.name, podCidr: c.podCidr, control: c.control })),
    );
    expect(inv.clusters.flatMap((c) => c.nodes.map((n) => [n.name, n.ssh.host, n.podBlocks]))).toEqual(
      info.nodes.map((n) => [n.name, n.underlayIp, n.podBlocks]),
    );
    expect(text).toContain("pod_blocks: [ 198.18.48.64/26 ]");
  });

  it("the Kubernetes API answers kubectl on each control node", async () => {
    if (!kube.ok) throw new Error(kube.why);
    for (const c of info.clusters) {
      if (!c.kubeconfig) throw new Error(`${c.name} has no kubeconfig`);
      const r = await sh("ip", [
        "netns",
        "exec",
        c.controlNamespace,
        "kubectl",
        "--kubeconfig",
        c.kubeconfig,
        "get",
        "nodes",
        "-o",
        "name",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split("\n").sort()).toEqual(c.nodes.map((n) => `node/${n}`).sort());
    }
  });

  it("status reports a healthy lab", async () => {
    const st = await labStatus({ dir });
    expect(st?.healthy).toBe(true);
    expect(st?.nodes.every((n) => n.sshdUp)).toBe(true);
  });

  it("a second up in the same directory is refused with a LabError", async () => {
    const e = await labUp({ dir, kubeApi: false }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LabError);
    expect((e as Error).message).toMatch(/lab already up in .* \(6 nodes\); run `meshctl lab down --dir/);
  });

  it("down leaves nothing behind (open sessions included), and is idempotent", async () => {
    expect(pids.length).toBeGreaterThanOrEqual(6);
    // An SSH session of the sudo user still open: down must end it (and still remove the user).
    const n0 = info.nodes[0];
    if (!n0) throw new Error("no nodes");
    const session = spawn("ssh", sshArgs(dir, info.sudoUser, n0.underlayIp, "exec sleep 3013"), {
      stdio: "ignore",
    });
    const sessionEnded = new Promise<void>((r) => session.on("exit", () => r()));
    const deadline = Date.now() + 10_000;
    while (!processesMatching("sleep 3013").length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(processesMatching("sleep 3013"), "the session's sleep never started").toHaveLength(1);
    const t = Date.now();
    const { removed } = await labDown({ dir });
    console.log(`lab down 3x2: ${secs(Date.now() - t)} (${removed.length} items)`);
    expect(removed.filter((r) => r.startsWith("namespace"))).toHaveLength(12);
    const after = await snapshot();
    expect(leftovers(before, after, dir)).toEqual([]);
    expect(after.netns.filter((n) => n.startsWith("msh") && !before.netns.includes(n))).toEqual([]);
    expect(
      pids.filter(
        (p) => existsSync(`/proc/${p}`) && !readFileSync(`/proc/${p}/stat`, "utf8").includes(") Z "),
      ),
    ).toEqual([]);
    expect(liveRecordedPids(dir)).toEqual([]);
    expect(processesMatching("sleep 3013")).toEqual([]);
    await sessionEnded;
    expect(existsSync(join(dir, "lab.json"))).toBe(false);
    expect((await labDown({ dir })).removed).toEqual([]);
    expect(await labStatus({ dir })).toBeUndefined();
  });
});

describe("lab sizes", () => {
  it("refuses sizes that do not fit the address plan with a LabError", async () => {
    for (const [clusters, nodesPerCluster, discover] of [
      [16, 1, false],
      [1, 65, false],
      [1, 33, true],
      [4, 64, false],
      [0, 2, false],
    ] as const) {
      const e = await labUp({ dir: "/nonexistent/meshctl-lab", clusters, nodesPerCluster, discover }).catch(
        (err: unknown) => err,
      );
      expect(e, `${clusters} x ${nodesPerCluster}`).toBeInstanceOf(LabError);
    }
    expect(planLab(15, 13, false).nodes).toHaveLength(195);
    expect(planLab(15, 13, false).nodes.at(-1)).toMatchObject({
      underlayIp: "198.18.0.205",
      podIp: "198.18.243.2",
    });
  });
});

describe("a lab whose up fails half-way", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) {
      await labDown({ dir }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a LabError and takes down what it made", async () => {
    dir = mkdtempSync(join(tmpdir(), "meshctl-lab-test-"));
    const before = await snapshot();
    // A "Kubernetes API server" that dies at once: up fails after the namespaces and sshds exist.
    const broken = join(dir, "broken-kubeapi.js");
    writeFileSync(broken, 'console.error("boom: cannot start"); process.exit(3);\n');
    const e = await labUp({ dir, clusters: 2, nodesPerCluster: 2, kubeApiServer: broken, log: quiet }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(LabError);
    expect((e as Error).message).toContain("boom: cannot start");
    expect((e as Error).message).toContain("taken down");
    const after = await snapshot();
    expect(leftovers(before, after, dir)).toEqual([]);
    expect(existsSync(join(dir, "lab.json"))).toBe(false);
  });
});

describe("a 2 x 2 lab with discovery", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) {
      await labDown({ dir }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves pod_blocks out of the inventory and seeds two blocks per node", async () => {
    if (!kube.ok) throw new Error(kube.why);
    dir = mkdtempSync(join(tmpdir(), "meshctl-lab-test-"));
    const info = await labUp({ dir, clusters: 2, nodesPerCluster: 2, discover: true, log: quiet });
    expect(readFileSync(info.inventory, "utf8")).not.toContain("pod_blocks");
    expect(info.nodes[1]?.podBlocks).toEqual(["198.18.16.64/26", "198.18.24.64/26"]);
    const seeded = JSON.parse(readFileSync(join(dir, "kube", "cluster1.json"), "utf8")) as {
      items: { kind: string; metadata: { name: string }; spec: Record<string, unknown> }[];
    };
    const affinities = seeded.items.filter((o) => o.kind === "BlockAffinity");
    expect(affinities).toHaveLength(4);
    expect(affinities.find((a) => a.metadata.name === "c1-node2-198-18-24-64-26")?.spec).toEqual({
      node: "c1-node2",
      cidr: "198.18.24.64/26",
      state: "confirmed",
      deleted: "false",
    });
    const c1 = info.clusters[0];
    if (!c1?.kubeconfig) throw new Error("no kubeconfig");
    const r = await sh(
      "ssh",
      sshArgs(
        dir,
        "root",
        info.nodes[0]?.underlayIp ?? "",
        `kubectl --kubeconfig ${c1.kubeconfig} get nodes -o name`,
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("node/c1-node2");
  });
});

describe("a 3 x 20 lab", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) {
      await labDown({ dir }).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("comes up (busy, Calico-like nodes), answers SSH on every node, and goes down cleanly", async () => {
    dir = mkdtempSync(join(tmpdir(), "meshctl-lab-test-"));
    const before = await snapshot();
    let t = Date.now();
    const info = await labUp({ dir, clusters: 3, nodesPerCluster: 20, kubeApi: kube.ok, log: quiet });
    console.log(`lab up 3x20: ${secs(Date.now() - t)}`);
    expect(info.nodes).toHaveLength(60);
    expect(readFileSync("/proc/sys/net/ipv4/neigh/default/gc_thresh3", "utf8").trim()).toBe(
      String(60 * 63 * 4),
    );

    t = Date.now();
    const results = await Promise.all(
      info.nodes.map((n) => sh("ssh", sshArgs(dir, "root", n.underlayIp, "true"), 60_000)),
    );
    console.log(`60 parallel ssh sessions: ${secs(Date.now() - t)}`);
    results.forEach((r, i) => {
      expect(r.code, `${info.nodes[i]?.name}: ${r.stderr}`).toBe(0);
    });
    const last = info.nodes[59];
    if (!last) throw new Error("no node 60");
    const ping = await sh("ip", ["netns", "exec", last.podNamespace, "ping", "-c1", "-W1", last.podGateway]);
    expect(ping.code, ping.stdout).toBe(0);

    t = Date.now();
    await labDown({ dir });
    console.log(`lab down 3x20: ${secs(Date.now() - t)}`);
    expect(leftovers(before, await snapshot(), dir)).toEqual([]);
  }, 300_000);
});
