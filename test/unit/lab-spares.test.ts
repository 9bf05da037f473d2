/** `lab up --spare N`: spare nodes are planned after every registered node and kept out of the API seed. */
import { describe, expect, it } from "vitest";
import { seedObjects } from "../../src/lab/kube.js";
import { planLab } from "../../src/lab/plan.js";

describe("planLab with spares", () => {
  const plan = planLab(3, 2, true, undefined, 1, 4);

  it("deals spares round the clusters, numbered after the registered nodes, addresses after every one", () => {
    expect(plan.clusters.map((c) => c.spares.map((n) => n.name))).toEqual([
      ["c1-node3", "c1-node4"],
      ["c2-node3"],
      ["c3-node3"],
    ]);
    expect(plan.nodes.filter((n) => n.spare).map((n) => n.underlayIp)).toEqual([
      "198.18.0.17",
      "198.18.0.18",
      "198.18.0.19",
      "198.18.0.20",
    ]);
    // The registered nodes are where they are without spares.
    const without = planLab(3, 2, true);
    expect(plan.nodes.filter((n) => !n.spare)).toEqual(without.nodes);
    expect(plan.nodes.find((n) => n.name === "c1-node4")?.podBlocks).toEqual([
      "198.18.16.192/26",
      "198.18.24.192/26",
    ]);
  });

  it("a spare is no Node and owns no block affinity in its cluster's API", () => {
    const names = seedObjects(plan.clusters[0] as (typeof plan.clusters)[number]).map(
      (o) => (o as { metadata: { name: string } }).metadata.name,
    );
    expect(names.some((n) => n.startsWith("c1-node3") || n.startsWith("c1-node4"))).toBe(false);
    expect(names).toContain("c1-node2");
  });

  it("refuses a size the lab cannot hold, spares counted", () => {
    expect(() => planLab(1, 32, true, undefined, 1, 1)).toThrow(/nodes per cluster/);
    expect(() => planLab(1, 2, false, undefined, 1, -1)).toThrow(/--spare/);
  });
});
