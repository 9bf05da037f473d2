/** `meshctl diagnose` output: failing checks per node/cluster with finding and fix, a summary; or JSON. Pure. */
import chalk from "chalk";
import type { DiagnoseResult, Finding } from "./types.js";

export function summaryOf(r: DiagnoseResult): {
  errors: number;
  warnings: number;
  passed: number;
  unreachable: number;
} {
  return {
    errors: r.findings.filter((f) => !f.ok && f.severity === "error").length,
    warnings: r.findings.filter((f) => !f.ok && f.severity === "warning").length,
    passed: r.findings.filter((f) => f.ok).length,
    unreachable: r.nodes.filter((n) => n.status === "unreachable").length,
  };
}

function line(f: Finding): string[] {
  if (f.ok) return [`  ${chalk.green("✔")} ${chalk.dim(f.check.padEnd(16))} ${chalk.dim(f.finding)}`];
  const mark = f.severity === "error" ? chalk.red("✗") : chalk.yellow("!");
  const sev = f.severity === "error" ? chalk.red("error  ") : chalk.yellow("warning");
  return [
    `  ${mark} ${f.check.padEnd(16)} ${sev} ${f.finding}`,
    ...(f.fix ? [`    ${chalk.cyan("fix:")} ${f.fix}`] : []),
  ];
}

export function renderDiagnose(r: DiagnoseResult, verbose = false): string {
  const out: string[] = [];
  for (const n of r.nodes) {
    const mine = r.findings.filter((f) => f.node === n.node);
    const shown = verbose ? mine : mine.filter((f) => !f.ok);
    const head = `${chalk.bold(n.node)} (${n.cluster}, ${n.host})`;
    if (n.error) {
      out.push(`${head}: ${chalk.red(n.status === "unreachable" ? "UNREACHABLE" : "FAILED")} ${n.error}`);
      continue;
    }
    if (shown.length === 0) {
      out.push(`${head}: ${chalk.green(`all ${mine.length} checks pass`)}`);
      continue;
    }
    out.push(head, ...shown.flatMap(line));
  }
  const clusters = [...new Set(r.findings.filter((f) => f.cluster).map((f) => f.cluster as string))];
  for (const c of clusters) {
    const mine = r.findings.filter((f) => f.cluster === c);
    const shown = verbose ? mine : mine.filter((f) => !f.ok);
    if (shown.length === 0)
      out.push(`${chalk.bold(`cluster ${c}`)}: ${chalk.green(`all ${mine.length} checks pass`)}`);
    else out.push(chalk.bold(`cluster ${c}`), ...shown.flatMap(line));
  }
  for (const s of r.skipped) out.push(chalk.dim(`(skipped: ${s})`));
  const s = summaryOf(r);
  const checked = r.nodes.filter((n) => n.status === "checked").length;
  const tail = `${checked} of ${r.nodes.length} node(s) and ${clusters.length} cluster(s) checked: ${s.errors} error(s), ${s.warnings} warning(s), ${s.passed} passed${s.unreachable ? `, ${s.unreachable} node(s) unreachable` : ""}`;
  out.push(
    "",
    s.errors > 0 || r.outcome !== "ok"
      ? chalk.red(tail)
      : s.warnings > 0
        ? chalk.yellow(tail)
        : chalk.green(tail),
  );
  return out.join("\n");
}

export function diagnoseToJson(r: DiagnoseResult): unknown {
  return {
    ok: r.outcome === "ok",
    summary: summaryOf(r),
    nodes: r.nodes,
    findings: r.findings,
    skipped: r.skipped,
  };
}
