/** `meshctl watch`'s pure parts: what changed between two models, the backoff, the log lines. */
import { describe, expect, it } from "vitest";
import { formatEvent } from "../../src/cli/watch.js";
import { withClusterNodes } from "../../src/inventory/cluster-nodes.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import type { KubeNode } from "../../src/inventory/types.js";
import { buildModel } from "../../src/model/build.js";
import { resolveModel } from "../../src/model/resolve.js";
import type { MeshModel } from "../../src/model/types.js";
import type { Cidr, Ipv4 } from "../../src/net/addr.js";
import { backoffMs, modelChanges, unchanged } from "../../src/watch/changes.js";

const TEXT = `
mesh: { overlay: 179.17.1.0/24 }
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - { name: a-1, host: 192.168.0.11 }
      - { name: a-2, host: 192.168.0.12 }
  - name: b
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes_from: kubernetes
    nodes:
      - { name: b-1, host: 192.168.0.21 }
`;

/** The model with cluster b's Nodes and every node's blocks as the clusters would report them. */
function model(bNodes: string[], blocks: Record<string, string[]>): MeshModel {
  const kube: KubeNode[] = bNodes.map((n, i) => ({ name: n, internalIp: `192.168.0.${21 + i}` as Ipv4 }));
  const inv = withClusterNodes(loadInventoryText(TEXT, "t.yaml"), new Map([["b", kube]]));
  return resolveModel(buildModel(inv), new Map(Object.entries(blocks).map(([k, v]) => [k, v as Cidr[]])));
}

const BLOCKS = {
  "a-1": ["10.1.0.0/26"],
  "a-2": ["10.1.0.64/26"],
  "b-1": ["10.3.0.0/26"],
  "b-2": ["10.3.0.64/26"],
};

describe("modelChanges", () => {
  it("nothing changed: nothing affected", () => {
    const c = modelChanges(model(["b-1"], BLOCKS), model(["b-1"], BLOCKS));
    expect(c).toEqual({ joined: [], left: [], blocks: [], affected: [] });
    expect(unchanged(c)).toBe(true);
  });

  it("a block of a-1 more: only the other cluster's nodes are affected (a-1's own state is the same)", () => {
    const c = modelChanges(
      model(["b-1"], BLOCKS),
      model(["b-1"], { ...BLOCKS, "a-1": ["10.1.0.0/26", "10.1.1.0/26"] }),
    );
    expect(c).toEqual({ joined: [], left: [], blocks: ["a-1"], affected: ["b-1"] });
  });

  it("a Node that joins: it and every peer; one that leaves: every peer", () => {
    const one = model(["b-1"], BLOCKS);
    const two = model(["b-1", "b-2"], BLOCKS);
    expect(modelChanges(one, two)).toEqual({
      joined: ["b-2"],
      left: [],
      blocks: [],
      affected: ["a-1", "a-2", "b-1", "b-2"],
    });
    const c = modelChanges(two, one);
    expect(c).toEqual({ joined: [], left: ["b-2"], blocks: [], affected: ["a-1", "a-2", "b-1"] });
    expect(unchanged(c)).toBe(false);
  });
});

describe("backoffMs", () => {
  it("the interval when all is well, doubling per failed round, at most 10 intervals or 5 minutes", () => {
    expect([0, 1, 2, 3, 4, 5].map((f) => backoffMs(2000, f))).toEqual([
      2000, 4000, 8000, 16000, 20000, 20000,
    ]);
    expect(backoffMs(60_000, 9)).toBe(300_000);
  });
});

describe("formatEvent", () => {
  const at = new Date("2026-12-01T10:00:00Z");
  it("text: time, event, key=value (lists joined, empty ones left out, spaced strings quoted)", () => {
    expect(
      formatEvent(
        { event: "change", joined: ["b-2"], left: [], blocks: [], affected: ["a-1", "a-2"] },
        "text",
        at,
      ),
    ).toBe("2026-12-01T10:00:00.000Z change joined=b-2 affected=a-1,a-2");
    expect(formatEvent({ event: "error", stage: "clusters", error: "no route" }, "text", at)).toBe(
      '2026-12-01T10:00:00.000Z error stage=clusters error="no route"',
    );
  });
  it("json: one object per line with its time", () => {
    const line = formatEvent({ event: "backoff", seconds: 4, failures: 1 }, "json", at);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      time: "2026-12-01T10:00:00.000Z",
      event: "backoff",
      seconds: 4,
      failures: 1,
    });
  });
});
