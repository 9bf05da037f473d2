/** The bench's tables: each verb against the floor measured just before it, node-side costs, busy vs bare. */

import type { LabFigures, Measured, Verb } from "./lab-bench.js";
import type { Execs } from "./node-side.js";
import { describe, iproute2, total } from "./node-side.js";
import { profileLines } from "./profile.js";

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const ROWS: { verb: Verb; name: string; wall?: number }[] = [
  { verb: "fresh", name: "fresh apply (commit-confirmed on)" },
  { verb: "freshNoConfirm", name: "fresh apply --confirm-timeout 0", wall: 1.6 },
  { verb: "noop", name: "no-op apply", wall: 1.25 },
  { verb: "diff", name: "diff (in sync)", wall: 1.25 },
];
const CPU_TARGET = 2;

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (r: number) => `${r.toFixed(2)}×`;
const mark = (v: number, target: number) => (v <= target ? "✔" : "✘");
const cols = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(" ");

export interface VerbSummary {
  wallMs: number;
  wallRatio: number;
  cpuMs: number;
  cpuRatio: number;
  logins: number;
  probes: number;
  bytesPerNode: number;
  retried: number;
  rssMb: number;
  nodesCpuMs: number;
  nodesCpuRatio: number;
}

export function summarise(runs: { run: Measured; floor: Measured }[]): VerbSummary {
  return {
    wallMs: median(runs.map((r) => r.run.sample.wallMs)),
    wallRatio: median(runs.map((r) => r.run.sample.wallMs / r.floor.sample.wallMs)),
    cpuMs: median(runs.map((r) => r.run.sample.cpuMs)),
    cpuRatio: median(runs.map((r) => r.run.sample.cpuMs / r.floor.sample.cpuMs)),
    logins: median(runs.map((r) => r.run.sshd.logins)),
    probes: median(runs.map((r) => r.run.sshd.preauth)),
    bytesPerNode: median(runs.map((r) => r.run.bytesPerNode)),
    retried: runs.reduce((a, r) => a + r.run.sample.retried, 0),
    rssMb: Math.max(...runs.map((r) => r.run.sample.maxRssMb)),
    nodesCpuMs: median(runs.map((r) => r.run.nodesCpuMs)),
    nodesCpuRatio: median(runs.map((r) => r.run.nodesCpuMs / r.floor.nodesCpuMs)),
  };
}

const W = [34, 8, 8, 11, 8, 10, 10, 8, 7, 7, 10, 8];

export function labTable(f: LabFigures, log: (s: string) => void): void {
  const floors = f.floors.map((m) => ({ run: m, floor: m }));
  const fl = summarise(floors);
  log(
    `${f.kind} lab, ${f.nodes} nodes: each verb over the floor process run just before it (medians of ${f.verbs.diff.length} rounds)`,
  );
  log(
    cols(
      [
        "",
        "wall",
        "× floor",
        "target",
        "CPU",
        "× floor",
        "nodes' CPU",
        "× floor",
        "logins",
        "probes",
        "bytes/node",
        "peak RSS",
      ],
      W,
    ),
  );
  log(
    cols(
      [
        "floor: ssh2 connect + true, 1 process",
        sec(fl.wallMs),
        "1.00×",
        "",
        sec(fl.cpuMs),
        "1.00×",
        sec(fl.nodesCpuMs),
        "1.00×",
        String(fl.logins),
        String(fl.probes),
        kb(fl.bytesPerNode),
        `${fl.rssMb.toFixed(0)} MB`,
      ],
      W,
    ),
  );
  for (const r of ROWS) {
    const s = summarise(f.verbs[r.verb]);
    log(
      cols(
        [
          r.name,
          sec(s.wallMs),
          x(s.wallRatio),
          r.wall === undefined ? "see below" : `≤ ${r.wall} ${mark(s.wallRatio, r.wall)}`,
          sec(s.cpuMs),
          `${x(s.cpuRatio)} ${mark(s.cpuRatio, CPU_TARGET)}`,
          sec(s.nodesCpuMs),
          x(s.nodesCpuRatio),
          String(s.logins),
          String(s.probes),
          kb(s.bytesPerNode),
          `${s.rssMb.toFixed(0)} MB`,
        ],
        W,
      ),
    );
  }
  const on = summarise(f.verbs.fresh);
  const off = summarise(f.verbs.freshNoConfirm);
  log(
    `commit-confirmed (arm, TCP probe, confirm) costs by design: ${x(on.wallRatio - off.wallRatio)} floor (${sec(on.wallMs - off.wallMs)}) on a fresh apply`,
  );
  const retried = ROWS.reduce((a, r) => a + summarise(f.verbs[r.verb]).retried, 0) + fl.retried;
  log(`runs retried after exit 4 (unreachable under load): ${retried}`);
  nodeSide(f, log);
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

function minus(a: Execs, b: Execs): Execs {
  const out: Execs = new Map();
  for (const [k, v] of a) if (v - (b.get(k) ?? 0) !== 0) out.set(k, v - (b.get(k) ?? 0));
  return out;
}

function nodeSide(f: LabFigures, log: (s: string) => void): void {
  if (!f.execs.traced) {
    log("node-side processes: not counted (no sshd pid in lab.json)");
    return;
  }
  const facts = f.execs.facts;
  const change = minus(f.execs.fresh, facts);
  log(`node-side programs on ${f.execs.traced} (strace -f -e execve on its sshd; sshd itself not counted):`);
  log(
    `  facts (diff): ${total(facts)} execs, ${iproute2(facts)} ip/bridge (target ≤ 3 ${mark(iproute2(facts), 3)}) — ${describe(facts)}`,
  );
  log(
    `  fresh change set + read-back (fresh apply − facts): ${total(change)} execs, ${iproute2(change)} ip/bridge (target ≤ 4 ${mark(iproute2(change), 4)}) — ${describe(change)}`,
  );
  log(`  facts output per node (converged): ${kb(f.factsBytes)}`);
  for (const [verb, g] of Object.entries(f.profiles)) {
    if (!g) continue;
    log(
      `controller CPU of one ${verb === "diff" ? "diff" : "fresh apply"} (node --cpu-prof, self time, idle left out):`,
    );
    for (const l of profileLines(g, 6)) log(`  ${l}`);
  }
}

export function busyVsBare(busy: LabFigures, bare: LabFigures, log: (s: string) => void): void {
  const b = summarise(busy.verbs.diff);
  const a = summarise(bare.verbs.diff);
  const ratio = b.wallRatio / a.wallRatio;
  const facts = busy.factsBytes / bare.factsBytes;
  log("busy vs bare (each against its own floor, so the two labs' minutes compare):");
  log(
    `  no-op diff: busy ${x(b.wallRatio)} floor, bare ${x(a.wallRatio)} floor → ${x(ratio)} (target ≤ 1.1× ${mark(ratio, 1.1)}); wall ${sec(b.wallMs)} vs ${sec(a.wallMs)}, diff bytes/node ${kb(b.bytesPerNode)} vs ${kb(a.bytesPerNode)}`,
  );
  log(
    `  facts bytes per node: busy ${kb(busy.factsBytes)}, bare ${kb(bare.factsBytes)} → ${x(facts)} (target ≤ 1.5× ${mark(facts, 1.5)})`,
  );
}
