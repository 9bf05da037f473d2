/** `meshctl verify` output: the node × node matrix, one line per failure, a summary; or JSON. Pure. */
import chalk from "chalk";
import type { NodeVerify, ProbeKind, ProbeResult, VerifyResult } from "./types.js";

const KIND_ORDER: ProbeKind[] = ["overlay", "mtu", "pod"];
const SHORT: Record<ProbeKind, string> = { overlay: "ovl", mtu: "mtu", pod: "pod" };

export function formatRtt(ms: number): string {
  if (ms < 1) return ms.toFixed(2);
  if (ms < 10) return ms.toFixed(1);
  return ms.toFixed(0);
}

export interface Cell {
  text: string;
  state: "ok" | "fail" | "self" | "none" | "unknown";
}

/** One matrix cell: every probe from `row` to `col`. */
export function cellOf(row: NodeVerify, col: string): Cell {
  if (row.node === col) return { text: "·", state: "self" };
  if (row.status === "unreachable" || (row.status === "failed" && row.probes.length === 0)) {
    return { text: "?", state: "unknown" };
  }
  const probes = row.probes.filter((p) => p.to === col);
  if (probes.length === 0) return { text: "", state: "none" };
  const failed = KIND_ORDER.filter((k) => probes.some((p) => p.kind === k && !p.ok));
  if (failed.length > 0) {
    const all = failed.length === new Set(probes.map((p) => p.kind)).size && failed.length > 1;
    return { text: `✗ ${all ? "all" : failed.map((k) => SHORT[k]).join("+")}`, state: "fail" };
  }
  const rtt = (probes.find((p) => p.kind === "overlay") ?? probes[0])?.rttMs;
  return { text: rtt === undefined ? "✔" : `✔ ${formatRtt(rtt)}`, state: "ok" };
}

const colour = (c: Cell, s: string): string =>
  c.state === "ok"
    ? chalk.green(s)
    : c.state === "fail"
      ? chalk.red(s)
      : c.state === "unknown"
        ? chalk.yellow(s)
        : chalk.dim(s);

/** Rows = source nodes, columns = destination nodes grouped by cluster (a header line per level). */
export function renderMatrix(r: VerifyResult): string {
  const cols = r.columns;
  const cells = r.nodes.map((n) => cols.map((c) => cellOf(n, c.name)));
  const rowW = Math.max(9, ...r.nodes.map((n) => n.node.length));
  const widths = cols.map((c, j) =>
    Math.max(c.name.length, ...cells.map((row) => (row[j] as Cell).text.length)),
  );
  // Cluster header: each cluster's name over its columns.
  const groups: { cluster: string; width: number }[] = [];
  cols.forEach((c, j) => {
    const w = (widths[j] as number) + 2;
    const last = groups[groups.length - 1];
    if (last && last.cluster === c.cluster) last.width += w;
    else groups.push({ cluster: c.cluster, width: w });
  });
  const sep = " │ ";
  const lines: string[] = [];
  lines.push(
    `${" ".repeat(rowW)}${sep}${groups.map((g) => chalk.bold(g.cluster.padEnd(g.width - 2).slice(0, g.width - 2))).join("  ")}`,
  );
  lines.push(
    `${"from \\ to".padEnd(rowW).slice(0, rowW)}${sep}${cols.map((c, j) => c.name.padEnd(widths[j] as number)).join("  ")}`,
  );
  lines.push(`${"─".repeat(rowW)}─┼─${"─".repeat(widths.reduce((a, b) => a + b + 2, 0) - 2)}`);
  let lastCluster: string | undefined;
  r.nodes.forEach((n, i) => {
    if (lastCluster !== undefined && n.cluster !== lastCluster) lines.push(`${" ".repeat(rowW)} │`);
    lastCluster = n.cluster;
    const row = (cells[i] as Cell[]).map((c, j) => colour(c, c.text.padEnd(widths[j] as number))).join("  ");
    lines.push(`${n.node.padEnd(rowW)}${sep}${row}`);
  });
  return lines.join("\n");
}

export function describeProbe(p: ProbeResult): string {
  const what =
    p.kind === "overlay"
      ? `overlay ping to ${p.dst}`
      : p.kind === "mtu"
        ? `don't-fragment ping of ${p.size === undefined ? "device MTU" : `${p.size + 28} bytes`} to ${p.dst}`
        : `pod ping ${p.src ?? "?"} → ${p.dst}`;
  const stats = p.sent > 0 ? ` (${p.received}/${p.sent} replies, ${p.loss}% loss)` : "";
  return `${p.from} → ${p.to}: ${what}${stats}${p.detail ? `: ${p.detail}` : ""}`;
}

export function summaryOf(r: VerifyResult): {
  probes: number;
  ok: number;
  failed: number;
  unreachable: number;
} {
  const all = r.nodes.flatMap((n) => n.probes);
  return {
    probes: all.length,
    ok: all.filter((p) => p.ok).length,
    failed: all.filter((p) => !p.ok).length,
    unreachable: r.nodes.filter((n) => n.status === "unreachable").length,
  };
}

export function renderVerify(r: VerifyResult): string {
  const out = [
    renderMatrix(r),
    "",
    chalk.dim(
      "✔ RTT of the overlay ping in ms · ✗ failed: ovl overlay, mtu full-size don't-fragment, pod pod-to-pod",
    ),
  ];
  const notes = [
    ...r.warnings.map((w) => chalk.yellow(`! ${w}`)),
    ...r.nodes.flatMap((n) => [
      ...(n.error ? [chalk.red(`! ${n.node}: ${n.error}`)] : []),
      ...n.notes.map((t) => chalk.yellow(`! ${n.node}: ${t}`)),
    ]),
  ];
  if (notes.length > 0) out.push("", ...notes);
  // Per source node, grouped by destination (matrix column order), overlay → mtu → pod.
  const col = (p: ProbeResult) => r.columns.findIndex((c) => c.name === p.to);
  const failures = r.nodes.flatMap((n) =>
    n.probes
      .filter((p) => !p.ok)
      .sort((a, b) => col(a) - col(b) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)),
  );
  if (failures.length > 0) out.push("", ...failures.map((p) => chalk.red(`✗ ${describeProbe(p)}`)));
  const lossy = r.nodes.flatMap((n) => n.probes.filter((p) => p.ok && p.received < p.sent));
  if (lossy.length > 0) out.push("", ...lossy.map((p) => chalk.yellow(`~ ${describeProbe(p)}`)));
  const s = summaryOf(r);
  const tail = `${s.probes} probes from ${r.nodes.length - s.unreachable} node(s): ${s.ok} ok, ${s.failed} failed${s.unreachable ? `; ${s.unreachable} node(s) unreachable` : ""}`;
  out.push(
    "",
    s.failed === 0 && s.unreachable === 0 && r.outcome === "ok" ? chalk.green(tail) : chalk.red(tail),
  );
  return out.join("\n");
}

export function verifyToJson(r: VerifyResult): unknown {
  return {
    ok: r.outcome === "ok",
    summary: summaryOf(r),
    warnings: r.warnings,
    nodes: r.nodes.map((n) => ({
      name: n.node,
      cluster: n.cluster,
      host: n.host,
      status: n.status,
      ...(n.deviceMtu === undefined ? {} : { deviceMtu: n.deviceMtu }),
      ...(n.podSource ? { podSource: n.podSource } : {}),
      notes: n.notes,
      ...(n.error ? { error: n.error } : {}),
    })),
    probes: r.nodes.flatMap((n) =>
      n.probes.map((p) => ({
        from: p.from,
        to: p.to,
        kind: p.kind,
        ok: p.ok,
        rttMs: p.rttMs ?? null,
        loss: p.loss,
        fromCluster: p.fromCluster,
        toCluster: p.toCluster,
        dst: p.dst,
        ...(p.src ? { src: p.src } : {}),
        ...(p.size === undefined ? {} : { size: p.size }),
        sent: p.sent,
        received: p.received,
        ...(p.detail ? { detail: p.detail } : {}),
      })),
    ),
  };
}
