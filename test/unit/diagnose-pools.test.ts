/** The IPPool check and the diagnose renderer / exit codes. */
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { checkPools } from "../../src/cni/calico/checks.js";
import { diagnoseToJson, renderDiagnose } from "../../src/diagnose/render.js";
import { diagnoseOutcome } from "../../src/diagnose/run.js";
import type { DiagnoseResult, Finding } from "../../src/diagnose/types.js";
import type { Cidr } from "../../src/net/addr.js";
import { convergedPools, labModel } from "../support/diagnose-builders.js";

const m = labModel();
const c1 = m.clusters[0];
if (!c1) throw new Error("no cluster");
const failing = (fs: Finding[]) => fs.filter((f) => !f.ok);
const strip = (s: string) => stripVTControlCharacters(s);

describe("checkPools", () => {
  it("all four pools present, meshctl's, disabled, no NAT → four passing findings", () => {
    const fs = checkPools(c1, m.clusters, convergedPools(m, "cluster1"));
    expect(fs).toHaveLength(4);
    expect(fs.every((f) => f.ok && f.cluster === "cluster1" && f.check === "ippool")).toBe(true);
  });

  it("a foreign pool whose cidr does not parse overlaps nothing: the four findings still pass", () => {
    const odd = {
      name: "odd",
      rawCidr: "198.18.32.0/33",
      natOutgoing: false,
      disabled: true,
      labels: {},
      managed: false,
    };
    const fs = checkPools(c1, m.clusters, [...convergedPools(m, "cluster1"), odd]);
    expect(fs.map((f) => f.ok)).toEqual([true, true, true, true]);
  });

  it("a missing pool → error: traffic to that CIDR is masqueraded; fix: apply", () => {
    const pools = convergedPools(m, "cluster1").filter((p) => p.name !== "pod-cluster2");
    const [f] = failing(checkPools(c1, m.clusters, pools, "inv.yaml"));
    expect(f?.finding).toMatch(
      /IPPool pod-cluster2 for cluster cluster2's pod CIDR 198\.18\.32\.0\/20 is missing.*masquerades/,
    );
    expect(f?.fix).toBe("meshctl apply -i inv.yaml --limit cluster1");
  });

  it("natOutgoing true, enabled, wrong cidr → one error naming each", () => {
    const pools = convergedPools(m, "cluster1").map((p) =>
      p.name === "svc-cluster3"
        ? {
            ...p,
            natOutgoing: true,
            disabled: false,
            rawCidr: "198.19.48.0/21",
            cidr: "198.19.48.0/21" as Cidr,
          }
        : p,
    );
    const [f] = failing(checkPools(c1, m.clusters, pools));
    expect(f?.finding).toMatch(
      /cidr is 198\.19\.48\.0\/21, not 198\.19\.48\.0\/20; it is enabled.*; natOutgoing is true/,
    );
  });

  it("foreign pools: same name unlabelled, or overlapping → errors with kubectl fixes; stale meshctl pools → warning", () => {
    const pools = convergedPools(m, "cluster1").map((p) =>
      p.name === "pod-cluster3" ? { ...p, managed: false, labels: {} } : p,
    );
    pools.push({
      name: "rogue",
      cidr: "198.18.32.0/24" as Cidr,
      rawCidr: "198.18.32.0/24",
      natOutgoing: true,
      disabled: false,
      labels: {},
      managed: false,
    });
    pools.push({
      name: "pod-gone",
      cidr: "198.18.80.0/20" as Cidr,
      rawCidr: "198.18.80.0/20",
      natOutgoing: false,
      disabled: true,
      labels: {},
      managed: true,
    });
    const fs = failing(checkPools(c1, m.clusters, pools));
    expect(fs.map((f) => f.severity)).toEqual(["error", "error", "warning"]);
    expect(fs[0]?.fix).toMatch(/^kubectl delete ippools\.crd\.projectcalico\.org rogue/);
    expect(fs[1]?.fix).toMatch(
      /^kubectl label ippools\.crd\.projectcalico\.org pod-cluster3 app\.kubernetes\.io\/managed-by=meshctl/,
    );
    expect(fs[2]?.finding).toMatch(/pod-gone .*\(stale\)/);
  });
});

describe("diagnose result", () => {
  const err: Finding = {
    node: "c1-node1",
    check: "ip-forward",
    ok: false,
    severity: "error",
    finding: "IPv4 forwarding is off",
    fix: "sysctl -w net.ipv4.ip_forward=1",
  };
  const warn: Finding = {
    node: "c1-node1",
    check: "forward-policy",
    ok: false,
    severity: "warning",
    finding: "not checked",
    fix: "install",
  };
  const pass: Finding = { node: "c1-node2", check: "mtu", ok: true, severity: "error", finding: "fits" };
  const nodes: DiagnoseResult["nodes"] = [
    { node: "c1-node1", cluster: "cluster1", host: "198.18.0.11", status: "checked" },
    { node: "c1-node2", cluster: "cluster1", host: "198.18.0.12", status: "checked" },
  ];

  it("ok with warnings only, failed with an error or a failed node, unreachable with only unreachable nodes", () => {
    expect(diagnoseOutcome({ nodes, findings: [warn, pass] })).toBe("ok");
    expect(diagnoseOutcome({ nodes, findings: [err, warn] })).toBe("failed");
    const down = [
      ...nodes,
      {
        node: "c2-node1",
        cluster: "cluster2",
        host: "198.18.0.13",
        status: "unreachable" as const,
        error: "timed out",
      },
    ];
    expect(diagnoseOutcome({ nodes: down, findings: [pass] })).toBe("unreachable");
    expect(
      diagnoseOutcome({
        nodes: [{ ...nodes[0], status: "failed" } as DiagnoseResult["nodes"][number]],
        findings: [],
      }),
    ).toBe("failed");
  });

  it("text: failing checks with finding and fix per node; passing ones only with -v; a summary", () => {
    const r: DiagnoseResult = { nodes, findings: [err, warn, pass], skipped: [], outcome: "failed" };
    const text = strip(renderDiagnose(r));
    expect(text).toContain(
      "c1-node1 (cluster1, 198.18.0.11)\n  ✗ ip-forward       error   IPv4 forwarding is off\n    fix: sysctl -w net.ipv4.ip_forward=1",
    );
    expect(text).toContain("c1-node2 (cluster1, 198.18.0.12): all 1 checks pass");
    expect(text).not.toContain("✔");
    expect(strip(renderDiagnose(r, true))).toContain("✔ mtu");
    expect(text.trim().split("\n").pop()).toBe(
      "2 of 2 node(s) and 0 cluster(s) checked: 1 error(s), 1 warning(s), 1 passed",
    );
    expect(diagnoseToJson(r)).toMatchObject({
      ok: false,
      summary: { errors: 1, warnings: 1, passed: 1 },
      findings: [err, warn, pass],
    });
  });
});
