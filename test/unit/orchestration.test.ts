/**
 * The run's orchestration (--atomic, --max-fail, rollback, interruption, a lost connection, a timeout)
 * through in-memory targets: each fake node keeps a state ("before" / "after") that apply and rollback
 * change, so every assertion is about what the nodes end up as, not about what the engine says.
 */
import { describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { driveTarget, newRunState } from "../../src/exec/drive.js";
import type { Party } from "../../src/exec/parties.js";
import { type HostResult, outcomeOf } from "../../src/exec/results.js";
import { planRun, type RunRequest } from "../../src/exec/run-plan.js";
import type { Target } from "../../src/exec/targets.js";
import type { Change } from "../../src/plan/change.js";
import type { Playbook } from "../../src/playbook/schema.js";
import { model } from "../support/builders.js";
import { deferred } from "../support/deferred.js";

const PLAYBOOK: Playbook = {
  name: "nodes only",
  steps: [{ name: "device", hosts: "nodes", builtin: "vxlan-device", state: "present" }],
};

interface Behaviour {
  /** open() rejects with this (an unreachable node, a lost connection before planning, a timeout). */
  openError?: Error;
  /** apply() fails on its second change (the first one ran). */
  applyFails?: boolean;
  /** apply() rejects with this (the connection lost mid-apply). */
  applyError?: Error;
  /** open() waits for this before it returns. */
  openGate?: Promise<void>;
  /** apply() waits for this before it returns. */
  applyGate?: Promise<void>;
  changes?: number;
}

interface FakeNode {
  name: string;
  state: "before" | "half" | "after";
  closed: boolean;
  /** apply() was called (it may still wait at its gate). */
  applying: boolean;
  party: Party;
}

const change = (i: number): Change => ({
  resource: "route",
  key: `198.18.${i}.0/24`,
  action: "create",
  phase: "program",
  forward: [],
  inverse: [],
});

function fakeNode(name: string, b: Behaviour = {}): FakeNode {
  const node: FakeNode = {
    name,
    state: "before",
    closed: false,
    applying: false,
    party: undefined as unknown as Party,
  };
  let sent = 0;
  const target: Target = {
    kind: "node",
    name,
    cluster: "c",
    address: "198.18.0.1",
    plan: () => Array.from({ length: b.changes ?? 2 }, (_, i) => change(i)),
    okCount: () => 0,
    apply: async (changes) => {
      node.applying = true;
      await b.applyGate;
      sent += changes.length;
      if (b.applyError) throw b.applyError;
      if (b.applyFails) {
        node.state = "half";
        return { applied: changes.slice(0, 1), failure: "ip: RTNETLINK answers: File exists", left: [] };
      }
      node.state = "after";
      return { applied: changes, left: [] };
    },
    rollback: async (applied) => {
      sent += applied.length;
      node.state = "before";
      return { restored: true, errors: [] };
    },
    commandsSent: () => sent,
  };
  node.party = {
    id: name,
    kind: "node",
    name,
    cluster: "c",
    address: "198.18.0.1",
    open: async () => {
      await b.openGate;
      if (b.openError) throw b.openError;
      return {
        target,
        close: async () => {
          node.closed = true;
        },
      };
    },
  };
  return node;
}

/** The 4 nodes of the test model (a1, a2, b1, b2), with the behaviours given by name. */
function fleet(behaviours: Record<string, Behaviour> = {}): FakeNode[] {
  return ["a1", "a2", "b1", "b2"].map((n) => fakeNode(n, behaviours[n]));
}

async function runFleet(nodes: FakeNode[], req: Partial<RunRequest> = {}, signal?: AbortSignal) {
  const plan = planRun(model(), { mode: "apply", playbook: PLAYBOOK, forks: 100, ...req });
  const st = newRunState(plan, signal);
  const hosts = await Promise.all(nodes.map((n) => driveTarget(n.party, st, () => undefined)));
  return { hosts, outcome: outcomeOf(plan.policy.mode, hosts, signal?.aborted === true) };
}

const byName = (hosts: HostResult[], name: string) => hosts.find((h) => h.name === name) as HostResult;
const states = (nodes: FakeNode[]) => Object.fromEntries(nodes.map((n) => [n.name, n.state]));

describe("orchestration through in-memory targets", () => {
  it("every target applies, and every session is closed", async () => {
    const nodes = fleet();
    const r = await runFleet(nodes);
    expect(states(nodes)).toEqual({ a1: "after", a2: "after", b1: "after", b2: "after" });
    expect(r.hosts.map((h) => h.status)).toEqual(["changed", "changed", "changed", "changed"]);
    expect(nodes.every((n) => n.closed)).toBe(true);
    expect(r.outcome).toBe("ok");
  });

  it("a node failing part-way is rolled back; the others converge (no --atomic)", async () => {
    const nodes = fleet({ b1: { applyFails: true } });
    const r = await runFleet(nodes);
    expect(states(nodes)).toEqual({ a1: "after", a2: "after", b1: "before", b2: "after" });
    expect(byName(r.hosts, "b1")).toMatchObject({ status: "failed", rollback: { restored: true } });
    expect(byName(r.hosts, "b1").error).toContain("File exists");
    expect(r.outcome).toBe("failed");
  });

  it("--atomic: one node failing undoes every node's changes of the run", async () => {
    const nodes = fleet({ a2: { applyFails: true } });
    const r = await runFleet(nodes, { atomic: true });
    expect(states(nodes)).toEqual({ a1: "before", a2: "before", b1: "before", b2: "before" });
    expect(byName(r.hosts, "a1").status).toBe("rolled-back");
    expect(byName(r.hosts, "a1").rollback?.detail).toContain("--atomic");
    expect(r.outcome).toBe("failed");
  });

  it("--max-fail 0: an unreachable node means nothing is applied anywhere", async () => {
    const down = new MeshctlError("b2: cannot connect to 198.18.0.14:22: no answer", "unreachable");
    const nodes = fleet({ b2: { openError: down } });
    const r = await runFleet(nodes, { maxFail: 0 });
    expect(states(nodes)).toEqual({ a1: "before", a2: "before", b1: "before", b2: "before" });
    expect(byName(r.hosts, "b2").status).toBe("unreachable");
    expect(byName(r.hosts, "a1").error).toBe("not applied: 1 target(s) failed before applying");
    expect(byName(r.hosts, "a1").commandsSent).toBe(0);
    expect(nodes.filter((n) => n.name !== "b2").every((n) => n.closed)).toBe(true);
  });

  it("--max-fail 1: one failure before applying is tolerated", async () => {
    const down = new MeshctlError("b2: unreachable", "unreachable");
    const nodes = fleet({ b2: { openError: down } });
    const r = await runFleet(nodes, { maxFail: 1 });
    expect(states(nodes)).toEqual({ a1: "after", a2: "after", b1: "after", b2: "before" });
    expect(r.outcome).toBe("unreachable");
  });

  it("interrupted: a change set already sent finishes; nothing new starts", async () => {
    const aApply = deferred();
    const bOpen = deferred();
    const nodes = fleet({ a1: { applyGate: aApply.p }, b1: { openGate: bOpen.p } });
    const abort = new AbortController();
    const running = runFleet(nodes, {}, abort.signal);
    // Abort once a1 is applying (b1 is held opening by its gate): a bounded wait for that state.
    const a1 = nodes.find((n) => n.name === "a1") as FakeNode;
    const deadline = Date.now() + 5_000;
    while (!a1.applying && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    expect(a1.applying).toBe(true);
    abort.abort();
    aApply.open();
    bOpen.open();
    const r = await running;
    expect(nodes.find((n) => n.name === "a1")?.state).toBe("after");
    expect(nodes.find((n) => n.name === "b1")?.state).toBe("before");
    expect(byName(r.hosts, "b1").error).toBe("not applied: interrupted");
    expect(r.outcome).toBe("interrupted");
  });

  it("a connection lost mid-apply fails that node, is closed, and --atomic undoes the others", async () => {
    const lost = new MeshctlError(
      "a1: connection to 198.18.0.11:22 lost: no answer to keepalives",
      "unreachable",
    );
    const nodes = fleet({ a1: { applyError: lost } });
    const r = await runFleet(nodes, { atomic: true });
    expect(byName(r.hosts, "a1")).toMatchObject({ status: "failed", error: lost.message });
    expect(nodes.find((n) => n.name === "a1")?.closed).toBe(true);
    for (const n of ["a2", "b1", "b2"]) expect(byName(r.hosts, n).status, n).toBe("rolled-back");
    expect(states(nodes)).toMatchObject({ a2: "before", b1: "before", b2: "before" });
  });

  it("a timeout before planning fails that node (not unreachable) and, with --atomic, blocks the rest", async () => {
    const slow = new MeshctlError("b1: reading facts: no reply within 60 s", "timeout");
    const nodes = fleet({ b1: { openError: slow } });
    const r = await runFleet(nodes, { atomic: true });
    expect(byName(r.hosts, "b1")).toMatchObject({ status: "failed", error: slow.message });
    expect(states(nodes)).toEqual({ a1: "before", a2: "before", b1: "before", b2: "before" });
    expect(byName(r.hosts, "a1").error).toBe("not applied: 1 target(s) failed before applying (--atomic)");
  });

  it("a target that fails with a bug is an internal error, and never leaves the others at a gate", async () => {
    const nodes = fleet({ a1: { openError: new TypeError("x is undefined") } });
    const r = await runFleet(nodes, { atomic: true, maxFail: 3 });
    expect(byName(r.hosts, "a1").error).toBe("internal error: x is undefined");
    expect(states(nodes)).toEqual({ a1: "before", a2: "before", b1: "before", b2: "before" });
  });
});
