/**
 * What the model carries besides peers and routes: each node's cluster API server and persistence, the
 * sharing of per-peer entries (O(N) entries for N² references), and which clusters a run asks or acts on.
 */
import { describe, expect, it } from "vitest";
import { parseLimit } from "../../src/model/limit.js";
import { clustersToAsk } from "../../src/model/resolve.js";
import { selectClusters } from "../../src/model/select.js";
import { model, nodeOf, THREE_BY_TWO } from "../support/builders.js";

const C2_API = THREE_BY_TWO.replace(
  "  - name: c2\n    pod_cidr: 198.18.32.0/20\n",
  "  - name: c2\n    pod_cidr: 198.18.32.0/20\n    api_server: 198.18.0.100\n",
);

describe("per-node settings from the cluster and the mesh", () => {
  it("a node carries its own cluster's api_server, and a node of a cluster without one has none", () => {
    const m = model(C2_API);
    expect(nodeOf(m, "b1").apiServer).toBe("198.18.0.100");
    expect(nodeOf(m, "b2").apiServer).toBe("198.18.0.100");
    expect(nodeOf(m, "a1")).not.toHaveProperty("apiServer");
    expect(nodeOf(m, "a2")).not.toHaveProperty("apiServer");
  });

  it("mesh.persist: false reaches every node as persist: false; the default leaves it unset", () => {
    const off = model(
      THREE_BY_TWO.replace("  route_protocol: 77\n", "  route_protocol: 77\n  persist: false\n"),
    );
    expect(off.nodes.map((n) => n.persist)).toEqual([false, false, false, false]);
    expect(model().nodes.every((n) => !("persist" in n))).toBe(true);
  });
});

describe("per-peer entries are made once and shared", () => {
  it("every node's FDB entry and routes for a peer are the same objects", () => {
    const m = model();
    const fdbTo = (from: string, peer: string) => nodeOf(m, from).fdb.find((f) => f.peer === peer);
    expect(fdbTo("a1", "b1")?.dst).toBe("198.18.0.13");
    expect(fdbTo("a1", "b1")).toBe(fdbTo("a2", "b1"));
    expect(fdbTo("b2", "a1")).toBe(fdbTo("a2", "a1"));
    const routesTo = (from: string, peer: string) => nodeOf(m, from).routes.filter((r) => r.peer === peer);
    expect(routesTo("a1", "b1")).toHaveLength(2);
    const [r0, r1] = routesTo("a2", "b1");
    expect(routesTo("a1", "b1")[0]).toBe(r0);
    expect(routesTo("a1", "b1")[1]).toBe(r1);
  });

  it("nodes of different clusters share the routes to a third cluster's node too", () => {
    const m = model(
      `${THREE_BY_TWO}  - name: c3
    pod_cidr: 198.18.48.0/20
    service_cidr: 198.19.48.0/20
    nodes:
      - { name: d1, host: 198.18.0.15, pod_blocks: [198.18.48.0/26] }
`,
    );
    const routesTo = (from: string, peer: string) => nodeOf(m, from).routes.filter((r) => r.peer === peer);
    expect(routesTo("d1", "b1").map((r) => `${r.dst} via ${r.via}`)).toEqual([
      "198.18.32.0/26 via 198.18.1.13",
      "198.18.40.0/26 via 198.18.1.13",
    ]);
    expect(routesTo("d1", "b1")[0]).toBe(routesTo("a1", "b1")[0]);
    expect(routesTo("d1", "b1")[1]).toBe(routesTo("a2", "b1")[1]);
  });
});

describe("which clusters a run asks and acts on", () => {
  const NO_BLOCKS = THREE_BY_TWO.replace(
    "{ name: b2, host: 198.18.0.14, pod_blocks: [198.18.32.64/26] }",
    "{ name: b2, host: 198.18.0.14 }",
  );

  it("only clusters with a node whose pod blocks are unknown are asked", () => {
    expect(clustersToAsk(model()).map((c) => c.name)).toEqual([]);
    expect(clustersToAsk(model(NO_BLOCKS)).map((c) => c.name)).toEqual(["c2"]);
  });

  it("cluster resources are acted on for every cluster, or those --limit names and does not exclude", () => {
    const names = (limit?: string) =>
      selectClusters(model(), limit === undefined ? undefined : parseLimit(limit)).map((c) => c.name);
    expect(names()).toEqual(["c1", "c2"]);
    expect(names("c2")).toEqual(["c2"]);
    expect(names("a1,b1")).toEqual([]);
    expect(names("!c1")).toEqual(["c2"]);
  });
});
