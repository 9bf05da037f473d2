/**
 * meshctl on production-like nodes, end to end on a 2 x 1 lab: what a local user on a node can do to it
 * (world-writable /run/lock), remote steps that never end, signals, nodes cut off by their own change set.
 * Runs the built CLI (dist/) and asserts on its output and on the nodes' state read directly.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SSH_PORT } from "../../src/lab/plan.js";
import { type CliRun, meshctl, ROOT, useLab } from "./helpers/cli.js";
import { withoutCarrier } from "./helpers/foreign.js";
import { onNode, startOnNode, until } from "./helpers/node-mounts.js";
import { cutSshStep, writePlaybook } from "./helpers/playbooks.js";

const lab = useLab("safety", { clusters: 2, nodesPerCluster: 1, kubeApi: true });

describe("node-side files", () => {
  it("a local user can neither make apply write through a link in /run/lock nor block it with the old lock", async () => {
    const node = "c1-node1";
    const on = (cmd: string, user?: string) => onNode(lab.dir, node, cmd, user);
    // /run/lock as real Debian/Ubuntu/CentOS nodes have it; a root-only file for the victim.
    expect(on("chmod 1777 /run/lock").code).toBe(0);
    expect(on("mkdir -p /root/t && echo precious >/root/t/victim && chmod 600 /root/t/victim").code).toBe(0);
    expect(on("ln -s /root/t/victim /run/lock/meshctl.journal.tmp", "nobody").code).toBe(0);
    expect(on("ln -s /root/t/victim /run/lock/meshctl.journal", "nobody").code).toBe(0);
    const squatter = startOnNode(lab.dir, node, "exec flock -o /run/lock/meshctl.lock sleep 60", "nobody");
    try {
      expect(await until(() => on("flock -n /run/lock/meshctl.lock true").code !== 0, 10_000)).toBe(true);
      const t0 = Date.now();
      const a = meshctl("apply", "-i", lab.info.inventory);
      const took = Date.now() - t0;
      expect(a.code, a.stderr).toBe(0);
      expect(a.json.nodes.find((n) => n.name === node)?.status).toBe("changed");
      expect(took).toBeLessThan(20_000);
      expect(on("cat /root/t/victim").out).toBe("precious\n");
      expect(on("stat -c '%U %a %F' /run/meshctl").out.trim()).toBe("root 700 directory");
      expect(on("ls -A /run/lock").out.split("\n").sort().filter(Boolean)).toEqual([
        "meshctl.journal",
        "meshctl.journal.tmp",
        "meshctl.lock",
      ]);
    } finally {
      squatter.kill();
      on("rm -rf /root/t /run/lock/meshctl.journal /run/lock/meshctl.journal.tmp /run/lock/meshctl.lock");
    }
  }, 60_000);
});

/** A playbook: the built-in mesh steps, then `site` (YAML lines of one more step). Returns its path. */
const playbook = (name: string, site: string) => writePlaybook(lab.dir, name, site);
const host = (r: CliRun, name: string) => r.json.nodes.find((n) => n.name === name);
const onC1 = (cmd: string) => onNode(lab.dir, "c1-node1", cmd);
const sleepers = () => onC1("pgrep -f '^sleep 100000$' || true").out.trim();

describe("every remote request has a deadline", () => {
  it("a site check that never ends fails its node at the step's timeout; the node's lock is free again", () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    const pb = playbook(
      "hang-check",
      `  - name: hangs
    hosts: nodes
    timeout: 2
    shell: { check: '[ "$MESHCTL_NODE" != c1-node1 ] || sleep 100000', apply: "true", undo: "true" }`,
    );
    const t0 = Date.now();
    const a = meshctl("apply", "-i", lab.info.inventory, "--playbook", pb);
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(a.code).toBe(1);
    expect(host(a, "c1-node1")?.error).toMatch(/c1-node1: checking hangs: check: timed out after 2 s/);
    expect(host(a, "c1-node1")?.commandsSent).toBe(0);
    expect(host(a, "c2-node1")?.status).toBe("changed");
    expect(sleepers()).toBe("");
    // The lock is free: the next run on that node starts at once.
    expect(onC1("flock -n /run/meshctl/lock true").code).toBe(0);
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
  }, 60_000);

  it("a site apply that never ends is killed with its process group; the node rolls back", () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    const pb = playbook(
      "hang-apply",
      `  - name: hangs
    hosts: nodes
    timeout: 2
    shell: { check: "false", apply: '[ "$MESHCTL_NODE" != c1-node1 ] || { sleep 100000 & sleep 100000; }', undo: "true" }`,
    );
    const t0 = Date.now();
    const a = meshctl("apply", "-i", lab.info.inventory, "--playbook", pb);
    expect(Date.now() - t0).toBeLessThan(25_000);
    expect(a.code).toBe(1);
    const c1 = host(a, "c1-node1");
    expect(c1?.status).toBe("failed");
    expect(c1?.error).toMatch(/sh \(hangs: apply\): timed out after 2 s \(killed on the node\)/);
    expect(c1?.rollback?.restored).toBe(true);
    expect(onC1("ip link show mshvx0").code).not.toBe(0);
    expect(sleepers()).toBe("");
    expect(onC1("flock -n /run/meshctl/lock true").code).toBe(0);
  }, 60_000);
});

/** `meshctl … --output json` in the background: its output so far, and its exit. */
function startMeshctl(...args: string[]) {
  const child = spawn(process.execPath, [join(ROOT, "bin", "meshctl.js"), ...args, "--output", "json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  const exit = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return { child, exit, out: () => out, err: () => err, json: () => JSON.parse(out) as CliRun["json"] };
}
const hasDevice = (node: string) => onNode(lab.dir, node, "ip link show mshvx0").code === 0;
const siteStep = (apply: string, timeout: number) => `  - name: site
    hosts: nodes
    timeout: ${timeout}
    shell: { check: "false", apply: '${apply}', undo: "true" }`;

describe("signals", () => {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    it(`${sig}: the change set already sent finishes, nothing new starts, the result is printed, exit 130`, async () => {
      expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
      // c1-node1's lock is held (as another run would), so its session waits while c2-node1 applies.
      const holder = startOnNode(lab.dir, "c1-node1", "exec flock -o /run/meshctl/lock sleep 60");
      try {
        expect(await until(() => onC1("flock -n /run/meshctl/lock true").code !== 0, 10_000)).toBe(true);
        const run = startMeshctl(
          "apply",
          "-i",
          lab.info.inventory,
          "--playbook",
          playbook("slow", siteStep("sleep 3", 30)),
        );
        // c2-node1's change set is on its way (device made, the slow step still running).
        expect(await until(() => hasDevice("c2-node1"), 30_000)).toBe(true);
        run.child.kill(sig);
        expect(await until(() => run.err().includes(`interrupted (${sig})`), 10_000)).toBe(true);
        holder.kill();
        const code = await run.exit;
        expect(code, run.err()).toBe(130);
        const json = run.json();
        expect(json.exitCode).toBe(130);
        const c1 = json.nodes.find((n) => n.name === "c1-node1");
        expect(c1?.error).toBe("not applied: interrupted");
        expect(c1?.commandsSent).toBe(0);
        expect(json.nodes.find((n) => n.name === "c2-node1")?.status).toBe("changed");
        expect(hasDevice("c1-node1")).toBe(false);
        expect(hasDevice("c2-node1")).toBe(true);
      } finally {
        holder.kill();
      }
    }, 90_000);
  }

  it("a first Ctrl-C never waits forever: a change set stuck in a step is killed at its limit and rolled back (130)", async () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    const run = startMeshctl(
      "apply",
      "-i",
      lab.info.inventory,
      "--playbook",
      playbook("stuck", siteStep("sleep 100000", 3)),
    );
    expect(await until(() => hasDevice("c1-node1") && hasDevice("c2-node1"), 30_000)).toBe(true);
    run.child.kill("SIGINT");
    const t0 = Date.now();
    const code = await run.exit;
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(code, run.err()).toBe(130);
    for (const n of run.json().nodes) {
      expect(n.status, n.name).toBe("failed");
      expect(n.error, n.name).toMatch(/timed out after 3 s/);
      expect(n.rollback?.restored, n.name).toBe(true);
    }
    expect(hasDevice("c1-node1") || hasDevice("c2-node1")).toBe(false);
    expect(sleepers()).toBe("");
  }, 90_000);

  it("a second Ctrl-C leaves at once; the nodes undo the change set in flight by themselves", async () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    const run = startMeshctl(
      "apply",
      "-i",
      lab.info.inventory,
      "--playbook",
      playbook("stuck", siteStep("sleep 100000", 5)),
    );
    expect(await until(() => hasDevice("c1-node1") && hasDevice("c2-node1"), 30_000)).toBe(true);
    run.child.kill("SIGINT");
    expect(await until(() => run.err().includes("interrupted (SIGINT)"), 10_000)).toBe(true);
    run.child.kill("SIGINT");
    const t0 = Date.now();
    expect(await run.exit).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(run.err()).toMatch(/SIGINT: leaving now/);
    expect(await until(() => !hasDevice("c1-node1") && !hasDevice("c2-node1"), 30_000)).toBe(true);
    expect(sleepers()).toBe("");
  }, 90_000);
});

/**
 * Runs `verb` with playbook `pb`, whose site step cuts c1-node1's SSH (iptables `rule`): the node must
 * revert the change set by itself within --confirm-timeout and meshctl say so (exit 1); c2-node1 proceeds.
 */
async function expectRevertedByNode(verb: "apply" | "teardown", pb: string, rule: string): Promise<void> {
  // (a device the node deletes and makes again comes back with a new ifindex)
  const state = () =>
    withoutCarrier(onC1("ip -d link show; ip route show table all; ip neigh show nud permanent").out).replace(
      /^\d+: /gm,
      "",
    );
  const before = state();
  const cut = () => onC1(`iptables -C ${rule}`).code === 0;
  const run = startMeshctl(verb, "-i", lab.info.inventory, "--playbook", pb, "--confirm-timeout", "10");
  try {
    expect(await until(cut, 30_000)).toBe(true);
    const cutAt = Date.now();
    // The node reverts by itself: 10 s after its read-back (+ the timer's 1 s ticks and the replay).
    expect(await until(() => !cut(), 25_000)).toBe(true);
    const revertedAfter = Date.now() - cutAt;
    expect(revertedAfter).toBeLessThan(15_000);
    expect(await run.exit, run.err()).toBe(1);
    const c1 = host({ json: run.json() } as CliRun, "c1-node1");
    expect(c1?.status).toBe("failed");
    expect(c1?.error).toMatch(/^lost contact after the change; reverted by the node/);
    expect(c1?.rollback?.restored).toBe(true);
    expect(c1?.rollback?.detail).toMatch(/reverted by the node within 10 s \(commit-confirmed\)/);
    expect(host({ json: run.json() } as CliRun, "c2-node1")?.status).toBe("changed");
    // The node answers again, at its prior state.
    expect(state()).toBe(before);
    console.log(
      `commit-confirmed ${verb}: DROP rule removed by the node ${revertedAfter} ms after it appeared`,
    );
  } finally {
    onC1(`while iptables -D ${rule} 2>/dev/null; do :; done`);
    run.child.kill("SIGKILL");
  }
}

describe("commit-confirmed", () => {
  const { rule, step } = cutSshStep("c1-node1", SSH_PORT);

  it("a change set that cuts the node's SSH is reverted by the node within --confirm-timeout; meshctl says so (exit 1)", async () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    await expectRevertedByNode("apply", playbook("cut", step), rule);
    const d = meshctl("diff", "-i", lab.info.inventory, "--limit", "c1-node1");
    expect(d.code).toBe(2);
    expect(host(d, "c1-node1")?.status).toBe("ok");
  }, 120_000);

  it("teardown too: a teardown that cuts the node's SSH is reverted by the node (its mesh stays), exit 1", async () => {
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    await expectRevertedByNode("teardown", writePlaybook(lab.dir, "cut-teardown", step, true), rule);
    expect(hasDevice("c1-node1")).toBe(true);
    expect(hasDevice("c2-node1")).toBe(false);
    const d = meshctl("diff", "-i", lab.info.inventory, "--limit", "c1-node1");
    expect(d.code, d.stderr).toBe(0);
  }, 120_000);
});
