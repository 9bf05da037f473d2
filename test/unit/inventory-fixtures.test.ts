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

  it("there is a bad fixture for every problem class", () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
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
    await expect(loadInventory("inventories/seed.yaml")).resolves.toBeDefined();
  });
});
