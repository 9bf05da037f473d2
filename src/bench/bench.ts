/**
 * `npm run bench`: builds a 3 x 20 namespace lab and times, as a user runs them, `meshctl ping` (the
 * floor: connect to every node and run `true`), a fresh `apply`, a no-op `apply` and a `diff` — each
 * with the controller's peak memory — and prints every figure next to the floor of the same run.
 * Bounded: a fixed number of runs, a timeout on each; the lab is always taken down.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { reportError } from "../cli/report-error.js";
import { loadInventory } from "../inventory/load.js";
import { labDown, labUp } from "../lab/index.js";
import { buildModel } from "../model/build.js";
import { measureFloor } from "./ssh-floor.js";

const BIN = fileURLToPath(new URL("../../bin/meshctl.js", import.meta.url));
const REPEAT = 5;

interface Sample {
  wallMs: number;
  maxRssMb: number;
  cpuMs: number;
  code: number | null;
}

function runCli(args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args, "--output", "json"], {
      env: { ...process.env, MESHCTL_RUSAGE: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const m = /@@rusage (.*)/.exec(stderr);
      if (!m) return reject(new Error(`meshctl ${args.join(" ")} exited ${code}: ${stderr.slice(0, 2000)}`));
      const u = JSON.parse(m[1] as string) as { maxRssKb: number; userUs: number; systemUs: number };
      resolve({ wallMs, maxRssMb: u.maxRssKb / 1024, cpuMs: (u.userUs + u.systemUs) / 1000, code });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

function summarise(name: string, samples: Sample[]) {
  return {
    name,
    wallMs: median(samples.map((s) => s.wallMs)),
    minMs: Math.min(...samples.map((s) => s.wallMs)),
    maxRssMb: Math.max(...samples.map((s) => s.maxRssMb)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    runs: samples.length,
  };
}

async function main(): Promise<void> {
  const clusters = Number(process.env.BENCH_CLUSTERS ?? 3);
  const perCluster = Number(process.env.BENCH_NODES ?? 20);
  const dir = mkdtempSync(join(tmpdir(), "meshctl-bench-"));
  const log = (s: string) => process.stdout.write(`${s}\n`);
  let up = false;
  try {
    const t0 = performance.now();
    const info = await labUp({ dir, clusters, nodesPerCluster: perCluster, kubeApi: true });
    up = true;
    const inv = info.inventory;
    const n = info.nodes.length;
    log(
      `lab: ${clusters} x ${perCluster} = ${n} nodes up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const invModel = buildModel(await loadInventory(inv));
    const inproc: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const r = await measureFloor(
        invModel.nodes.map((x) => ({ name: x.name, target: x.ssh })),
        100,
      );
      if (r.failed > 0) throw new Error(`floor: ${r.failed} node(s) failed: ${r.errors.join("; ")}`);
      inproc.push(r.wallMs);
    }
    // Interleaved rounds, so each verb is compared with a floor measured moments before it (this machine
    // is shared; its speed drifts between minutes): round i = floor, no-op apply, diff, teardown (not
    // timed), floor, fresh apply.
    const floor: Sample[] = [];
    const fresh: Sample[] = [];
    const noop: Sample[] = [];
    const diff: Sample[] = [];
    const ratios = { fresh: [] as number[], noop: [] as number[], diff: [] as number[] };
    const expectOk = (s: Sample, what: string) => {
      if (s.code !== 0) throw new Error(`${what} exited ${s.code}`);
      return s;
    };
    const first = expectOk(await runCli(["apply", "-i", inv]), "first apply");
    for (let i = 0; i < REPEAT; i++) {
      const f1 = expectOk(await runCli(["ping", "-i", inv]), "ping");
      const a = expectOk(await runCli(["apply", "-i", inv]), "no-op apply");
      const d = expectOk(await runCli(["diff", "-i", inv]), "diff");
      expectOk(await runCli(["teardown", "-i", inv]), "teardown");
      const f2 = expectOk(await runCli(["ping", "-i", inv]), "ping");
      const x = expectOk(await runCli(["apply", "-i", inv]), "fresh apply");
      floor.push(f1, f2);
      noop.push(a);
      diff.push(d);
      fresh.push(x);
      ratios.noop.push(a.wallMs / f1.wallMs);
      ratios.diff.push(d.wallMs / f1.wallMs);
      ratios.fresh.push(x.wallMs / f2.wallMs);
    }
    fresh.push(first);

    const fl = summarise("floor: meshctl ping (connect + true)", floor);
    const rows = [
      { ...fl, target: "", ratio: 1 },
      { ...summarise("fresh apply", fresh), target: "≤ 2.0×", ratio: median(ratios.fresh) },
      { ...summarise("no-op apply", noop), target: "≤ 1.5×", ratio: median(ratios.noop) },
      { ...summarise("diff", diff), target: "≤ 1.5×", ratio: median(ratios.diff) },
    ];
    log("");
    log(`meshctl bench — ${n} nodes, ${clusters} clusters, ${REPEAT} interleaved rounds, medians`);
    log("(× floor: median over rounds of the verb's time over the floor measured just before it)");
    log(
      `in-process SSH floor (no process start-up): ${(median(inproc) / 1000).toFixed(2)} s (min ${(Math.min(...inproc) / 1000).toFixed(2)} s)`,
    );
    log("");
    log(
      `${"what".padEnd(38)} ${"wall".padStart(7)} ${"min".padStart(7)} ${"× floor".padStart(8)} ${"target".padStart(7)} ${"peak RSS".padStart(9)} ${"CPU".padStart(7)}`,
    );
    for (const r of rows) {
      const ok = r.target === "" ? "" : r.ratio <= Number(r.target.replace(/[^\d.]/g, "")) ? " ✔" : " ✘";
      log(
        `${r.name.padEnd(38)} ${(r.wallMs / 1000).toFixed(2).padStart(6)}s ${(r.minMs / 1000).toFixed(2).padStart(6)}s ${r.ratio.toFixed(2).padStart(7)}× ${r.target.padStart(7)} ${r.maxRssMb.toFixed(0).padStart(6)} MB ${(r.cpuMs / 1000).toFixed(2).padStart(6)}s${ok}`,
      );
    }
    const mem = Math.max(...rows.map((r) => r.maxRssMb));
    log("");
    log(`controller peak memory: ${mem.toFixed(0)} MB (target < 200 MB) ${mem < 200 ? "✔" : "✘"}`);
  } finally {
    if (up) await labDown({ dir });
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  process.exitCode = await reportError(e);
}
