import { describe, expect, it } from "vitest";
import type { HostResult } from "../../src/exec/engine.js";
import { countCluster, newFleet, onDone, onStage, renderFleet, truncate } from "../../src/ui/fleet-view.js";

const parties = (clusters: number, nodes: number) =>
  Array.from({ length: clusters }, (_, c) =>
    Array.from({ length: nodes }, (_, n) => ({
      id: `c${c + 1}-n${n + 1}`,
      name: `c${c + 1}-n${n + 1}`,
      cluster: `c${c + 1}`,
    })),
  ).flat();

const result = (name: string, cluster: string, status: HostResult["status"], error?: string): HostResult => ({
  kind: "node",
  name,
  cluster,
  address: "198.18.0.11",
  status,
  changes: [],
  applied: status === "changed" ? [] : [],
  okCount: 0,
  commandsSent: 0,
  ...(error ? { error } : {}),
});

describe("fleet view", () => {
  it("counts each cluster's hosts by how far they got", () => {
    const f = newFleet(parties(1, 6), 0);
    onStage(f, "c1-n1", "connect", "connecting", 0);
    onStage(f, "c1-n2", "facts", "gathering facts", 0);
    onStage(f, "c1-n3", "plan", "3 change(s) planned", 0);
    onStage(f, "c1-n4", "apply", "applying 3 change(s)", 0);
    onDone(f, "c1-n5", result("c1-n5", "c1", "changed"), 0);
    onDone(f, "c1-n6", result("c1-n6", "c1", "unreachable", "no route"), 0);
    expect(countCluster(f, "c1")).toEqual({
      total: 6,
      done: 2,
      connected: 4,
      planned: 3,
      applied: 1,
      failed: 0,
      unreachable: 1,
    });
  });

  it("fits 60 nodes in 3 clusters into an 80×24 terminal, one line per cluster when all is well", () => {
    const f = newFleet(parties(3, 20), 0);
    for (const p of f.parties) onStage(f, p.id, "facts", "gathering facts", 0);
    const lines = renderFleet(f, "apply", { rows: 24, cols: 80 }, 1000);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^c1 \[░{20}\] 0\/20 · 20 connected · 0 planned · 0 applied$/);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(79);
  });

  it("lists failing and slow nodes under their cluster, never taller than the terminal", () => {
    const f = newFleet(parties(3, 20), 0);
    for (const p of f.parties) onStage(f, p.id, "apply", "applying 159 change(s)", 0);
    for (let n = 1; n <= 20; n++) onDone(f, `c2-n${n}`, result(`c2-n${n}`, "c2", "failed", "boom"), 100);
    // Everyone else has been applying for 10 s: slow.
    const lines = renderFleet(f, "apply", { rows: 24, cols: 80 }, 10_000);
    expect(lines).toHaveLength(23);
    expect(lines.filter((l) => /^c\d /.test(l))).toHaveLength(3);
    expect(lines[0]).toMatch(/^c1 \[░+\] 0\/20 · 20 connected · 20 planned · 0 applied$/);
    expect(lines.find((l) => l.startsWith("c2 "))).toMatch(/^c2 \[█+\] 20\/20 · 20 failed · 20 connected/);
    expect(lines).toContain("  ✗ c2-n1: failed: boom");
    expect(lines.some((l) => l.startsWith("  … c1-n1: applying 159 change(s) (10s)"))).toBe(true);
    expect(lines.filter((l) => /^ {2}… and \d+ more$/.test(l))).toHaveLength(3);
  });

  it("folds clusters that do not fit into one line, keeping those with problems", () => {
    const f = newFleet(parties(30, 2), 0);
    onDone(f, "c30-n1", result("c30-n1", "c30", "unreachable", "c30-n1: no route to 198.18.0.99"), 0);
    const lines = renderFleet(f, "diff", { rows: 10, cols: 60 }, 0);
    expect(lines).toHaveLength(9);
    expect(lines.some((l) => l.startsWith("c30 "))).toBe(true);
    expect(lines).toContain("  ✗ c30-n1: unreachable: no route to 198.18.0.99");
    expect(lines.at(-1)).toBe("… 23 more clusters (46 hosts)");
    expect(lines.some((l) => l.includes("applied"))).toBe(false);
  });

  it("cuts lines to the terminal's width", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    const f = newFleet([{ id: "x", name: "a-very-long-node-name".repeat(5), cluster: "c1" }], 0);
    onDone(f, "x", result("x", "c1", "failed", "a long error ".repeat(20)), 0);
    for (const l of renderFleet(f, "apply", { rows: 24, cols: 40 }, 0))
      expect([...l].length).toBeLessThanOrEqual(39);
  });
});
