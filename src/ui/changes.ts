/**
 * The per-host part of a run's report, sized for a fleet. `apply`/`teardown`: one line per host with its
 * counts by kind, and every change only for the hosts that need attention (or with `--diff`). `diff`:
 * every change, but what is the same on several nodes of a cluster is said once (`--expand`: every line).
 */
import chalk from "chalk";
import type { HostResult, RunResult } from "../exec/results.js";
import type { ChangeBase } from "../plan/change.js";
import { describeChange } from "../plan/render.js";
import { colourLine, hostLabel, needsAttention } from "./recap.js";

export interface ChangesOptions {
  /** apply/teardown: every change of every host, as `diff` shows them. */
  full?: boolean;
  /** diff: one block per host, nothing collapsed. */
  expand?: boolean;
}

const KIND_OF: Record<ChangeBase["resource"], string> = {
  device: "device",
  address: "device",
  mac: "device",
  mtu: "device",
  "link-state": "device",
  fdb: "fdb",
  neighbour: "neighbour",
  route: "route",
  ippool: "pool",
  shell: "site step",
  persist: "boot file",
};
const KIND_ORDER = ["device", "fdb", "neighbour", "route", "boot file", "pool", "site step"];

/** `device 1, fdb 40, neighbour 40, route 78`: a change list counted by kind. */
export function countByKind(changes: readonly ChangeBase[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(KIND_OF[c.resource], (counts.get(KIND_OF[c.resource]) ?? 0) + 1);
  return KIND_ORDER.filter((k) => counts.has(k))
    .map((k) => `${k} ${counts.get(k)}`)
    .join(", ");
}

function where(n: HostResult): string {
  return n.kind === "cluster" ? `kubectl on ${n.address}` : `${n.cluster}, ${n.address}`;
}

function verbOf(r: RunResult, n: HostResult): string {
  if (n.status === "unreachable") return "unreachable";
  if (r.mode === "diff") return `${n.changes.length} would change`;
  if (n.status === "rolled-back") return `${n.changes.length} planned, rolled back`;
  return n.status === "changed" ? "changed" : `${n.changes.length} planned`;
}

/** Every change of one host, with its error and rollback. */
function hostBlock(r: RunResult, n: HostResult): string[] {
  const out = [chalk.bold(`${hostLabel(n)} (${where(n)}): ${verbOf(r, n)}`)];
  for (const c of n.changes) out.push(`  ${colourLine(describeChange(c))}`);
  out.push(...problemLines(n));
  return out;
}

function problemLines(n: HostResult): string[] {
  const out: string[] = [];
  if (n.error) out.push(`  ${chalk.red(`error: ${n.error}`)}`);
  if (n.rollback)
    out.push(
      `  ${n.rollback.restored ? chalk.cyan("rollback:") : chalk.red("rollback:")} ${n.rollback.detail}`,
    );
  return out;
}

/** The report as one text (its lines joined by newlines). */
export function renderChanges(r: RunResult, o: ChangesOptions = {}): string {
  return [...changeBlocks(r, o)].flat().join("\n");
}

/**
 * The report's lines a host (or a cluster's shared lines) at a time, so that it can be written as it is
 * made (`diff --expand` of 1000 fresh nodes is 2.75 million lines, 190 MB).
 */
export function* changeBlocks(r: RunResult, o: ChangesOptions = {}): Generator<string[]> {
  const shown = r.hosts.filter((n) => n.changes.length > 0 || n.error);
  if (r.mode === "diff" && !o.expand) {
    yield* collapsed(r, shown);
    return;
  }
  for (const n of shown) {
    if (r.mode === "diff" || o.full || needsAttention(n)) {
      yield hostBlock(r, n);
      continue;
    }
    const counts = countByKind(n.status === "changed" ? n.applied : n.changes);
    yield [`${chalk.bold(hostLabel(n))} (${where(n)}): ${verbOf(r, n)} — ${counts}`];
  }
}

/**
 * diff, collapsed: per cluster, a change line is said once when every one of its changed nodes has it —
 * except the node the line is about (`(c1-node2)`: a node has no entry for itself). Then each node's own
 * lines. Hosts that need attention and clusters' pools are printed in full.
 */
function* collapsed(r: RunResult, hosts: readonly HostResult[]): Generator<string[]> {
  const lines = new Map(hosts.map((n) => [n, n.changes.map(describeChange)]));
  for (const cluster of [...new Set(hosts.map((n) => n.cluster))]) {
    const group = hosts.filter((n) => n.cluster === cluster && n.kind === "node" && !needsAttention(n));
    const common = group.length < 2 ? { lines: [], selfSkipped: false } : sharedLines(group, lines);
    if (common.lines.length > 0) {
      const skip = common.selfSkipped ? " (each leaves out the entries for itself)" : "";
      yield [
        chalk.bold(
          `the same ${common.lines.length} change(s) on the ${group.length} nodes of ${cluster}${skip}:`,
        ),
        ...common.lines.map((l) => `  ${colourLine(l)}`),
      ];
    }
    const commonSet = new Set(common.lines);
    const inGroup = new Set(group);
    const nothingElse: string[] = [];
    for (const n of hosts.filter((h) => h.cluster === cluster)) {
      if (!inGroup.has(n)) {
        yield hostBlock(r, n);
        continue;
      }
      const own = (lines.get(n) ?? []).filter((l) => !commonSet.has(l));
      if (own.length === 0) {
        nothingElse.push(hostLabel(n));
        continue;
      }
      const sharedHere = n.changes.length - own.length;
      const tail = sharedHere > 0 ? ` (${sharedHere} shared above, ${own.length} of its own)` : "";
      yield [
        chalk.bold(`${hostLabel(n)} (${where(n)}): ${verbOf(r, n)}${tail}`),
        ...own.map((l) => `  ${colourLine(l)}`),
      ];
    }
    if (nothingElse.length > 0) yield [chalk.bold(`only the shared ones on: ${nothingElse.join(", ")}`)];
  }
}

/** The names a line names: each `(name)` in it (a node's name holds no parenthesis). */
function namesIn(line: string): string[] {
  const out: string[] = [];
  for (let i = line.indexOf("("); i !== -1; i = line.indexOf("(", i + 1)) {
    const end = line.indexOf(")", i + 1);
    if (end === -1) break;
    out.push(line.slice(i + 1, end));
  }
  return out;
}

/**
 * The lines every node of the group has (but the node a line names), in order of first appearance.
 * Counted once per line, not checked against every node of the group (1000 fresh nodes: 2.75 million
 * lines, 4 thousand distinct): how many nodes have each line, and, for the nodes a line names, whether
 * they have it themselves.
 */
export function sharedLines(
  group: readonly HostResult[],
  lines: ReadonlyMap<HostResult, string[]>,
): { lines: string[]; selfSkipped: boolean } {
  const byName = new Map<string, HostResult[]>();
  for (const g of group) byName.set(g.name, [...(byName.get(g.name) ?? []), g]);
  const named = (l: string): HostResult[] => [
    ...new Set(namesIn(l).flatMap((name) => byName.get(name) ?? [])),
  ];
  // Per line: how many nodes of the group have it; per node, the lines it has that name it.
  const holders = new Map<string, { count: number; last: HostResult }>();
  const naming = new Map<HostResult, Set<string>>();
  for (const n of group) {
    const self = `(${n.name})`;
    for (const l of lines.get(n) ?? []) {
      const h = holders.get(l);
      if (h === undefined) holders.set(l, { count: 1, last: n });
      else if (h.last !== n) {
        h.count++;
        h.last = n;
      }
      if (l.includes(self)) naming.set(n, (naming.get(n) ?? new Set()).add(l));
    }
  }
  const result: string[] = [];
  let selfSkipped = false;
  for (const [l, h] of holders) {
    const skip = named(l);
    const expected = group.length - skip.length;
    const selfHolders = skip.filter((g) => naming.get(g)?.has(l)).length;
    if (expected < 2 || h.count - selfHolders !== expected) continue;
    if (expected < group.length) selfSkipped = true;
    result.push(l);
  }
  return { lines: result, selfSkipped };
}
