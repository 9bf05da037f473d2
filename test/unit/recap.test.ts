import { describe, expect, it } from "vitest";
import type { HostResult, RunResult } from "../../src/exec/engine.js";
import { countsOf, renderRecap, runToJson } from "../../src/ui/recap.js";

const change = {
  resource: "route" as const,
  key: "k",
  action: "create" as const,
  phase: "program" as const,
  forward: [],
  inverse: [],
};
const host = (name: string, status: HostResult["status"], extra: Partial<HostResult> = {}): HostResult => ({
  kind: "node",
  name,
  cluster: "c1",
  address: "198.18.0.11",
  status,
  changes: [],
  applied: [],
  okCount: 3,
  commandsSent: 0,
  ...extra,
});
const run = (mode: RunResult["mode"], hosts: HostResult[]): RunResult => ({ mode, hosts, outcome: "ok" });

describe("recap", () => {
  it("counts per host as Ansible does", () => {
    expect(countsOf(host("a", "changed", { applied: [change, change] }))).toEqual({
      ok: 3,
      changed: 2,
      failed: 0,
      unreachable: 0,
    });
    expect(countsOf(host("a", "rolled-back"))).toMatchObject({ failed: 1 });
    expect(countsOf(host("a", "unreachable"))).toMatchObject({ unreachable: 1, failed: 0 });
  });

  it("never says a diff is in sync when a host could not be checked", () => {
    expect(renderRecap(run("diff", [host("a", "ok")]))).toMatch(/in sync: nothing to change$/);
    expect(renderRecap(run("diff", [host("a", "ok"), host("b", "unreachable")]))).toMatch(
      /1 host\(s\) could not be checked$/,
    );
    expect(renderRecap(run("diff", [host("a", "ok", { changes: [change] }), host("b", "failed")]))).toMatch(
      /1 change\(s\) pending; 1 host\(s\) could not be checked$/,
    );
  });

  it("names a cluster's pools row `<cluster>/ippools` and splits JSON into nodes and clusters", () => {
    const pools = host("c1", "ok", { kind: "cluster" });
    const failedPools = host("c1", "failed", { kind: "cluster", error: "forbidden" });
    expect(renderRecap(run("apply", [host("a", "ok"), failedPools]))).toContain("c1/ippools");
    expect(renderRecap(run("apply", [host("a", "ok"), pools]))).not.toContain("c1/ippools");
    const json = runToJson(run("apply", [host("a", "ok"), pools])) as {
      nodes: unknown[];
      clusters: unknown[];
      inSync: boolean;
    };
    expect(json.nodes).toHaveLength(1);
    expect(json.clusters).toHaveLength(1);
    expect(json.inSync).toBe(true);
  });
});
