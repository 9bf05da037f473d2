/**
 * Table-driven: every file in test/fixtures/inventories/bad starts with `# expect: <line>:<col> <path> <message
 * substring>` lines (path `-` for the document itself), and loading it must report exactly those issues, all
 * at once. Every file in good/ must load.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError, type InputIssue } from "../../src/inventory/errors.js";
import { loadInventory } from "../../src/inventory/load.js";

const ROOT = "test/fixtures/inventories";
const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".yaml"))
    .sort();

interface Expected {
  line: number;
  col: number;
  path: string;
  message: string;
}

function expectations(text: string): Expected[] {
  const out: Expected[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    const m = /^# expect: (\d+):(\d+) (\S+) (.+)$/.exec(line);
    if (!m) continue;
    out.push({
      line: Number(m[1]),
      col: Number(m[2]),
      path: m[3] === "-" ? "" : (m[3] as string),
      message: m[4] as string,
    });
  }
  return out;
}

async function issuesOf(file: string): Promise<InputIssue[]> {
  try {
    await loadInventory(file);
  } catch (e) {
    if (e instanceof InputError) return e.issues;
    throw e;
  }
  throw new Error(`${file} loaded without problems`);
}

const key = (i: { line: number; col: number; path: string }) => `${i.line}:${i.col} ${i.path || "-"}`;

describe("bad inventories report exactly the expected issues", () => {
  const files = yamlFiles("bad");

  // README "Validation": each problem class it names, the fixture that shows it, and a message it expects.
  const CLASSES: [string, string, RegExp][] = [
    ["YAML syntax", "yaml-syntax.yaml", /^YAML: /],
    ["only the first YAML error (a tab)", "yaml-tab.yaml", /^YAML: Tabs are not allowed as indentation/],
    [
      "a misspelt required key, once",
      "misspelt-required-keys.yaml",
      /^unknown key "pod_cdir" — did you mean "pod_cidr"\?$/,
    ],
    ["a mistyped control beside a bad MAC", "control-typo-beside-bad-mac.yaml", /did you mean "east-1"\?$/],
    ["duplicate keys", "yaml-duplicate-key.yaml", /Map keys must be unique/],
    ["unknown keys (with did you mean)", "unknown-keys.yaml", /unknown key "vnii" — did you mean "vni"\?/],
    ["types", "wrong-types.yaml", /^expected a number, not the string "ten"$/],
    [
      "non-canonical networks",
      "cidr-not-network.yaml",
      /is not a network address: did you mean 10\.10\.0\.0\/16\?/,
    ],
    ["overlapping pod/service CIDRs", "cluster-cidr-overlap.yaml", /overlaps cluster east pod_cidr/],
    ["blocks outside their cluster's pod CIDR", "pod-blocks.yaml", /is not inside cluster east's pod/],
    ["overlapping blocks", "pod-blocks.yaml", /overlaps node east-1's block/],
    [
      "test endpoints outside their cluster's pod CIDR",
      "test-endpoint-outside.yaml",
      /^test endpoint 10\.12\.0\.5 is not inside cluster east's pod_cidr 10\.10\.0\.0\/16$/,
    ],
    ["an overlay that overlaps a CIDR", "overlay-overlaps.yaml", /^overlay 10\.0\.0\.0\/8 overlaps cluster/],
    [
      "an overlay that contains a node's address",
      "overlay-overlaps.yaml",
      /^overlay 10\.0\.0\.0\/8 contains node east-1's SSH and underlay address/,
    ],
    ["duplicate names", "duplicates.yaml", /duplicate cluster name east/],
    ["duplicate hosts", "duplicates.yaml", /duplicate SSH address/],
    ["duplicate overlay IPs", "duplicates.yaml", /overlay IP 179\.17\.9\.1 of node node-2 collides/],
    ["duplicate MACs", "mac-collision.yaml", /collides with node east-1's/],
    ["multicast MACs", "mac.yaml", /is a multicast MAC/],
    ["all-zero MACs", "mac.yaml", /the all-zero MAC/],
    ["bad VNI", "vni-zero.yaml", /^must be at least 1$/],
    ["bad port", "port-calico.yaml", /4789 is Calico's/],
    ["bad MTU", "mtu-type.yaml", /must be "auto" or a number/],
    ["bad interface names", "ifname.yaml", /longer than 15 characters/],
    [
      "a control node of another cluster",
      "control-other-cluster.yaml",
      /control node west-1 is not a node of cluster east/,
    ],
  ];

  it.each(CLASSES)("there is a bad fixture for %s, and it is reported", async (_class, file, message) => {
    expect(files).toContain(file);
    const issues = await issuesOf(join(ROOT, "bad", file));
    expect(issues.map((i) => i.message)).toContainEqual(expect.stringMatching(message));
  });

  for (const f of files) {
    it(f, async () => {
      const file = join(ROOT, "bad", f);
      const expected = expectations(readFileSync(file, "utf8"));
      expect(expected.length, "the fixture declares its expected issues").toBeGreaterThan(0);
      const actual = await issuesOf(file);
      // The same set of locations (with multiplicity) ...
      expect(actual.map(key).sort()).toEqual(expected.map(key).sort());
      // ... and each expected message matched by a distinct actual issue at that location.
      const unmatched = [...actual];
      for (const e of expected) {
        const i = unmatched.findIndex((a) => key(a) === key(e) && a.message.includes(e.message));
        expect(
          i,
          `no issue at ${key(e)} mentions "${e.message}"; got:\n${actual.map((a) => `${key(a)} ${a.message}`).join("\n")}`,
        ).toBeGreaterThanOrEqual(0);
        unmatched.splice(i, 1);
      }
      for (const a of actual) expect(a.file).toBe(file);
    });
  }

  it("issues are sorted by position and the error exits with code 3", async () => {
    const file = join(ROOT, "bad", "several-problems.yaml");
    const err = await loadInventory(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const issues = (err as InputError).issues;
    const positions = issues.map((i) => i.line * 1000 + i.col);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect((err as InputError).kind).toBe("invalid-input");
    expect((err as InputError).message).toContain(`has ${issues.length} problems`);
    expect((err as InputError).message).toContain(`${file}:15:3 mesh.prot: unknown key "prot"`);
  });
});

describe("good inventories load", () => {
  for (const f of yamlFiles("good")) {
    it(f, async () => {
      const inv = await loadInventory(join(ROOT, "good", f));
      expect(inv.clusters.length).toBeGreaterThan(0);
    });
  }

  it("the seed inventory loads", async () => {
    const inv = await loadInventory("inventories/seed.yaml");
    expect(inv.clusters.map((c) => [c.name, c.nodes.map((n) => n.name)])).toEqual([
      ["test-cluster1", ["multicluster-test-001", "multicluster-test-002"]],
      ["test-cluster2", ["multicluster-test-003", "multicluster-test-004"]],
      ["test-cluster3", ["multicluster-test-005", "multicluster-test-006"]],
    ]);
  });
});
