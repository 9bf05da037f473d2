/**
 * The words and positions a user reads when an inventory is refused: the head of the report, a file that
 * cannot be read or is too big, a YAML error's caret, a problem inside an alias, the phrasing of zod's
 * rarer issues, the route-protocol refusal and the public-overlay warning, word for word.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { formatIssue, InputError } from "../../src/inventory/errors.js";
import { loadCheckedInventory, loadInventory, loadInventoryText } from "../../src/inventory/load.js";
import { inventoryMessage, missingKey } from "../../src/inventory/messages.js";

function errorOf(text: string, file?: string): InputError {
  try {
    if (file === undefined) loadInventoryText(text);
    else loadInventoryText(text, file);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("loaded without problems");
}

/** A valid inventory; `mesh` and `cluster` add lines to the mesh and to the cluster. */
const doc = ({ mesh = "", cluster = "", node = "" } = {}) => `mesh:
  overlay: 10.99.0.0/24
${mesh}clusters:
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
${cluster}    nodes:
      - {name: east-1, host: 192.168.0.21${node}}
`;

async function rejection(p: Promise<unknown>): Promise<MeshctlError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (e instanceof MeshctlError) return e;
  throw new Error(`expected a MeshctlError, got ${String(e)}`);
}

describe("the report's head and the file", () => {
  it("an inventory's report starts with the word inventory, the file and the count", () => {
    expect(errorOf(doc({ mesh: "  vni: 0\n" }), "t.yaml").message).toBe(
      ["inventory t.yaml has 1 problem:", "  t.yaml:3:8 mesh.vni: must be at least 1"].join("\n"),
    );
  });

  it("text without a file name is inventory.yaml in every issue", () => {
    const e = errorOf(doc({ mesh: "  vni: 0\n" }));
    expect(e.issues.map(formatIssue)).toEqual(["inventory.yaml:3:8 mesh.vni: must be at least 1"]);
    expect(e.message.split("\n")[0]).toBe("inventory inventory.yaml has 1 problem:");
  });

  it("a missing file, with or without warnings wanted: the inventory and the file named", async () => {
    const file = "test/fixtures/inventories/nope.yaml";
    const want = `cannot read inventory ${file}: no such file`;
    expect((await rejection(loadInventory(file))).message).toBe(want);
    expect((await rejection(loadCheckedInventory(file))).message).toBe(want);
  });

  it("a file that is not readable for another reason says why", async () => {
    const e = await rejection(loadInventory("test/fixtures/inventories"));
    expect(e.kind).toBe("invalid-input");
    expect(e.message).toBe(
      "cannot read inventory test/fixtures/inventories: Error: EISDIR: illegal operation on a directory, read",
    );
  });

  it("a file over 16 MiB is refused unread; one of exactly 16 MiB is read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshctl-big-"));
    try {
      const file = join(dir, "inventory.yaml");
      const comment = (length: number) => `#${"x".repeat(length - 2)}\n`;
      writeFileSync(file, comment(16 * 2 ** 20 + 1));
      const big = await rejection(loadInventory(file));
      expect(big).toBeInstanceOf(InputError);
      expect((big as InputError).issues).toEqual([
        { file, line: 1, col: 1, path: "", message: "the file is larger than 16 MB: refused" },
      ]);
      writeFileSync(file, comment(16 * 2 ** 20));
      const read = await rejection(loadInventory(file));
      expect((read as InputError).issues.map((i) => i.message)).toEqual([
        'missing required key "mesh"',
        'missing required key "clusters"',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an InputError without warnings has none; one without issues names no file", () => {
    expect(errorOf("mesh: [\n", "t.yaml").warnings).toEqual([]);
    const empty = new InputError("playbook", []);
    expect(empty.message).toBe("playbook  has 0 problems:");
    expect(empty.warnings).toEqual([]);
  });
});

describe("YAML errors: the caret under what is wrong", () => {
  it("as wide as the error when it lies on one line, with no hint for a rarer error", () => {
    const [issue] = errorOf(doc({ mesh: "  vni: !!str !!int 5\n" }), "t.yaml").issues;
    expect(issue?.message).toBe("YAML: A node can have at most one tag");
    expect(formatIssue(issue as never)).toBe(
      [
        "t.yaml:3:14: YAML: A node can have at most one tag",
        "    2 |   overlay: 10.99.0.0/24",
        "    3 |   vni: !!str !!int 5",
        "      |              ^^^^^",
      ].join("\n"),
    );
  });

  it("one wide when the error runs on to the next line", () => {
    const [issue] = errorOf('"mesh\n  x": 1\n', "t.yaml").issues;
    expect(formatIssue(issue as never)).toBe(
      ["t.yaml:1:1: YAML: Implicit keys need to be on a single line", '    1 | "mesh', "      | ^"].join(
        "\n",
      ),
    );
  });
});

describe("aliases", () => {
  it("an alias without its anchor is named and located at the alias, not called an alias bomb", () => {
    const [issue] = errorOf("mesh:\n  overlay: 10.99.0.0/24\n  vni: *nope\n", "t.yaml").issues;
    expect(formatIssue(issue as never)).toBe(
      [
        "t.yaml:3:8: YAML: Unresolved alias (the anchor must be set before the alias): nope",
        "    2 |   overlay: 10.99.0.0/24",
        "    3 |   vni: *nope",
        "      |        ^",
      ].join("\n"),
    );
  });

  it("the alias located is the one without an anchor, not an earlier one that has it", () => {
    const [issue] = errorOf("mesh:\n  overlay: &o 10.99.0.0/24\n  x: *o\n  vni: *nope\n", "t.yaml").issues;
    expect([issue?.line, issue?.col]).toEqual([4, 8]);
  });

  it("an alias bomb is refused as one, at the top of the file", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]"];
    bomb.push(
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    );
    const [issue] = errorOf(`${bomb.join("\n")}\n`, "t.yaml").issues;
    expect(formatIssue(issue as never)).toBe(
      "t.yaml:1:1: YAML: Excessive alias count indicates a resource exhaustion attack (refused: too many alias expansions)",
    );
  });
});

describe("positions", () => {
  it("a problem inside an aliased list is located at the alias", () => {
    const e = errorOf(
      doc({ cluster: "    test_endpoints: &eps [10.1.0.5]\n", node: ", pod_blocks: *eps" }),
      "t.yaml",
    );
    expect(e.issues.map(formatIssue)).toEqual([
      't.yaml:9:56 clusters[0].nodes[0].pod_blocks[0]: "10.1.0.5" is not an IPv4 CIDR (expected a.b.c.d/len)',
    ]);
  });

  it("an empty key (`: 5`) is located on its own line, not at its map", () => {
    const e = errorOf(doc({ mesh: "  : 5\n" }), "t.yaml");
    expect(e.issues.map((i) => [i.line, i.message])).toEqual([[3, 'unknown key ""']]);
  });

  it("a key named undefined does not move another problem of its map", () => {
    const e = errorOf(
      `mesh: {overlay: 10.99.0.0/24}
clusters:
  - name: west
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes_from: kubernetes
    nodes:
      - name: west-cp
        undefined: 1
`,
      "t.yaml",
    );
    expect(e.issues.map(formatIssue)).toEqual([
      "t.yaml:8:9 clusters[0].nodes[0]: control node west-cp needs host: meshctl connects to it to read the cluster's nodes",
      't.yaml:9:9 clusters[0].nodes[0].undefined: unknown key "undefined"',
    ]);
  });
});

describe("field texts", () => {
  it("paths may hold spaces but no DEL; a host starting with digits may be a DNS name", () => {
    const inv = loadInventoryText(
      doc({
        mesh: '  ssh: {identity_file: "/keys/a key"}\n',
        node: ", host: 1.example.com, underlay_ip: 192.168.0.21",
      }).replace("host: 192.168.0.21, ", ""),
      "t.yaml",
    );
    const n = inv.clusters[0]?.nodes[0];
    expect(n?.ssh.identityFile).toBe("/keys/a key");
    expect(n?.ssh.host).toBe("1.example.com");
    expect(
      errorOf(doc({ mesh: '  ssh: {known_hosts: "/k\\x7f"}\n' }), "t.yaml").issues.map(formatIssue),
    ).toEqual([
      "t.yaml:3:22 mesh.ssh.known_hosts: must not contain control characters (newline, tab, NUL, …)",
    ]);
  });

  it("a route protocol someone owns: whose it is, and every number taken", () => {
    expect(errorOf(doc({ mesh: "  route_protocol: 12\n" }), "t.yaml").issues.map((i) => i.message)).toEqual([
      "route protocol 12 belongs to BIRD (Calico's BGP daemon included): meshctl deletes every route carrying its protocol on teardown, so choose a number nobody uses (default 77; taken: 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 42, 80, 99, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198)",
    ]);
  });

  it("a public overlay: the warning names every private range", () => {
    const e = errorOf(doc({ node: ", mac: zz" }).replace("10.99.0.0/24", "8.8.0.0/16"), "t.yaml");
    expect(e.warnings.map(formatIssue)).toEqual([
      "t.yaml:2:12 mesh.overlay: overlay 8.8.0.0/16 is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 198.18.0.0/15): its addresses belong to someone on the internet, whom the mesh nodes can then no longer reach",
    ]);
  });

  it("a null list item and a map where a number belongs are said as such", () => {
    const e = errorOf(doc({ mesh: "  vni: {a: 1}\n", node: ", pod_blocks: [~]" }), "t.yaml");
    expect(e.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "mesh.vni: expected a number, not a map",
      "clusters[0].nodes[0].pod_blocks[0]: expected a string, not null",
    ]);
  });
});

describe("inventoryMessage and missingKey: zod's rarer issues", () => {
  it("a string is quoted whole up to 40 characters, cut with … beyond", () => {
    const say = (input: string) => inventoryMessage({ code: "invalid_type", expected: "number", input });
    expect(say("x".repeat(40))).toBe(`expected a number, not the string "${"x".repeat(40)}"`);
    expect(say(`${"y".repeat(40)}z`)).toBe(`expected a number, not the string "${"y".repeat(40)}…"`);
  });

  it("undefined where no key is named: said as undefined, not as a map", () => {
    expect(inventoryMessage({ code: "invalid_type", expected: "string", path: ["a", 0] })).toBe(
      "expected a string, not undefined",
    );
  });

  it("missingKey speaks only of an absent or empty key of a map", () => {
    expect(missingKey({ code: "invalid_type", path: ["mesh", "overlay"] })).toBe(
      'missing required key "overlay"',
    );
    expect(missingKey({ code: "invalid_type", path: ["mesh", "overlay"], input: null })).toBe(
      '"overlay" has no value',
    );
    expect(missingKey({ code: "too_small", path: ["mesh", "overlay"] })).toBeUndefined();
    expect(missingKey({ code: "invalid_type", path: ["pod_blocks", 0] })).toBeUndefined();
  });

  it("a size bound of a string or a list, and a choice without choices, keep zod's own message", () => {
    expect(
      inventoryMessage({ code: "too_big", origin: "string", maximum: 15, inclusive: true }),
    ).toBeUndefined();
    expect(
      inventoryMessage({ code: "too_big", origin: "array", maximum: 3, inclusive: true }),
    ).toBeUndefined();
    expect(inventoryMessage({ code: "too_big", origin: "number", maximum: 3, inclusive: false })).toBe(
      "must be less than 3",
    );
    expect(inventoryMessage({ code: "invalid_value", input: "x" })).toBeUndefined();
    expect(inventoryMessage({ code: "invalid_value", input: "x", values: [] })).toBeUndefined();
  });
});
