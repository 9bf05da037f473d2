import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/inventory/errors.js";
import { planShape, shellSteps } from "../../src/plan/shape.js";
import { loadPlaybook, shippedPlaybook } from "../../src/playbook/load.js";

const dir = mkdtempSync(join(tmpdir(), "meshctl-playbook-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
async function load(text: string) {
  const file = join(dir, `p${n++}.yaml`);
  writeFileSync(file, text);
  return loadPlaybook(file);
}
async function issues(text: string): Promise<string[]> {
  try {
    await load(text);
  } catch (e) {
    if (e instanceof InputError) return e.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("the playbook loaded");
}

describe("shipped playbooks", () => {
  it("mesh: the node steps in Flannel's order, then boot persistence, then the pools", async () => {
    const shape = planShape(await loadPlaybook(shippedPlaybook("mesh")));
    expect(shape.steps).toEqual([
      { kind: "phase", phase: "device" },
      { kind: "phase", phase: "prune" },
      { kind: "phase", phase: "fdb" },
      { kind: "phase", phase: "program" },
      { kind: "persist", state: "present" },
    ]);
    expect(shape.pools).toBe("present");
    expect(shellSteps(shape)).toEqual([]);
  });

  it("teardown: pools absent, boot persistence removed, then routes and device", async () => {
    const shape = planShape(await loadPlaybook(shippedPlaybook("teardown")));
    expect(shape).toEqual({
      steps: [{ kind: "persist", state: "absent" }, { kind: "teardown" }],
      pools: "absent",
    });
  });
});

describe("playbook validation", () => {
  it("accepts a site shell step and keeps it in place", async () => {
    const pb = await load(`name: x
steps:
  - { name: d, hosts: nodes, builtin: vxlan-device }
  - name: site
    hosts: nodes
    shell: { check: "true", apply: "true", undo: "true" }
  - { name: f, hosts: nodes, builtin: fdb }
`);
    expect(planShape(pb).steps.map((s) => s.kind)).toEqual(["phase", "shell", "phase"]);
    // The shell steps alone, in order, as the run checks them on each node.
    expect(shellSteps(planShape(pb))).toEqual([
      {
        name: "site",
        hosts: "nodes",
        state: "present",
        timeout: 60,
        shell: { check: "true", apply: "true", undo: "true" },
      },
    ]);
  });

  it("reports every problem at once with file positions", async () => {
    const found = await issues(`name: x
steps:
  - { name: n, hosts: nodes, builtin: neighbours-routes }
  - { name: f, hosts: nodes, builtin: fdb }
  - { name: f, hosts: control, builtin: vxlan-device }
  - { name: p, hosts: nodes, builtin: ippools }
  - { name: t, hosts: nodes, builtin: teardown }
`);
    expect(found).toEqual([
      "4:39 steps[1].builtin: fdb must come after neighbours-routes (vxlan-device → stale-entries → fdb → neighbours-routes)",
      '5:13 steps[2].name: duplicate step name "f"',
      "5:23 steps[2].hosts: builtin vxlan-device runs on nodes hosts",
      "5:41 steps[2].builtin: vxlan-device must come after neighbours-routes (vxlan-device → stale-entries → fdb → neighbours-routes)",
      "6:23 steps[3].hosts: builtin ippools runs on control hosts",
      "7:5 steps[4].state: the teardown step removes: set state: absent",
    ]);
  });

  it("refuses state: absent on a builtin that only builds (only ippools and teardown remove)", async () => {
    const found = await issues(`name: x
steps:
  - { name: d, hosts: nodes, builtin: vxlan-device }
  - { name: f, hosts: nodes, builtin: fdb, state: absent }
  - { name: p, hosts: control, builtin: ippools, state: absent }
`);
    expect(found).toEqual([
      "4:51 steps[1].state: builtin fdb only builds: remove what meshctl made with the teardown step (state: absent)",
    ]);
  });

  it("rejects unknown keys, unknown builtins and a shell step without undo", async () => {
    const found = await issues(`name: x
steps:
  - { name: a, hosts: nodes, builtin: vxlan-device, retries: 3 }
  - { name: b, hosts: nodes, builtin: firewall }
  - name: c
    hosts: nodes
    shell: { check: "true", apply: "true" }
`);
    expect(found).toEqual([
      '3:53 steps[0].retries: unknown key "retries"',
      expect.stringMatching(/^4:39 steps\[1\]\.builtin: Invalid option: expected one of "vxlan-device"\|/),
      '7:12 steps[2].shell.undo: missing required key "undo"',
    ]);
  });

  it("a YAML error is reported with its position", async () => {
    await expect(load("name: x\nsteps: [\n")).rejects.toBeInstanceOf(InputError);
  });
});
