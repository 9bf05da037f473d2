/**
 * The stages of a mode switch (#14): every node applies its unstaged changes before any node moves a route
 * onto the tunnel, and all of that before any node retires a device — through in-memory targets that log
 * what they apply, when.
 */
import { describe, expect, it } from "vitest";
import { driveTarget, newRunState } from "../../src/exec/drive.js";
import type { Party } from "../../src/exec/parties.js";
import { planRun } from "../../src/exec/run-plan.js";
import { stagesOf } from "../../src/exec/stages.js";
import type { Target } from "../../src/exec/targets.js";
import type { Change } from "../../src/plan/change.js";
import type { Playbook } from "../../src/playbook/schema.js";
import { model } from "../support/builders.js";

const PLAYBOOK: Playbook = {
  name: "nodes only",
  steps: [{ name: "device", hosts: "nodes", builtin: "vxlan-device", state: "present" }],
};

const change = (key: string, stage?: Change["stage"]): Change => ({
  resource: "route",
  key,
  action: "update",
  phase: "program",
  ...(stage ? { stage } : {}),
  forward: [],
  inverse: [],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fake {
  changes: Change[];
  delayMs?: number;
  fails?: boolean;
}

function party(name: string, f: Fake, log: string[]): Party {
  const target: Target = {
    kind: "node",
    name,
    cluster: "c",
    address: "198.18.0.1",
    plan: () => f.changes,
    okCount: () => 0,
    apply: async (changes) => {
      await sleep(f.delayMs ?? 0);
      if (f.fails) return { applied: [], failure: "ip: RTNETLINK answers: File exists", left: [] };
      for (const c of changes) log.push(`${name} ${c.key}`);
      return { applied: changes, left: [] };
    },
    rollback: async (applied) => {
      log.push(`${name} rollback ${applied.length}`);
      return { restored: true, errors: [] };
    },
    commandsSent: () => 0,
  };
  return {
    id: name,
    kind: "node",
    name,
    cluster: "c",
    address: "198.18.0.1",
    open: async () => ({ target, close: async () => undefined }),
  };
}

async function run(fakes: Record<string, Fake>, atomic = false) {
  const log: string[] = [];
  const plan = planRun(model(), { mode: "apply", playbook: PLAYBOOK, forks: 100, atomic });
  const st = newRunState(plan);
  const hosts = await Promise.all(
    ["a1", "a2", "b1", "b2"].map((n) =>
      driveTarget(party(n, fakes[n] ?? { changes: [] }, log), st, () => {}),
    ),
  );
  return { log, hosts };
}

describe("stagesOf", () => {
  it("unstaged, then switch, then retire, each in its own order", () => {
    const cs = [change("r1", "retire"), change("m1"), change("s1", "switch"), change("m2")];
    expect(stagesOf(cs).map((p) => p.map((c) => c.key))).toEqual([["m1", "m2"], ["s1"], ["r1"]]);
  });
});

describe("a mode switch across nodes", () => {
  const fakes: Record<string, Fake> = {
    a1: { changes: [change("a1-make"), change("a1-switch", "switch")] },
    a2: { changes: [change("a2-make")], delayMs: 40 },
    b1: { changes: [change("b1-retire", "retire"), change("b1-make")] },
    b2: { changes: [change("b2-switch", "switch")], delayMs: 20 },
  };

  for (const atomic of [false, true]) {
    it(`no node switches before every node made, none retires before every node switched${atomic ? " (--atomic)" : ""}`, async () => {
      const { log, hosts } = await run(fakes, atomic);
      expect(hosts.map((h) => h.status)).toEqual(["changed", "changed", "changed", "changed"]);
      const at = (k: string) => log.indexOf(k);
      for (const make of ["a1 a1-make", "a2 a2-make", "b1 b1-make"]) {
        expect(at(make)).toBeLessThan(at("a1 a1-switch"));
        expect(at(make)).toBeLessThan(at("b2 b2-switch"));
      }
      expect(Math.max(at("a1 a1-switch"), at("b2 b2-switch"))).toBeLessThan(at("b1 b1-retire"));
      expect(hosts.find((h) => h.name === "a1")?.applied.map((c) => c.key)).toEqual(["a1-make", "a1-switch"]);
    });
  }

  it("a node that fails its first stage is rolled back; the others are not held at the gates", async () => {
    const { log, hosts } = await run({ ...fakes, a2: { changes: [change("a2-make")], fails: true } });
    expect(hosts.map((h) => `${h.name} ${h.status}`)).toEqual([
      "a1 changed",
      "a2 failed",
      "b1 changed",
      "b2 changed",
    ]);
    expect(log).toContain("a2 rollback 0");
    expect(log).toContain("b1 b1-retire");
  });

  it("a node whose later stage fails rolls back every stage it applied", async () => {
    const log: string[] = [];
    const plan = planRun(model(), { mode: "apply", playbook: PLAYBOOK, forks: 100 });
    const st = newRunState(plan);
    let calls = 0;
    const p = party("a1", { changes: [change("a1-make"), change("a1-retire", "retire")] }, log);
    const opened = await p.open(() => {});
    const t = opened.target;
    const apply = t.apply;
    t.apply = async (cs) => (++calls === 2 ? { applied: [], failure: "boom", left: [] } : apply(cs));
    const others = ["a2", "b1", "b2"].map((n) => driveTarget(party(n, { changes: [] }, log), st, () => {}));
    const mine = await driveTarget({ ...p, open: async () => opened }, st, () => {});
    await Promise.all(others);
    expect(mine.status).toBe("failed");
    expect(log).toEqual(["a1 a1-make", "a1 rollback 1"]);
  });
});
