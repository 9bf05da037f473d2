/** The end-of-run report: per-node change lines and the Ansible-style recap, as text or JSON. Pure. */
import chalk from "chalk";
import type { HostResult, RunResult } from "../exec/engine.js";
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
    host: n.host,
    status: n.status,
    ...countsOf(n),
    commandsSent: n.commandsSent,
    changes: n.changes.map(changeToJson),
    ...(n.error ? { error: n.error } : {}),
    ...(n.rollback ? { rollback: n.rollback } : {}),
  });
  return {
    mode: r.mode,
    exitCode: r.exitCode,
    inSync: r.hosts.every((n) => n.changes.length === 0 && !n.error),
    nodes: r.hosts.filter((n) => n.kind === "node").map(host),
    clusters: r.hosts.filter((n) => n.kind === "cluster").map(host),
  };
}

function colourLine(line: string): string {
  if (line.startsWith("+")) return chalk.green(line);
  if (line.startsWith("-")) return chalk.red(line);
  if (line.startsWith("!")) return chalk.magenta(line);
  return chalk.yellow(line);
}

/** Per-node change lines (`diff`: pending; `apply`/`teardown`: what was done or attempted). */
export function renderChanges(r: RunResult): string {
  const out: string[] = [];
  for (const n of r.hosts) {
    if (n.changes.length === 0 && !n.error) continue;
    const verb = r.mode === "diff" ? "would change" : n.status === "changed" ? "changed" : "planned";
    const where = n.kind === "cluster" ? `kubectl on ${n.host}` : `${n.cluster}, ${n.host}`;
    out.push(chalk.bold(`${hostLabel(n)} (${where}): ${n.changes.length} ${verb}`));
    for (const c of n.changes) out.push(`  ${colourLine(describeChange(c))}`);
    if (n.error) out.push(`  ${chalk.red(`error: ${n.error}`)}`);
    if (n.rollback)
      out.push(
        `  ${n.rollback.restored ? chalk.cyan("rollback:") : chalk.red("rollback:")} ${n.rollback.detail}`,
      );
  }
  return out.join("\n");
}

export function renderRecap(r: RunResult): string {
  const width = Math.max(...r.hosts.map((n) => hostLabel(n).length), 4);
  const lines = [chalk.bold("RECAP")];
  for (const n of r.hosts) {
    const c = countsOf(n);
    const name = hostLabel(n).padEnd(width);
    const coloured =
      c.unreachable > 0
        ? chalk.red(name)
        : c.failed > 0
          ? chalk.red(name)
          : c.changed > 0
            ? chalk.yellow(name)
            : chalk.green(name);
    lines.push(
      `${coloured} : ok=${String(c.ok).padEnd(4)} changed=${String(c.changed).padEnd(4)} failed=${c.failed}  unreachable=${c.unreachable}`,
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
