/** The verify matrix, failure lines, JSON and exit codes. */
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { parseVerifyOutput } from "../../src/verify/parse.js";
import { columnsOf, planNode } from "../../src/verify/plan.js";
import { cellOf, formatRtt, renderVerify, verifyToJson } from "../../src/verify/render.js";
import { verifyOutcome } from "../../src/verify/run.js";
import type { NodeVerify, VerifyResult } from "../../src/verify/types.js";
import { nodeOf } from "../support/builders.js";
import { fixture, labModel } from "../support/diagnose-builders.js";

const m = labModel();
const strip = (s: string) => stripVTControlCharacters(s);

function nodeResult(name: string, file: string): NodeVerify {
  const n = nodeOf(m, name);
  const out = parseVerifyOutput(fixture(file), planNode(m, n));
  return {
    node: name,
    cluster: n.cluster,
    host: n.ssh.host,
    status: out.probes.every((p) => p.ok) ? "ok" : "failed",
    ...(out.deviceMtu === undefined ? {} : { deviceMtu: out.deviceMtu }),
    podSource: out.podSource,
    notes: out.notes,
    probes: out.probes,
  };
}

const unreachable = (name: string): NodeVerify => ({
  node: name,
  cluster: nodeOf(m, name).cluster,
  host: nodeOf(m, name).ssh.host,
  status: "unreachable",
  notes: [],
  probes: [],
  error: `${name}: cannot connect to ${nodeOf(m, name).ssh.host}:22: timed out`,
});

function result(nodes: NodeVerify[]): VerifyResult {
  return { columns: columnsOf(m), nodes, warnings: [], outcome: verifyOutcome(nodes) };
}

describe("formatRtt", () => {
  it.each([
    [0.034, "0.03"],
    [0.999, "1.00"],
    [1, "1.0"],
    [2.345, "2.3"],
    [9.96, "10.0"],
    [10, "10"],
    [12.6, "13"],
  ])("%s ms → %s", (ms, text) => {
    expect(formatRtt(ms)).toBe(text);
  });
});

describe("verify output", () => {
  const broken = result([
    nodeResult("c1-node1", "verify-fdb-broken.out"),
    nodeResult("c2-node2", "verify-fdb-broken-peer.out"),
  ]);

  it("cells: ✔ with the overlay RTT, ✗ with the failed kinds, · on the diagonal, ? for an unknown row", () => {
    const [a, b] = broken.nodes as [NodeVerify, NodeVerify];
    expect(cellOf(a, "c1-node1")).toEqual({ text: "·", state: "self" });
    expect(cellOf(a, "c2-node2")).toEqual({ text: "✗ all", state: "fail" });
    expect(cellOf(b, "c1-node1").text).toBe("✗ all");
    // The overlay probe to c2-node1 (198.18.1.13): rtt avg 0.034 ms in the fixture.
    expect(cellOf(a, "c2-node1")).toEqual({ text: "✔ 0.03", state: "ok" });
    expect(cellOf(unreachable("c3-node1"), "c1-node1")).toEqual({ text: "?", state: "unknown" });
    const mtu = nodeResult("c1-node1", "verify-mtu-blackhole.out");
    expect(cellOf(mtu, "c2-node2").text).toBe("✗ mtu");
  });

  it("text: a matrix grouped by cluster, then one line per failure, then a summary", () => {
    const text = strip(renderVerify(broken));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/cluster1 +cluster2 +cluster3/);
    expect(lines[1]).toMatch(/^from \\ to +│ c1-node1 +c1-node2 +c2-node1 +c2-node2 +c3-node1 +c3-node2/);
    expect(text).toContain(
      "✗ c1-node1 → c2-node2: overlay ping to 198.18.1.14 (0/2 replies, 100% loss): no reply within 1 s",
    );
    expect(text).toContain(
      "✗ c2-node2 → c1-node1: pod ping 198.18.32.65 → 198.18.16.2 (0/2 replies, 100% loss)",
    );
    expect(lines.filter((l) => l.startsWith("✗ "))).toHaveLength(6);
    expect(lines[lines.length - 1]).toBe("28 probes from 2 node(s): 22 ok, 6 failed");
  });

  it("json: every probe with from, to, kind, ok, rttMs, loss", () => {
    const j = verifyToJson(broken) as { ok: boolean; probes: Record<string, unknown>[] };
    expect(j.ok).toBe(false);
    expect(j.probes).toHaveLength(28);
    expect(j.probes[4]).toMatchObject({
      from: "c1-node1",
      to: "c2-node2",
      kind: "overlay",
      ok: false,
      rttMs: null,
      loss: 100,
    });
    expect(j.probes[0]).toMatchObject({
      from: "c1-node1",
      to: "c1-node2",
      kind: "overlay",
      ok: true,
      loss: 0,
    });
    expect(typeof j.probes[0]?.rttMs).toBe("number");
  });

  it("outcome: ok when all pass, failed when a probe fails between reachable nodes, unreachable when only towards unreachable ones", () => {
    expect(verifyOutcome([nodeResult("c1-node1", "verify-ok.out")])).toBe("ok");
    expect(broken.outcome).toBe("failed");
    // c1-node1 → c2-node2 fails; c2-node2 is unreachable over SSH: explained by the unreachable node.
    expect(verifyOutcome([nodeResult("c1-node1", "verify-fdb-broken.out"), unreachable("c2-node2")])).toBe(
      "unreachable",
    );
    expect(verifyOutcome([nodeResult("c1-node1", "verify-ok.out"), unreachable("c3-node1")])).toBe(
      "unreachable",
    );
    expect(verifyOutcome([{ ...unreachable("c3-node1"), status: "failed" }])).toBe("failed");
  });
});
