/**
 * `plan` at scale: the fast per-node renderer says exactly what diffNode from empty facts says, output is
 * written one node at a time (never one string for the whole mesh).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bigInventoryYaml } from "../../src/bench/big-inventory.js";
import { document, renderDocument } from "../../src/cli/output.js";
import { planDocument } from "../../src/cli/plan-document.js";
import { main } from "../../src/cli/program.js";
import { loadInventory, loadInventoryText } from "../../src/inventory/load.js";
import { buildModel } from "../../src/model/build.js";
import type { MeshModel } from "../../src/model/types.js";
import { diffNode } from "../../src/plan/node-diff.js";
import { commandsOf } from "../../src/plan/render.js";
import { emptyFacts, scratchNodes } from "../../src/plan/scratch.js";
import { convergedFacts, model } from "../support/builders.js";

const big = (clusters: number, nodes: number): MeshModel =>
  buildModel(loadInventoryText(bigInventoryYaml(clusters, nodes), "big.yaml"));

describe("scratchNodes", () => {
  const models: [string, () => Promise<MeshModel> | MeshModel][] = [
    ["the seed", async () => buildModel(await loadInventory("inventories/seed.yaml"))],
    ["3 x 2", () => model()],
    ["3 x 7", () => big(3, 7)],
  ];
  for (const [name, make] of models) {
    it(`equals diffNode from empty facts, node by node (${name})`, async () => {
      const m = await make();
      const scratch = scratchNodes();
      for (const n of m.nodes) {
        const expected = commandsOf(diffNode(n, emptyFacts(n)).changes);
        expect(scratch(n).commands).toEqual(expected);
      }
    });
  }
});

describe("scratchNodes, one renderer for nodes of several devices and route protocols", () => {
  it("gives each node its own device name and protocol in its lines", () => {
    const m = big(2, 3);
    const n = m.nodes[0] as MeshModel["nodes"][number];
    const variants = [
      n,
      { ...n, device: { ...n.device, name: "other0" as typeof n.device.name } },
      { ...n, routeProtocol: 99 },
      n,
    ];
    const scratch = scratchNodes();
    for (const x of variants)
      expect(scratch(x).commands).toEqual(commandsOf(diffNode(x, emptyFacts(x)).changes));
  });
});

describe("plan output", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "meshctl-plan-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("is written one node at a time, and holds every node's commands", async () => {
    const file = join(tempDir(), "big.yaml");
    writeFileSync(file, bigInventoryYaml(2, 30));
    const writes: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    expect(await main(["node", "meshctl", "plan", "-i", file])).toBe(0);
    vi.restoreAllMocks();
    // Pieces of at most one node (256 commands + its header), never the whole mesh in one string.
    for (const w of writes) {
      expect(w.match(/^# node /gm)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(w.split("\n").length).toBeLessThanOrEqual(258 + 1);
    }
    const nodes = writes
      .join("")
      .split(/^(?=# node )/m)
      .filter((t) => t.startsWith("# node "));
    expect(nodes).toHaveLength(60);
    // 59 FDB entries and 59 neighbours each, and 30 routes to the other cluster's blocks.
    const first = nodes[0] ?? "";
    expect(first.match(/^bridge fdb replace /gm)).toHaveLength(59);
    expect(first.match(/^ip neigh replace /gm)).toHaveLength(59);
    expect(first.match(/^ip route add /gm)).toHaveLength(30);
  });

  it("--limit selects nodes on plan too; JSON stays one document", async () => {
    const file = join(tempDir(), "big.yaml");
    writeFileSync(file, bigInventoryYaml(2, 3));
    const writes: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    expect(
      await main(["node", "meshctl", "plan", "-i", file, "-o", "json", "--limit", "big1,!big1-n2"]),
    ).toBe(0);
    vi.restoreAllMocks();
    const doc = JSON.parse(writes.join(""));
    expect(doc.nodes.map((n: { name: string }) => n.name)).toEqual(["big1-n1", "big1-n3"]);
    expect(doc.clusters.map((c: { name: string }) => c.name)).toEqual(["big1"]);
    expect(doc.nodesWithoutBlocks).toEqual([]);
  });
});

describe("plan documents written in pieces", () => {
  for (const format of ["json", "yaml"] as const) {
    it(`equal the one-piece document (${format})`, async () => {
      const m = big(2, 3);
      const scratch = scratchNodes();
      const nodes = m.nodes.map((n) => ({
        ...scratch(n),
        commands: [...scratch(n).commands, ...Array(300).fill("x")],
      }));
      const clusters = [{ name: "c", control: "n", resources: [{ a: 1 }] }];
      const whole = await renderDocument(
        format,
        document("plan", 0, { nodes, clusters, nodesWithoutBlocks: ["z"] }),
      );
      expect([...planDocument(format, 0, nodes, clusters, ["z"])].join("")).toBe(whole);
      const none = await renderDocument(
        format,
        document("plan", 0, { nodes: [], clusters, nodesWithoutBlocks: [] }),
      );
      expect([...planDocument(format, 0, [], clusters, [])].join("")).toBe(none);
    });
  }
});

describe("diff at scale", () => {
  it("a converged node with 400 peers plans no change", () => {
    const m = big(2, 200);
    const n = m.nodes[0];
    if (!n) throw new Error("no node");
    const facts = convergedFacts(n);
    expect(diffNode(n, facts).changes).toEqual([]);
  });
});
