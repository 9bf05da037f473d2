/**
 * README "The lab": `lab down` removes exactly what `up` recorded — processes by PID checked against their
 * start time, plus whatever runs inside the lab's own namespaces — and kills nothing by name. Two decoys
 * outside the lab's namespaces: one whose command line is a lab node's sshd's (its config path included),
 * and one whose PID lab.json records with another start time (as after the kernel reused a dead sshd's PID).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { labDown, labUp } from "../../src/lab/index.js";
import type { LabState } from "../../src/lab/state.js";
import { processesMatching, procState, requireRootOrFail } from "./helpers/host.js";
import { until } from "./helpers/node-mounts.js";

const alive = (p: ChildProcess) => p.pid !== undefined && ![undefined, "Z"].includes(procState(p.pid));

it("lab down kills neither a look-alike of its sshd nor a recorded PID whose start time differs", async () => {
  requireRootOrFail();
  const dir = mkdtempSync(join(tmpdir(), "meshctl-lab-down-test-"));
  const decoys: ChildProcess[] = [];
  try {
    const info = await labUp({ dir, clusters: 1, nodesPerCluster: 1, kubeApi: false, log: () => {} });
    const node = info.nodes[0]?.name as string;
    const sshdLine = readFileSync(`/proc/${labSshdPid(dir, node)}/cmdline`, "utf8")
      .replaceAll("\0", " ")
      .trim();
    expect(sshdLine).toContain(dir);
    // bash's exec -a: the decoy's command line is the lab sshd's, word for word.
    const lookalike = spawn("bash", ["-c", `exec -a "${sshdLine}" sleep 3017`], { stdio: "ignore" });
    const reused = spawn("sleep", ["3018"], { stdio: "ignore" });
    decoys.push(lookalike, reused);
    // Alive is not enough: bash may not have exec'd the look-alike command line yet. (The real sshd's own
    // title changes with each connection in progress — "[listener] 1 of 10-100 startups" — so only the
    // decoy is matched by its line; the real one is known by its PID.)
    const bothUp = () =>
      alive(lookalike) && alive(reused) && processesMatching(sshdLine).includes(lookalike.pid as number);
    expect(await until(bothUp, 10_000)).toBe(true);
    const stateFile = join(dir, "lab.json");
    const st = JSON.parse(readFileSync(stateFile, "utf8")) as LabState;
    st.processes.push({ pid: reused.pid as number, startTime: "1", role: "sshd", owner: node });
    writeFileSync(stateFile, JSON.stringify(st));

    const { removed } = await labDown({ dir });
    expect(removed).toContain(`process ${labSshdPidOf(st, node)} (sshd of ${node})`);
    expect(removed.filter((r) => r.startsWith("process"))).toHaveLength(1);
    expect(alive(lookalike), "the look-alike sshd was killed").toBe(true);
    expect(alive(reused), "a recorded PID with another start time was killed").toBe(true);
  } finally {
    for (const d of decoys) d.kill("SIGKILL");
    await labDown({ dir }).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

function labSshdPidOf(st: LabState, node: string): number {
  const p = st.processes.find((x) => x.role === "sshd" && x.owner === node);
  if (!p) throw new Error(`no sshd recorded for ${node}`);
  return p.pid;
}

function labSshdPid(dir: string, node: string): number {
  return labSshdPidOf(JSON.parse(readFileSync(join(dir, "lab.json"), "utf8")) as LabState, node);
}
