/**
 * Output that scales to a fleet (60 nodes): in a pipe, a line per node on stderr and a line per node on
 * stdout (never a line per change); on a terminal (tmux, 80×24), a view of one line per cluster that never
 * scrolls its first cluster away while the run goes on.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { meshctl, ROOT, useLab } from "./helpers/cli.js";

const lab = useLab("output", { clusters: 3, nodesPerCluster: 20, kubeApi: true });
const BIN = join(ROOT, "bin", "meshctl.js");

function plainRun(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return {
    code: r.status,
    out: r.stdout.split("\n").filter(Boolean),
    err: r.stderr.split("\n").filter(Boolean),
  };
}

const tmux = (...args: string[]) =>
  spawnSync("tmux", ["-L", "meshctl-output-test", ...args], { encoding: "utf8" });
/** 20 nodes and the cluster's IPPools. */
const CLUSTER_LINE = /^cluster[123] \[[█░]+\] \d+\/21 · /;

describe("output at 60 nodes", () => {
  it("in a pipe: a fresh apply prints a line per node on each stream, and the recap by cluster", () => {
    const r = plainRun("apply", "-i", lab.info.inventory);
    expect(r.code).toBe(0);
    // stderr: one progress line per node as it finishes (60), nothing per change.
    expect(r.err.filter((l) => /^c\d-node\d+: changed \(\d+\)$/.test(l))).toHaveLength(60);
    expect(r.err.filter((l) => /^cluster\d\/ippools: changed \(\d+\)$/.test(l))).toHaveLength(3);
    expect(r.err).toHaveLength(63);
    // stdout: one summary line per node with counts by kind, then the recap (title, 3 clusters, total).
    const perNode = r.out.filter((l) =>
      /^c\d-node\d+ \(cluster\d, 198\.18\.0\.\d+\): changed — device \d+, fdb \d+, neighbour \d+, route \d+, boot file 5$/.test(
        l,
      ),
    );
    expect(perNode).toHaveLength(60);
    const recap = r.out.slice(r.out.indexOf("RECAP"));
    expect(recap).toHaveLength(5);
    expect(recap[4]).toMatch(/^total \(63 hosts\)\s+: ok=\d+\s+changed=\d+\s+failed=0\s+unreachable=0$/);
    expect(r.out.length).toBeLessThanOrEqual(60 + 3 * 2 + 6);
  }, 120_000);

  it("diff collapses what is the same on the nodes of a cluster; --expand shows every line", () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    const collapsed = plainRun("diff", "-i", lab.info.inventory);
    const expanded = plainRun("diff", "-i", lab.info.inventory, "--expand");
    expect(collapsed.code).toBe(2);
    expect(expanded.code).toBe(2);
    expect(
      collapsed.out.filter((l) =>
        /^the same \d+ change\(s\) on the 20 nodes of cluster\d \(each leaves out the entries for itself\):$/.test(
          l,
        ),
      ),
    ).toHaveLength(3);
    // Every node's own device changes are still there, but the shared routes/FDB/neighbours are said once.
    expect(collapsed.out.length * 10).toBeLessThan(expanded.out.length);
    const routeLines = (lines: string[]) => lines.filter((l) => l.startsWith("  + route ")).length;
    expect(routeLines(expanded.out)).toBe(20 * routeLines(collapsed.out));
  }, 120_000);

  it("on an 80×24 terminal the live view fits the screen for the whole run", async () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    tmux("kill-server");
    const cmd = `${process.execPath} ${BIN} apply -i ${lab.info.inventory}; echo EXIT=$?; sleep 30`;
    expect(tmux("new-session", "-d", "-x", "80", "-y", "24", cmd).status).toBe(0);
    const screens: string[][] = [];
    try {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const cap = tmux("capture-pane", "-p").stdout.split("\n");
        screens.push(cap);
        if (cap.some((l) => l.startsWith("EXIT="))) break;
        if (Date.now() > deadline) throw new Error(`no end of run on the screen:\n${cap.join("\n")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      tmux("kill-server");
    }
    const last = screens.at(-1) ?? [];
    expect(last, last.join("\n")).toContain("EXIT=0");
    const during = screens.filter((s) => !s.some((l) => l.startsWith("EXIT=") || l === "RECAP"));
    const withView = during.filter((s) => s.some((l) => CLUSTER_LINE.test(l)));
    expect(withView.length).toBeGreaterThan(0);
    for (const s of withView) {
      // All three clusters are on the screen at once, one line each, in order, from the top.
      const lines = s.filter((l) => CLUSTER_LINE.test(l));
      expect(lines.map((l) => l.slice(0, 8))).toEqual(["cluster1", "cluster2", "cluster3"]);
      expect(s.findIndex((l) => CLUSTER_LINE.test(l))).toBe(0);
      for (const l of s) expect([...l].length).toBeLessThanOrEqual(80);
    }
  }, 150_000);
});
