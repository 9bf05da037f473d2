/** The verify script: fixed text, only typed values in it, bounded pings, parallel in bounded rounds. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Cidr, IfName, Ipv4 } from "../../src/net/addr.js";
import { columnsOf, planNode } from "../../src/verify/plan.js";
import { PARALLEL, scriptBudgetMs, verifyScript } from "../../src/verify/script.js";
import type { NodePlan } from "../../src/verify/types.js";
import { nodeOf } from "../support/builders.js";
import { labModel } from "../support/diagnose-builders.js";

const m = labModel();
const opts = { device: "mshvx0" as IfName, count: 2, timeoutMs: 1000 };

describe("planNode", () => {
  it("overlay + MTU probe to every other node, a pod probe to every endpoint of the other clusters", () => {
    const p = planNode(m, nodeOf(m, "c2-node1"));
    expect(p.podBlocks).toEqual(["198.18.32.0/26"]);
    expect(p.probes.filter((x) => x.kind === "overlay").map((x) => x.to)).toEqual([
      "c1-node1",
      "c1-node2",
      "c2-node2",
      "c3-node1",
      "c3-node2",
    ]);
    expect(p.probes.filter((x) => x.kind === "pod").map((x) => `${x.to}=${x.dst}`)).toEqual([
      "c1-node1=198.18.16.2",
      "c1-node2=198.18.16.66",
      "c3-node1=198.18.48.2",
      "c3-node2=198.18.48.66",
    ]);
    expect(p.probes.map((x) => x.id)).toEqual(p.probes.map((_, i) => i));
  });

  it("an endpoint in no node's block becomes its own column, in its cluster", () => {
    const c = m.clusters[1];
    if (!c) throw new Error("no cluster");
    const mm = {
      ...m,
      clusters: m.clusters.map((x) =>
        x === c ? { ...c, testEndpoints: [...c.testEndpoints, "198.18.40.9" as Ipv4] } : x,
      ),
    };
    expect(planNode(mm, nodeOf(mm, "c1-node1")).probes.find((x) => x.dst === "198.18.40.9")?.to).toBe(
      "198.18.40.9",
    );
    expect(columnsOf(mm).map((x) => x.name)).toEqual([
      "c1-node1",
      "c1-node2",
      "c2-node1",
      "c2-node2",
      "198.18.40.9",
      "c3-node1",
      "c3-node2",
    ]);
  });
});

describe("verifyScript", () => {
  const plan = planNode(m, nodeOf(m, "c1-node1"));
  const s = verifyScript(plan, opts);

  it("is valid POSIX sh (dash -n when available)", () => {
    const shell = spawnSync("sh", ["-n"], { input: s, encoding: "utf8" });
    expect(shell.status, shell.stderr).toBe(0);
  });

  it("every ping is bounded by a count and a reply timeout, and runs in the background", () => {
    const pings = s.split("\n").filter((l) => /^(if .* then )?p \d+ /.test(l));
    expect(pings).toHaveLength(14);
    for (const l of pings) {
      expect(l).toMatch(/ -c 2 -i 0\.2 -W 1 /);
      expect(l).toMatch(/&( fi)?$/);
    }
    expect(s).toContain("-M do -s $((mtu - 28)) 198.18.1.12 &");
    expect(s).toContain('-I "$src" 198.18.32.66 &');
    expect(s).toContain("for b in 198.18.16.0/26; do");
    expect(s).toContain("src='198.18.1.11'");
  });

  it("rounds the reply timeout up to whole seconds and waits every PARALLEL pings", () => {
    expect(verifyScript(plan, { ...opts, timeoutMs: 1500 })).toContain(" -W 2 ");
    const many: NodePlan = {
      ...plan,
      probes: Array.from({ length: PARALLEL * 2 + 1 }, (_, id) => ({
        id,
        kind: "overlay" as const,
        to: "x",
        toCluster: "c",
        dst: "198.18.1.12" as Ipv4,
      })),
    };
    const text = verifyScript(many, opts);
    expect(text.split("\n").filter((l) => l === "wait")).toHaveLength(3);
    expect(scriptBudgetMs(many, opts)).toBe(Math.ceil((3 * (0.2 + 1 + 1) + 10) * 1000));
  });

  it("refuses anything that is not a typed value", () => {
    const bad =
      (p: Partial<NodePlan>, o = opts) =>
      () =>
        verifyScript({ ...plan, ...p }, o);
    expect(bad({ overlayIp: "1.2.3.4; reboot" as Ipv4 })).toThrow(/refusing/);
    expect(bad({ podBlocks: ["$(id)" as Cidr] })).toThrow(/refusing/);
    expect(bad({ probes: [{ id: 0, kind: "pod", to: "x", toCluster: "c", dst: "`id`" as Ipv4 }] })).toThrow(
      /refusing/,
    );
    expect(bad({}, { ...opts, device: "a b" as IfName })).toThrow(/refusing/);
    expect(bad({}, { ...opts, count: 0 })).toThrow(/refusing/);
    expect(bad({}, { ...opts, count: 2.5 })).toThrow(/refusing/);
  });
});
