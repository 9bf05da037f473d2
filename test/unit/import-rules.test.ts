/**
 * The layering rules of src/, read from the import lines of every source file: no import cycle (static or
 * dynamic), and the pure layers import only pure layers (never exec, kube, cli, ui, diagnose, verify, lab).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "../..");
const SRC = join(ROOT, "src");

/** Folders of src/ that are pure: model, diff and plan, facts parsing, the CNI rules and their vocabulary. */
const PURE_FOLDERS = ["core", "net", "inventory", "model", "plan", "facts", "playbook", "cni"];
/** The CNI seam's I/O side (reading and changing a cluster over kubectl): inside cni/, but not pure. */
const CNI_IO = [
  /^cni\/types\.ts$/,
  /^cni\/index\.ts$/,
  /^cni\/[^/]+\/index\.ts$/,
  /^cni\/[^/]+\/session\.ts$/,
];

type Graph = ReadonlyMap<string, readonly string[]>;

/** Relative specifiers of `import … from`, `export … from`, bare `import "…"` and `import("…")`. */
function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const re =
    /^\s*(?:import|export)\s[^'"`;]*?\sfrom\s*["'](\.[^"']+)["']|^\s*import\s*["'](\.[^"']+)["']|\bimport\(\s*["'](\.[^"']+)["']\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec !== undefined) out.push(spec);
  }
  return out;
}

/** Every .ts file under src/ (paths relative to src/) → the src files it imports. */
function srcGraph(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(SRC, file), "utf8");
    const deps = importSpecifiers(text).map((spec) => {
      const target = normalize(join(dirname(file), spec.replace(/\.js$/, ".ts")));
      if (!existsSync(join(SRC, target))) throw new Error(`${file}: import "${spec}" names no file of src/`);
      return target;
    });
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** The strongly connected components of more than one file, or of one file importing itself (Tarjan). */
function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

function isPure(file: string): boolean {
  const path = file.split("\\").join("/");
  return PURE_FOLDERS.includes(path.split("/")[0] ?? "") && !CNI_IO.some((re) => re.test(path));
}

/** `a -> b` for every import of a pure file that is not pure. */
function layerViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    if (!isPure(file)) continue;
    for (const d of deps) if (!isPure(d)) out.push(`${file} -> ${d}`);
  }
  return out.sort();
}

describe("import rules of src/", () => {
  const graph = srcGraph();

  it("reads the imports of the whole tree (a broken reader would find nothing to check)", () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get("cli/program.ts")).toEqual(expect.arrayContaining(["cli/help.ts", "cli/meta.ts"]));
    expect(graph.get("plan/node-diff.ts")).toContain("plan/ownership.ts");
  });

  it("has no import cycle, static or dynamic", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("keeps the pure layers pure: they import no exec, kube, cli, ui, diagnose, verify or lab", () => {
    expect(layerViolations(graph)).toEqual([]);
  });
});

describe("the rule checks themselves", () => {
  it("reads static, type-only, multi-line, re-export and dynamic imports, and only relative ones", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "../b.js";',
      "import {\n  c,\n  d,\n} from './cd.js';",
      'export { e } from "./e.js";',
      'import "./side.js";',
      'const f = await import("./f.js");',
      'import { z } from "zod";',
      'const s = "not an import from \\"./x.js\\"";',
    ].join("\n");
    expect(importSpecifiers(text)).toEqual(["./a.js", "../b.js", "./cd.js", "./e.js", "./side.js", "./f.js"]);
  });

  it("finds a two-file cycle, a longer one and a self-import, and nothing in a tree", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["a", "c"]],
      ["c", ["d"]],
      ["d", ["e"]],
      ["e", ["c"]],
      ["s", ["s"]],
      ["t", ["a"]],
    ]);
    expect(cycles(g).sort()).toEqual([["a", "b"], ["c", "d", "e"], ["s"]]);
    expect(
      cycles(
        new Map([
          ["x", ["y", "z"]],
          ["y", ["z"]],
          ["z", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("flags a pure file importing exec, kube, cli, ui or diagnose; allows the CNI's I/O side", () => {
    const g = new Map([
      ["plan/x.ts", ["exec/engine.ts", "model/types.ts"]],
      ["model/y.ts", ["cli/program.ts", "ui/colour.ts"]],
      ["cni/model.ts", ["diagnose/types.ts"]],
      ["facts/z.ts", ["kube/kubectl.ts"]],
      ["cni/calico/session.ts", ["kube/kubectl.ts", "exec/ssh/types.ts"]],
      ["cni/types.ts", ["exec/ssh/types.ts"]],
      ["exec/engine.ts", ["cli/program.ts"]],
    ]);
    expect(layerViolations(g)).toEqual([
      "cni/model.ts -> diagnose/types.ts",
      "facts/z.ts -> kube/kubectl.ts",
      "model/y.ts -> cli/program.ts",
      "model/y.ts -> ui/colour.ts",
      "plan/x.ts -> exec/engine.ts",
    ]);
    expect(isPure("cni/calico/checks.ts")).toBe(true);
    expect(isPure("cni/calico/session.ts")).toBe(false);
  });
});
