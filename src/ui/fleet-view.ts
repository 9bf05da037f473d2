/**
 * The live view of a run on a terminal, as pure data: one line per cluster with a bar and counts, and under
 * it only the nodes that are failing or slow. `renderFleet` never returns more lines than the terminal has
 * rows (minus one for the cursor) nor a line wider than its columns, whatever the fleet's size.
 */
import type { HostResult, Step } from "../exec/results.js";

export interface FleetParty {
  id: string;
  name: string;
  cluster: string;
}

interface PartyState extends FleetParty {
  step?: Step;
  text?: string;
  /** When the current step started (ms). */
  since: number;
  result?: HostResult;
}

export interface FleetState {
  parties: PartyState[];
  byId: Map<string, PartyState>;
  clusters: string[];
}

export interface ClusterCounts {
  total: number;
  done: number;
  connected: number;
  planned: number;
  applied: number;
  failed: number;
  unreachable: number;
}

const STEP_RANK: Record<Step, number> = { connect: 0, facts: 1, plan: 2, apply: 3, rollback: 3 };

export function newFleet(parties: readonly FleetParty[], now: number): FleetState {
  const states = parties.map((p) => ({ ...p, since: now }));
  return {
    parties: states,
    byId: new Map(states.map((s) => [s.id, s])),
    clusters: [...new Set(parties.map((p) => p.cluster))],
  };
}

export function onStage(f: FleetState, id: string, step: Step, text: string, now: number): void {
  const p = f.byId.get(id);
  if (!p || p.result) return;
  if (p.step !== step) p.since = now;
  p.step = step;
  p.text = text;
}

export function onDone(f: FleetState, id: string, result: HostResult, now: number): void {
  const p = f.byId.get(id);
  if (!p) return;
  p.result = result;
  p.since = now;
}

const isBad = (r: HostResult | undefined): boolean =>
  r !== undefined && (r.status === "failed" || r.status === "rolled-back" || r.status === "unreachable");

export function countCluster(f: FleetState, cluster: string): ClusterCounts {
  const c: ClusterCounts = {
    total: 0,
    done: 0,
    connected: 0,
    planned: 0,
    applied: 0,
    failed: 0,
    unreachable: 0,
  };
  for (const p of f.parties) {
    if (p.cluster !== cluster) continue;
    c.total++;
    const r = p.result;
    if (r) {
      c.done++;
      if (r.status === "unreachable") {
        c.unreachable++;
        continue;
      }
      if (r.status === "failed" || r.status === "rolled-back") c.failed++;
      c.connected++;
      if (r.status !== "failed" || r.changes.length > 0) c.planned++;
      if (r.status === "changed") c.applied++;
      continue;
    }
    const rank = p.step === undefined ? -1 : STEP_RANK[p.step];
    if (rank >= 1) c.connected++;
    if (rank >= 2) c.planned++;
  }
  return c;
}

/** A node worth a line under its cluster: failed/unreachable, or in one step for longer than `slowMs`. */
function noteworthy(f: FleetState, cluster: string, now: number, slowMs: number): string[] {
  const bad: string[] = [];
  const slow: string[] = [];
  for (const p of f.parties) {
    if (p.cluster !== cluster) continue;
    if (isBad(p.result)) {
      const r = p.result as HostResult;
      const error = r.error?.startsWith(`${p.name}: `) ? r.error.slice(p.name.length + 2) : r.error;
      bad.push(`✗ ${p.name}: ${r.status}${error ? `: ${oneLine(error)}` : ""}`);
    } else if (!p.result && now - p.since >= slowMs) {
      slow.push(`… ${p.name}: ${p.text ?? "waiting"} (${Math.floor((now - p.since) / 1000)}s)`);
    }
  }
  return [...bad, ...slow];
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, " ");

function bar(done: number, total: number, width: number): string {
  const full = total === 0 ? width : Math.round((done / total) * width);
  return `${"█".repeat(full)}${"░".repeat(width - full)}`;
}

/**
 * `c1 [████░░░░] 12/20 · 1 failed · 20 connected · 18 planned · 6 applied`: problems first, zero problem
 * counts left out, and short labels when the long ones do not fit.
 */
function clusterLine(
  name: string,
  c: ClusterCounts,
  mode: "apply" | "diff" | "teardown",
  cols: number,
): string {
  const done = mode === "teardown" ? "removed" : "applied";
  const counts = (short: boolean) =>
    [
      c.failed > 0 ? `${c.failed} ${short ? "fail" : "failed"}` : "",
      c.unreachable > 0 ? `${c.unreachable} ${short ? "unreach" : "unreachable"}` : "",
      `${c.connected} ${short ? "conn" : "connected"}`,
      `${c.planned} ${short ? "plan" : "planned"}`,
      mode === "diff" ? "" : `${c.applied} ${short ? done.slice(0, 4) : done}`,
    ]
      .filter(Boolean)
      .join(" · ");
  const line = (barWidth: number, short: boolean) =>
    `${name} [${bar(c.done, c.total, barWidth)}] ${c.done}/${c.total} · ${counts(short)}`;
  const fixed = line(0, false).length;
  if (fixed + 5 < cols) return line(Math.min(20, cols - 1 - fixed), false);
  return line(Math.max(5, Math.min(20, cols - 1 - line(0, true).length)), true);
}

export interface ViewSize {
  rows: number;
  cols: number;
}

/**
 * The view's lines. Budget: rows − 1. Cluster lines first (clusters with failing or slow nodes before the
 * others when not all fit, then "… K more clusters"), node lines shared out round-robin between clusters,
 * with "… and K more" where a cluster's list is cut.
 */
export function renderFleet(
  f: FleetState,
  mode: "apply" | "diff" | "teardown",
  size: ViewSize,
  now: number,
  slowMs = 5000,
): string[] {
  const budget = Math.max(1, size.rows - 1);
  const cols = Math.max(20, size.cols);
  const notes = new Map(f.clusters.map((c) => [c, noteworthy(f, c, now, slowMs)]));
  let shown = f.clusters;
  let more = "";
  if (shown.length > budget) {
    const ordered = [...f.clusters].sort(
      (a, b) => Number((notes.get(b)?.length ?? 0) > 0) - Number((notes.get(a)?.length ?? 0) > 0),
    );
    // Keep room for a line under each cluster with problems (up to half the screen).
    const troubled = ordered.filter((c) => (notes.get(c)?.length ?? 0) > 0).length;
    const keep = budget - 1 - Math.min(troubled, Math.floor((budget - 1) / 2));
    shown = ordered.slice(0, keep);
    const rest = ordered.slice(keep);
    const restNodes = rest.reduce((s, c) => s + countCluster(f, c).total, 0);
    more = `… ${rest.length} more clusters (${restNodes} hosts)`;
    shown = f.clusters.filter((c) => shown.includes(c));
  }
  const allot = new Map(shown.map((c) => [c, 0]));
  let spare = budget - shown.length - (more ? 1 : 0);
  for (let progress = true; spare > 0 && progress; ) {
    progress = false;
    for (const c of shown) {
      if (spare === 0) break;
      if ((allot.get(c) ?? 0) < (notes.get(c)?.length ?? 0)) {
        allot.set(c, (allot.get(c) ?? 0) + 1);
        spare--;
        progress = true;
      }
    }
  }
  const lines: string[] = [];
  for (const c of shown) {
    lines.push(clusterLine(c, countCluster(f, c), mode, cols));
    const list = notes.get(c) ?? [];
    const n = allot.get(c) ?? 0;
    const cut = list.length > n;
    const keep = cut ? list.slice(0, Math.max(0, n - 1)) : list;
    for (const l of keep) lines.push(`  ${l}`);
    if (cut && n > 0) lines.push(`  … and ${list.length - keep.length} more`);
  }
  if (more) lines.push(more);
  return lines.map((l) => truncate(l, cols - 1));
}

export function truncate(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}
