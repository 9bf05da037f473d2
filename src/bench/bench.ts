/**
 * `npm run bench` (root): the cost of meshctl against the SSH floor, on a busy (Calico-like) and a bare
 * 3 x 20 lab, in one run: each verb's wall time and the controller's CPU as ratios to a floor process
 * (ssh2 connect + `true` to every node) run just before it; SSH logins, probes and bytes per node per
 * run; node-side programs per node (strace); busy vs bare. `--scale N`: no lab, `plan` of a generated
 * N-node inventory (time, CPU, memory, and where the CPU goes). Bounded (`--timeout` minutes for the whole
 * bench, a limit on each child); the lab is always taken down, also on Ctrl-C / SIGTERM.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { reportError } from "../cli/report-error.js";
import { labDown, labUp } from "../lab/index.js";
import { running } from "./child.js";
import { benchLab, type LabFigures, loadavg } from "./lab-bench.js";
import { benchScale } from "./scale.js";
import { busyVsBare, labTable } from "./table.js";

const { values: a } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    retries: { type: "string", default: "5" },
    clusters: { type: "string", default: process.env.BENCH_CLUSTERS ?? "3" },
    nodes: { type: "string", default: process.env.BENCH_NODES ?? "20" },
    labs: { type: "string", default: "busy,bare" },
    timeout: { type: "string", default: "30" },
    scale: { type: "string" },
  },
});

const log = (s: string) => process.stdout.write(`${s}\n`);
let labDir: string | undefined;

async function takeDown(): Promise<void> {
  for (const c of running) c.kill("SIGKILL");
  const dir = labDir;
  labDir = undefined;
  if (dir) {
    log(`taking the lab down (${dir})`);
    await labDown({ dir });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oneLab(kind: "busy" | "bare"): Promise<LabFigures> {
  const dir = mkdtempSync(join(tmpdir(), `meshctl-bench-${kind}-`));
  labDir = dir;
  const t0 = performance.now();
  const info = await labUp({
    dir,
    clusters: Number(a.clusters),
    nodesPerCluster: Number(a.nodes),
    kubeApi: true,
    ...(kind === "bare" ? { busy: false as const } : {}),
  });
  log(
    `${kind} lab: ${info.nodes.length} nodes up in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${loadavg()})`,
  );
  try {
    return await benchLab(info, kind, {
      rounds: Number(a.rounds),
      retries: Number(a.retries),
      timeoutMs: 180_000,
      log,
    });
  } finally {
    await takeDown();
  }
}

async function main(): Promise<void> {
  if (a.scale !== undefined) return benchScale(Number(a.scale), log);
  const kinds = (a.labs as string).split(",") as ("busy" | "bare")[];
  const figures: LabFigures[] = [];
  const started = new Date();
  log(`meshctl bench ${started.toISOString()} — load ${loadavg()}`);
  for (const k of kinds) figures.push(await oneLab(k));
  log("");
  log(`meshctl bench, ${started.toISOString()}; load average at the end: ${loadavg()} (2 cores shared)`);
  for (const f of figures) {
    log("");
    labTable(f, log);
  }
  const busy = figures.find((f) => f.kind === "busy");
  const bare = figures.find((f) => f.kind === "bare");
  if (busy && bare) {
    log("");
    busyVsBare(busy, bare, log);
  }
}

const limit = setTimeout(() => {
  process.stderr.write(`bench: over its ${a.timeout} min limit; stopping\n`);
  void takeDown().finally(() => process.exit(1));
}, Number(a.timeout) * 60_000);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    process.stderr.write(`bench: ${sig}; stopping\n`);
    void takeDown().finally(() => process.exit(130));
  });
}
try {
  await main();
} catch (e) {
  await takeDown().catch(() => undefined);
  process.exitCode = await reportError(e);
} finally {
  clearTimeout(limit);
}
