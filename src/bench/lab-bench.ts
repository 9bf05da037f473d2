/**
 * The bench on one lab (busy or bare): interleaved rounds, each verb timed right after a floor process,
 * so every ratio compares two runs a few seconds apart on this shared machine. Per round:
 *   teardown (not timed) · floor → fresh apply · teardown · floor → fresh apply --confirm-timeout 0 ·
 *   floor → no-op apply · floor → diff
 * then one counting pass with strace on one node's sshd: diff (facts), teardown, fresh apply. Each timed
 * run also reports the CPU all the nodes spent on it (node-side.ts: sshd, shells and programs), against the
 * floor's: on this lab the nodes share the controller's cores, so wall time is roughly the sum over two.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { factsParamsOf } from "../exec/facts-params.js";
import { createSshConnector } from "../exec/ssh/index.js";
import { factsScript } from "../facts/script.js";
import { loadInventory } from "../inventory/load.js";
import type { LabInfo } from "../lab/index.js";
import { readState } from "../lab/state.js";
import { buildModel } from "../model/build.js";
import { FLOOR, MESHCTL, MESHCTL_MODULES, type RunOptions, type Sample, timed } from "./child.js";
import {
  bridgeBytes,
  diffCounts,
  type Execs,
  reapedCpuMs,
  type SshdCounts,
  sshdCounts,
  traceExecs,
} from "./node-side.js";
import { selfTimeByGroup } from "./profile.js";

export type Verb = "fresh" | "freshNoConfirm" | "noop" | "diff";

export interface Measured {
  sample: Sample;
  /** Bytes across the lab bridge per node. */
  bytesPerNode: number;
  sshd: SshdCounts;
  /** CPU the nodes spent (all of them, ms): sshd, shells and programs of the run's sessions (node-side.ts). */
  nodesCpuMs: number;
}

export interface LabFigures {
  kind: "busy" | "bare";
  nodes: number;
  floors: Measured[];
  verbs: Record<Verb, { run: Measured; floor: Measured }[]>;
  /** Average facts output per node (bytes of the facts script's stdout). */
  factsBytes: number;
  execs: { facts: Execs; fresh: Execs; traced: string };
  /** The controller's CPU profile of one diff and one fresh apply (counting pass), by where it is spent. */
  profiles: { diff?: Map<string, number>; fresh?: Map<string, number> };
}

function profileGroups(dir: string): Map<string, number> | undefined {
  try {
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    return file ? selfTimeByGroup(JSON.parse(readFileSync(join(dir, file), "utf8"))) : undefined;
  } catch {
    return undefined;
  }
}

export interface LabBenchOptions {
  rounds: number;
  retries: number;
  timeoutMs: number;
  log: (s: string) => void;
}

const VERB_ARGS: Record<Verb, { args: string[]; ok: number[] }> = {
  fresh: { args: ["apply"], ok: [0] },
  freshNoConfirm: { args: ["apply", "--confirm-timeout", "0"], ok: [0] },
  noop: { args: ["apply"], ok: [0] },
  diff: { args: ["diff"], ok: [0] },
};

export async function benchLab(
  info: LabInfo,
  kind: "busy" | "bare",
  o: LabBenchOptions,
): Promise<LabFigures> {
  const inv = info.inventory;
  const names = info.nodes.map((n) => n.name);
  const n = names.length;
  const run: RunOptions = { timeoutMs: o.timeoutMs, attempts: o.retries + 1 };
  // The default output, as a user runs it (in a pipe: a line per host on stderr, the recap on stdout).
  const common = ["-i", inv, "--retries", String(o.retries)];
  const listeners = (readState(info.dir)?.processes ?? []).filter((p) => p.role === "sshd").map((p) => p.pid);

  const measure = async (
    script: string,
    args: string[],
    ok = [0],
    nodeArgs: string[] = [],
  ): Promise<Measured> => {
    const b0 = bridgeBytes(info.bridge);
    const s0 = sshdCounts(info.dir, names);
    const c0 = reapedCpuMs(listeners);
    const sample = await timed(script, args, { ...run, ok, nodeArgs });
    await sleep(300); // the sessions' sshd end and are reaped just after the controller exits
    return {
      sample,
      bytesPerNode: (bridgeBytes(info.bridge) - b0) / n,
      sshd: diffCounts(s0, sshdCounts(info.dir, names)),
      nodesCpuMs: reapedCpuMs(listeners) - c0,
    };
  };
  const floor = () => measure(FLOOR, [inv, String(o.retries)]);
  const verb = (v: Verb, nodeArgs: string[] = []) =>
    measure(
      nodeArgs.length ? MESHCTL_MODULES : MESHCTL,
      [...VERB_ARGS[v].args, ...common],
      VERB_ARGS[v].ok,
      nodeArgs,
    );
  const teardown = () => timed(MESHCTL, ["teardown", ...common], run);

  const fig: LabFigures = {
    kind,
    nodes: n,
    floors: [],
    verbs: { fresh: [], freshNoConfirm: [], noop: [], diff: [] },
    factsBytes: 0,
    execs: { facts: new Map(), fresh: new Map(), traced: "" },
    profiles: {},
  };
  const pair = async (v: Verb) => {
    const f = await floor();
    const r = await verb(v);
    fig.floors.push(f);
    fig.verbs[v].push({ run: r, floor: f });
    o.log(
      `  ${kind} ${v.padEnd(14)} ${(r.sample.wallMs / 1000).toFixed(2)} s, floor ${(f.sample.wallMs / 1000).toFixed(2)} s${r.sample.retried ? ` (${r.sample.retried} retried)` : ""}`,
    );
  };
  for (let i = 0; i < o.rounds; i++) {
    o.log(`  round ${i + 1}/${o.rounds} (load ${loadavg()})`);
    await teardown();
    await pair("fresh");
    await teardown();
    await pair("freshNoConfirm");
    await pair("noop");
    await pair("diff");
  }

  fig.factsBytes = await factsBytes(inv); // the converged mesh (the last round ended in sync)
  // Counting pass: strace on one node's sshd (not timed: ptrace slows that node).
  const node = info.nodes.find((x) => !x.control) ?? (info.nodes[0] as LabInfo["nodes"][number]);
  const pid = readState(info.dir)?.processes.find((p) => p.role === "sshd" && p.owner === node.name)?.pid;
  if (pid !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), "meshctl-bench-strace-"));
    try {
      const prof = (name: string) => ["--cpu-prof", "--cpu-prof-dir", join(dir, `prof-${name}`)];
      let stop = await traceExecs(pid, join(dir, "diff"));
      await verb("diff", prof("diff"));
      fig.execs.facts = await stop();
      await teardown();
      stop = await traceExecs(pid, join(dir, "fresh"));
      await verb("fresh", prof("fresh"));
      fig.execs.fresh = await stop();
      fig.profiles.diff = profileGroups(join(dir, "prof-diff"));
      fig.profiles.fresh = profileGroups(join(dir, "prof-fresh"));
      fig.execs.traced = node.name;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return fig;
}

/** Average bytes the facts script prints per node, read over SSH from every node of the lab. */
async function factsBytes(inventory: string): Promise<number> {
  const model = buildModel(await loadInventory(inventory));
  const connector = createSshConnector({ forks: 100, retries: 5 });
  try {
    const sizes = await Promise.all(
      model.nodes.map(async (node) => {
        const conn = await connector.connect(node.name, node.ssh);
        try {
          const r = await conn.exec(factsScript(factsParamsOf(node)), { check: true });
          return Buffer.byteLength(r.stdout);
        } finally {
          conn.close();
        }
      }),
    );
    return sizes.reduce((a, b) => a + b, 0) / sizes.length;
  } finally {
    connector.closeAll();
  }
}

export const loadavg = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
