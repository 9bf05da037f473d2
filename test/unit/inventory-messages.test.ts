/**
 * Validation messages as Terraform has them: the first YAML syntax error with the source line and a caret,
 * one message per misspelt key, "did you mean" for keys and node references, and warnings (never errors)
 * for what is allowed but probably not meant.
 */
import { describe, expect, it } from "vitest";
import { closest, editDistance } from "../../src/inventory/closest.js";
import { formatIssue, InputError, type InputIssue } from "../../src/inventory/errors.js";
import { checkInventory, loadCheckedInventory, loadInventoryText } from "../../src/inventory/load.js";
import { inventoryMessage } from "../../src/inventory/messages.js";
import { sourceSnippet } from "../../src/inventory/snippet.js";
import { keysAt, unknownKeyHint } from "../../src/inventory/suggest.js";
import { parseYamlText } from "../../src/inventory/yaml-source.js";

function errorOf(text: string): InputError {
  try {
    loadInventoryText(text, "t.yaml");
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("loaded without problems");
}

const inventory = (overlay: string, extra = "") => `mesh:
  overlay: ${overlay}
${extra}clusters:
  - name: east
    pod_cidr: 10.10.0.0/16
    service_cidr: 10.11.0.0/16
    nodes:
      - name: east-1
        host: 192.168.1.11
`;

describe("YAML syntax errors: the first one, with the source line and a caret", () => {
  it("a tab used as indentation is one problem, not the parser's eight", () => {
    const e = errorOf(inventory("10.99.0.0/24", "\tvni: 10\n  port: 4899\n  mtu: auto\n"));
    expect(e.issues).toHaveLength(1);
    const [issue] = e.issues as [InputIssue];
    expect(issue).toMatchObject({ line: 3, col: 1, path: "" });
    expect(issue.message).toBe("YAML: Tabs are not allowed as indentation (indent with spaces)");
    expect(issue.snippet).toBe(["2 |   overlay: 10.99.0.0/24", "3 | →vni: 10", "  | ^"].join("\n"));
    // The text report carries the snippet, indented under its issue.
    expect(e.message).toBe(
      [
        "inventory t.yaml has 1 problem:",
        "  t.yaml:3:1: YAML: Tabs are not allowed as indentation (indent with spaces)",
        "      2 |   overlay: 10.99.0.0/24",
        "      3 | →vni: 10",
        "        | ^",
      ].join("\n"),
    );
  });

  it("the caret points at the column of the error", () => {
    const src = "mesh:\n  overlay: 10.0.0.0/8\n  vni: 10\n  vni: 11\nclusters: []\n";
    let e: unknown;
    try {
      parseYamlText(src, "t.yaml", "inventory");
    } catch (x) {
      e = x;
    }
    const [issue] = (e as InputError).issues as [InputIssue];
    expect(issue.message).toBe("YAML: Map keys must be unique (a key given twice: keep one)");
    expect(issue.snippet).toBe(["3 |   vni: 10", "4 |   vni: 11", "  |   ^"].join("\n"));
  });

  it("sourceSnippet: no empty line before, a wider gutter for line 10, a caret at least one wide", () => {
    const text = ["a", "", "c", "d", "e", "f", "g", "h", "i", "jj: x"].join("\n");
    expect(sourceSnippet(text, 3, 2, 0)).toBe(["3 | c", "  |  ^"].join("\n"));
    expect(sourceSnippet(text, 10, 5, 1)).toBe([" 9 | i", "10 | jj: x", "   |     ^"].join("\n"));
    expect(sourceSnippet("only", 1, 1)).toBe(["1 | only", "  | ^"].join("\n"));
  });
});

describe("misspelt keys: one message, with the key that was meant at that level", () => {
  it("a misspelt required key is not also reported missing", () => {
    const e = errorOf(inventory("10.99.0.0/24").replace("pod_cidr:", "pod_cdir:"));
    expect(e.issues.map(formatIssue)).toEqual([
      't.yaml:5:5 clusters[0].pod_cdir: unknown key "pod_cdir" — did you mean "pod_cidr"?',
    ]);
  });

  it("a missing key and an unrelated unknown key are two problems", () => {
    const e = errorOf(inventory("10.99.0.0/24").replace("pod_cidr:", "colour:"));
    expect(e.issues.map((i) => i.message)).toEqual([
      'missing required key "pod_cidr"',
      'unknown key "colour"',
    ]);
  });

  it("suggestions come from the keys of the level the key is at", () => {
    expect(keysAt([])).toEqual(["mesh", "clusters"]);
    expect(keysAt(["clusters", 3, "nodes", 0, "ssh"])).toContain("identity_file");
    expect(keysAt(["mesh", "overlay"])).toBeUndefined();
    expect(unknownKeyHint("contorl", ["clusters", 0])).toEqual({
      meant: "control",
      hint: ' — did you mean "control"?',
    });
    // "contorl" is near "control", which is a key of a cluster, not of the mesh.
    expect(unknownKeyHint("contorl", ["mesh"])).toEqual({ hint: "" });
    expect(unknownKeyHint("nodes", ["clusters", 0, "nodes", 0])).toEqual({
      hint: " at this level (check the indentation)",
    });
    expect(unknownKeyHint("Pod-CIDR", ["clusters", 0]).meant).toBe("pod_cidr");
  });

  it("closest: a swap of neighbours is one edit; short words allow one edit, long ones three", () => {
    expect(editDistance("contorl", "control")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(closest("usr", ["user", "port"])).toBe("user");
    expect(closest("pt", ["port"])).toBeUndefined(); // two edits in a two-letter word: no guess
    expect(closest("multicluster-tset-03", ["multicluster-test-003", "multicluster-test-004"])).toBe(
      "multicluster-test-003",
    );
    expect(closest("node-x", ["node-x"])).toBeUndefined(); // the word itself is no suggestion
    expect(closest("zzzz", ["user", "port"])).toBeUndefined();
  });
});

describe("types, ranges and choices said as a person would", () => {
  it.each([
    [
      { code: "invalid_type", expected: "number", input: "ten", path: ["vni"] },
      'expected a number, not the string "ten"',
    ],
    [
      { code: "invalid_type", expected: "int", input: 1.5, path: ["port"] },
      "expected a whole number, not 1.5",
    ],
    [
      { code: "invalid_type", expected: "boolean", input: 1, path: ["become"] },
      "expected true or false, not the number 1",
    ],
    [
      { code: "invalid_type", expected: "array", input: { a: 1 }, path: ["nodes"] },
      "expected a list, not a map",
    ],
    [{ code: "invalid_type", expected: "object", input: [1], path: ["mesh"] }, "expected a map, not a list"],
    [
      { code: "invalid_type", expected: "string", input: undefined, path: ["host"] },
      'missing required key "host"',
    ],
    [{ code: "invalid_type", expected: "string", input: null, path: ["host"] }, '"host" has no value'],
    [{ code: "too_small", origin: "number", minimum: 1, inclusive: true }, "must be at least 1"],
    [{ code: "too_small", origin: "number", minimum: 0, inclusive: false }, "must be more than 0"],
    [{ code: "too_small", origin: "array", minimum: 1, inclusive: true }, "needs at least 1 entry"],
    [{ code: "too_small", origin: "array", minimum: 2, inclusive: true }, "needs at least 2 entries"],
    [{ code: "too_small", origin: "string", minimum: 1, inclusive: true }, "must not be empty"],
    [{ code: "too_big", origin: "number", maximum: 300, inclusive: true }, "must be at most 300"],
    [{ code: "too_big", origin: "number", maximum: 300, inclusive: false }, "must be less than 300"],
    [
      { code: "invalid_value", values: ["a", "b"], input: "c" },
      'must be one of "a", "b", not the string "c"',
    ],
  ])("%j → %s", (issue, message) => {
    expect(inventoryMessage(issue)).toBe(message);
  });

  it("what it has no words for keeps zod's message", () => {
    expect(inventoryMessage({ code: "custom" })).toBeUndefined();
    expect(inventoryMessage({ code: "invalid_type", expected: "bigint", input: 1 })).toBeUndefined();
    expect(inventoryMessage({ code: "too_small", origin: "string", minimum: 3 })).toBeUndefined();
  });

  it("an empty cluster list, through the loader", () => {
    const e = errorOf("mesh: {overlay: 10.99.0.0/24}\nclusters: []\n");
    expect(e.issues.map(formatIssue)).toEqual(["t.yaml:2:11 clusters: needs at least 1 entry"]);
  });
});

describe("node references: every problem in one pass, with did you mean", () => {
  it("a mistyped control beside a node with a bad MAC: both reported, the control with the node meant", () => {
    const e = errorOf(
      inventory("10.99.0.0/24")
        .replace("service_cidr: 10.11.0.0/16", "service_cidr: 10.11.0.0/16\n    control: eats-1")
        .replace("host: 192.168.1.11", "host: 192.168.1.11\n        mac: zz"),
    );
    expect(e.issues.map((i) => [i.path, i.message])).toEqual([
      ["clusters[0].control", 'control node eats-1 is not a node of cluster east — did you mean "east-1"?'],
      ["clusters[0].nodes[0].mac", expect.stringContaining("is not a MAC address")],
    ]);
  });

  it("a node with a bad MAC still counts for duplicate names", () => {
    const e = errorOf(
      inventory("10.99.0.0/24").replace(
        "host: 192.168.1.11",
        "host: 192.168.1.11\n        mac: zz\n      - { name: east-1, host: 192.168.1.12 }",
      ),
    );
    expect(e.issues.map((i) => [i.path, i.message])).toEqual([
      ["clusters[0].nodes[0].mac", expect.stringContaining("is not a MAC address")],
      ["clusters[0].nodes[1].name", "duplicate node name east-1: also used by clusters[0].nodes[0]"],
    ]);
  });

  it("a control whose node's own name is invalid is not judged (it may be the one meant)", () => {
    const e = errorOf(
      inventory("10.99.0.0/24")
        .replace("service_cidr: 10.11.0.0/16", "service_cidr: 10.11.0.0/16\n    control: east-1")
        .replace("name: east-1", "name: East_1"),
    );
    expect(e.issues.map((i) => i.path)).toEqual(["clusters[0].nodes[0].name"]);
  });
});

describe("warnings: allowed but probably not meant, never an error", () => {
  it.each([["10.99.0.0/24"], ["172.31.0.0/16"], ["192.168.200.0/24"], ["100.64.0.0/10"], ["198.18.1.0/24"]])(
    "an overlay in a private range (%s) has no warning",
    (overlay) => {
      const r = checkInventory(parseYamlText(inventory(overlay), "t.yaml", "inventory"));
      expect(r.warnings).toEqual([]);
    },
  );

  it.each([["179.17.1.0/24"], ["172.32.0.0/16"], ["8.0.0.0/7"]])(
    "an overlay %s outside them warns",
    (overlay) => {
      const r = checkInventory(parseYamlText(inventory(overlay), "t.yaml", "inventory"));
      expect(r.inventory.mesh.overlay).toBe(overlay);
      expect(r.warnings.map(formatIssue)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^t\\.yaml:2:12 mesh\\.overlay: overlay ${overlay.replaceAll(".", "\\.")} is not in a private range`,
          ),
        ),
      ]);
    },
  );

  it("the seed inventory (179.17.1.0/24) loads, with one warning", async () => {
    const r = await loadCheckedInventory("inventories/seed.yaml");
    expect(r.warnings.map((w) => `${w.line}:${w.col} ${w.path}`)).toEqual(["8:12 mesh.overlay"]);
  });

  it("an invalid inventory carries its warnings beside its problems", () => {
    const e = errorOf(inventory("179.17.1.0/24", "  vni: 0\n"));
    expect(e.issues.map((i) => i.path)).toEqual(["mesh.vni"]);
    expect(e.warnings.map((w) => w.path)).toEqual(["mesh.overlay"]);
    expect(e.message).not.toContain("private range"); // warnings are not problems
  });
});
