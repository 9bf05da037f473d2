/**
 * The published package: the compiled JavaScript carries no source maps (they would point at src/, which is
 * not shipped), and `npm pack` lists only what package.json's `files` names, with no map among them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "meshctl-pack-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the published package", { timeout: 120_000 }, () => {
  it("the build (tsconfig.build.json) writes no source maps and no sourceMappingURL comments", () => {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", out], { cwd: ROOT });
    const files = readdirSync(out, { recursive: true, encoding: "utf8" });
    expect(files).toContain(join("cli", "main.js"));
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    const js = files.filter((f) => f.endsWith(".js"));
    expect(js.filter((f) => readFileSync(join(out, f), "utf8").includes("sourceMappingURL"))).toEqual([]);
  });

  it("npm pack ships bin, dist, playbooks, schema, man, README and package.json, and no map", () => {
    const [pack] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as [{ files: { path: string }[] }];
    const paths = pack.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["bin/meshctl.js", "man/meshctl.1", "README.md", "package.json"]),
    );
    const allowed = /^(bin|dist|playbooks|schema|man)\/|^(README\.md|package\.json|LICENSE)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith(".map") || p.endsWith(".ts"))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.files).toContain("!dist/**/*.map"); // a map left in dist/ by another build is not shipped
  });
});
