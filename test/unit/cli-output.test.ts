import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { errorDocument, renderDocument, requestedOutput, SCHEMA_VERSION } from "../../src/cli/output.js";
import { kubectlApply } from "../../src/cli/plan.js";
import { reportError } from "../../src/cli/report-error.js";
import { UsageError } from "../../src/core/errors.js";
import { InputError } from "../../src/inventory/errors.js";
import { applyColourChoice, colourChoice } from "../../src/ui/colour.js";

const ROOT = join(import.meta.dirname, "..", "..");
const argv = (...a: string[]) => ["node", "meshctl", ...a];

describe("requestedOutput: the verb and -o, read from argv in every spelling", () => {
  it.each([
    [["plan", "-o", "json"], "json"],
    [["plan", "--output", "yaml"], "yaml"],
    [["plan", "--output=json"], "json"],
    [["plan", "-ojson"], "json"],
    [["plan", "-o=yaml"], "yaml"],
    [["plan", "-i", "x.yaml"], "text"],
  ])("%j → %s", (args, format) => {
    expect(requestedOutput(argv(...args))).toEqual({ command: "plan", format });
  });
});

describe("the document contract", () => {
  it("json and yaml carry the same document, schemaVersion/command/exitCode first", async () => {
    const doc = { schemaVersion: SCHEMA_VERSION, command: "diff", exitCode: 2, nodes: [{ name: "a" }] };
    const j = await renderDocument("json", doc);
    expect(Object.keys(JSON.parse(j)).slice(0, 3)).toEqual(["schemaVersion", "command", "exitCode"]);
    expect(parseYaml(await renderDocument("yaml", doc))).toEqual(JSON.parse(j));
  });

  it("an invalid inventory's problems are in the error document, located", () => {
    const e = new InputError("inventory", [
      { file: "inv.yaml", line: 3, col: 1, path: "mesh.vni", message: "too big" },
      { file: "inv.yaml", line: 9, col: 5, path: "clusters[0].name", message: "required" },
    ]);
    const d = errorDocument("apply", 3, e);
    expect(d).toMatchObject({
      schemaVersion: 1,
      command: "apply",
      exitCode: 3,
      error: { kind: "invalid-input" },
    });
    expect((d.error as { problems: unknown[] }).problems).toHaveLength(2);
  });
});

describe("reportError", () => {
  afterEach(() => vi.restoreAllMocks());
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      err.push(String(s));
      return true;
    });
    return { out, err };
  };

  it("-o json: the error as the verb's document on stdout, nothing on stderr, exit 3 for an invalid inventory", async () => {
    const { out, err } = capture();
    const e = new InputError("inventory", [{ file: "i.yaml", line: 1, col: 1, path: "", message: "bad" }]);
    const code = await reportError(e, argv("diff", "-i", "i.yaml", "-o", "json"));
    expect(code).toBe(3);
    expect(JSON.parse(out.join(""))).toMatchObject({
      command: "diff",
      exitCode: 3,
      error: { problems: [{ message: "bad" }] },
    });
    expect(err.join("")).toBe("");
  });

  it("text: one line on stderr, nothing on stdout", async () => {
    const { out, err } = capture();
    expect(await reportError(new UsageError("no such node x"), argv("ping"))).toBe(64);
    expect(out.join("")).toBe("");
    expect(err.join("")).toMatch(/error:.* no such node x\n$/);
  });
});

describe("colour: --no-color/--color, then NO_COLOR, then FORCE_COLOR, then the terminal", () => {
  it.each([
    [[], {}, "auto"],
    [[], { NO_COLOR: "1" }, "off"],
    [[], { NO_COLOR: "" }, "auto"], // an empty NO_COLOR does not count (no-color.org)
    [[], { FORCE_COLOR: "1" }, "on"],
    [[], { FORCE_COLOR: "0" }, "off"],
    [[], { NO_COLOR: "1", FORCE_COLOR: "1" }, "off"],
    [["--color"], { NO_COLOR: "1" }, "on"],
    [["--no-color"], { FORCE_COLOR: "3" }, "off"],
    [["--color", "--no-color"], {}, "off"],
  ] as [string[], NodeJS.ProcessEnv, string][])("%j %j → %s", (args, env, want) => {
    expect(colourChoice(argv("diff", ...args), env)).toBe(want);
  });

  it("off is written as both NO_COLOR (colorette/listr2) and FORCE_COLOR=0 (chalk)", () => {
    const env: NodeJS.ProcessEnv = { FORCE_COLOR: "1" };
    applyColourChoice("off", env);
    expect(env).toEqual({ NO_COLOR: "1", FORCE_COLOR: "0" });
    const on: NodeJS.ProcessEnv = { NO_COLOR: "1" };
    applyColourChoice("on", on);
    expect(on).toEqual({ FORCE_COLOR: "1" });
  });

  it("chalk, loaded after the choice is written into the environment, honours it (even with FORCE_COLOR=3)", () => {
    const script = [
      'import { applyColourChoice } from "./src/ui/colour.ts";',
      'applyColourChoice("off");',
      'const { default: chalk } = await import("chalk");',
      "process.stdout.write(String(chalk.level));",
    ].join("\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: "3", NO_COLOR: "" },
      encoding: "utf8",
    });
    expect(r.stdout, r.stderr).toBe("0");
  });
});

describe("plan: the kubectl command meshctl really runs", () => {
  it("kubeconfig as KUBECONFIG, context as --context, both quoted; neither when unset", () => {
    expect(kubectlApply({ kubeconfig: "/etc/kubernetes/admin.conf", context: "prod a" })).toBe(
      "KUBECONFIG='/etc/kubernetes/admin.conf' kubectl --context 'prod a' apply --server-side --field-manager=meshctl --force-conflicts -f -",
    );
    expect(kubectlApply({})).toBe(
      "kubectl apply --server-side --field-manager=meshctl --force-conflicts -f -",
    );
  });
});
