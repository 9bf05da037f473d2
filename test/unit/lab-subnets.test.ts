import { describe, expect, it } from "vitest";
import { inLabRange, planLab } from "../../src/lab/plan.js";

describe("lab --subnets", () => {
  it("1 (default): every node on 198.18.0.0/24", () => {
    const p = planLab(3, 2, false);
    expect(p.subnets).toBe(1);
    expect(p.nodes.map((n) => `${n.subnet} ${n.underlayIp}`)).toEqual([
      "1 198.18.0.11",
      "1 198.18.0.12",
      "1 198.18.0.13",
      "1 198.18.0.14",
      "1 198.18.0.15",
      "1 198.18.0.16",
    ]);
  });

  it("2: the even clusters on 198.18.2.0/24, host numbers unchanged, all inside the lab range", () => {
    const p = planLab(3, 2, false, undefined, 2);
    expect(p.subnets).toBe(2);
    expect(p.nodes.map((n) => `${n.cluster} ${n.subnet} ${n.underlayIp}`)).toEqual([
      "cluster1 1 198.18.0.11",
      "cluster1 1 198.18.0.12",
      "cluster2 2 198.18.2.13",
      "cluster2 2 198.18.2.14",
      "cluster3 1 198.18.0.15",
      "cluster3 1 198.18.0.16",
    ]);
    expect(p.nodes.every((n) => inLabRange(n.underlayIp))).toBe(true);
  });

  it("anything else is refused", () => {
    expect(() => planLab(2, 1, false, undefined, 3)).toThrow("--subnets must be 1 or 2 (got 3)");
  });
});
