/** The end-of-run report: per-node change lines and the Ansible-style recap, as text or JSON. Pure. */
import chalk from "chalk";
import type { HostResult, RunResult } from "../exec/results.js";
import { changeToJson, describeChange } from "../plan/render.js";

export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

export function countsOf(n: HostResult): HostCounts {
  return {
    ok: n.okCount,
    changed: n.applied.length,
    failed: n.status === "failed" || n.status === "rolled-back" ? 1 : 0,
    unreachable: n.status === "unreachable" ? 1 : 0,
  };
}

/** The recap name of a host: a node's name, or `<cluster>/ippools`. */
export const hostLabel = (n: HostResult): string => (n.kind === "cluster" ? `${n.cluster}/ippools` : n.name);

export function runToJson(r: RunResult): unknown {
  const host = (n: HostResult) => ({
    name: n.name,
    cluster: n.cluster,
    host: n.address,
    status: n.status,
    ...countsOf(n),
    commandsSent: n.commandsSent,
    changes: n.changes.map(changeToJson),
    ...(n.error ? { error: n.error } : {}),
    ...(n.rollback ? { rollback: n.rollback } : {}),
  });
  return {
    mode: r.mode,
    inSync: r.hosts.every((n) => n.changes.length === 0 && !n.error),
    nodes: r.hosts.filter((n) => n.kind === "node").map(host),
    clusters: r.hosts.filter((n) => n.kind === "cluster").map(host),
  };
}

export function colourLine(line: string): string {
  if (line.startsWith("+")) return chalk.green(line);
  if (line.startsWith("-")) return chalk.red(line);
  if (line.startsWith("!")) return chalk.magenta(line);
  return chalk.yellow(line);
}

/** A host that needs a person's attention: it failed, was rolled back, was unreachable or has an error. */
export const needsAttention = (n: HostResult): boolean =>
  n.status === "failed" || n.status === "rolled-back" || n.status === "unreachable" || n.error !== undefined;

/**
 * The recap: in full only the hosts that are not ok, then totals per cluster and for the run (Ansible's
 * counts). `--output json` keeps every host.
 */
export function renderRecap(r: RunResult): string {
  const bad = r.hosts.filter(needsAttention);
  const clusters = [...new Set(r.hosts.map((n) => n.cluster))];
  const rows: { label: string; c: HostCounts; colour: (s: string) => string }[] = [];
  for (const n of bad) rows.push({ label: hostLabel(n), c: countsOf(n), colour: chalk.red });
  const totals = (hosts: readonly HostResult[]) => hosts.map(countsOf).reduce(addCounts, zeroCounts());
  for (const c of clusters) {
    const hosts = r.hosts.filter((n) => n.cluster === c);
    const nodes = hosts.filter((n) => n.kind === "node").length;
    const label = `${c} (${nodes} node${nodes === 1 ? "" : "s"}${hosts.length > nodes ? " + ippools" : ""})`;
    rows.push({ label, c: totals(hosts), colour: colourOfCounts(totals(hosts)) });
  }
  rows.push({ label: `total (${r.hosts.length} hosts)`, c: totals(r.hosts), colour: chalk.bold });
  const width = Math.max(...rows.map((x) => x.label.length), 4);
  const lines = [chalk.bold("RECAP")];
  for (const { label, c, colour } of rows) {
    lines.push(
      `${colour(label.padEnd(width))} : ok=${String(c.ok).padEnd(5)} changed=${String(c.changed).padEnd(5)} failed=${String(c.failed).padEnd(3)} unreachable=${c.unreachable}`,
    );
  }
  if (r.mode === "diff") {
    const pending = r.hosts.reduce((s, n) => s + n.changes.length, 0);
    const unchecked = r.hosts.filter((n) => n.status === "failed" || n.status === "unreachable").length;
    const parts = [
      pending === 0 && unchecked === 0 ? chalk.green("in sync: nothing to change") : "",
      pending > 0 ? chalk.yellow(`${pending} change(s) pending`) : "",
      unchecked > 0 ? chalk.red(`${unchecked} host(s) could not be checked`) : "",
    ];
    lines.push(parts.filter(Boolean).join("; "));
  }
  return lines.join("\n");
}

const zeroCounts = (): HostCounts => ({ ok: 0, changed: 0, failed: 0, unreachable: 0 });
const addCounts = (a: HostCounts, b: HostCounts): HostCounts => ({
  ok: a.ok + b.ok,
  changed: a.changed + b.changed,
  failed: a.failed + b.failed,
  unreachable: a.unreachable + b.unreachable,
});
const colourOfCounts = (c: HostCounts) =>
  c.failed + c.unreachable > 0 ? chalk.red : c.changed > 0 ? chalk.yellow : chalk.green;
