/**
 * The run's orchestration end to end — engine, node targets, NodeSession and the driver's protocol —
 * against in-memory nodes (test/support/fake-node.ts): --atomic, --max-fail, rollback of the other nodes,
 * interruption, a connection lost after a change set was sent, a timeout. Every assertion is about the
 * state the nodes end in and what was sent to them, not only about what the engine reports.
 */
import { describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { type HostResult, planRun, type RunRequest, run } from "../../src/exec/engine.js";
import type { Playbook } from "../../src/playbook/schema.js";
import { model } from "../support/builders.js";
import { deferred } from "../support/deferred.js";
import { FakeConnector, type FakeNode, fakeFleet, type NodeBehaviour } from "../support/fake-node.js";

const PLAYBOOK: Playbook = {
  name: "nodes only",
  steps: [{ name: "mesh", hosts: "nodes", builtin: "vxlan-device", state: "present" }],
};

async function runFleet(
  behaviours: Record<string, NodeBehaviour> = {},
  req: Partial<RunRequest> = {},
  signal?: AbortSignal,
  nodes?: Map<string, FakeNode>,
) {
  const m = model();
  const fleet = nodes ?? fakeFleet(m.nodes, behaviours);
  const plan = planRun(m, { mode: "apply", playbook: PLAYBOOK, forks: 100, confirmTimeoutSec: 0, ...req });
  const result = await run(plan, { connector: new FakeConnector(fleet), ...(signal ? { signal } : {}) });
  const states = Object.fromEntries([...fleet].map(([name, n]) => [name, n.state]));
  return { ...result, fleet, states };
}

const host = (hosts: HostResult[], name: string) => hosts.find((h) => h.name === name) as HostResult;
const node = (fleet: Map<string, FakeNode>, name: string) => fleet.get(name) as FakeNode;
const sent = (n: FakeNode) => n.requests.filter((r) => r === "run" || r === "journal");
const ALL_BEFORE = { a1: "before", a2: "before", b1: "before", b2: "before" };

describe("orchestration over the driver's protocol (in-memory nodes)", () => {
  it("every node converges, each change set journaled then committed, every session closed", async () => {
    const r = await runFleet();
    expect(r.states).toEqual({ a1: "after", a2: "after", b1: "after", b2: "after" });
    expect(r.hosts.map((h) => h.status)).toEqual(["changed", "changed", "changed", "changed"]);
    const a1 = node(r.fleet, "a1");
    expect(a1.requests[0]).toBe("journal");
    expect(a1.requests.slice(-3)).toEqual(["readback", "commit", "quit"]);
    expect([...r.fleet.values()].every((n) => n.open === 0)).toBe(true);
    expect(r.outcome).toBe("ok");

    // Run again on the converged nodes: nothing is sent, nothing journaled.
    const again = await runFleet({}, {}, undefined, r.fleet);
    expect(again.hosts.map((h) => h.status)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(again.hosts.every((h) => h.commandsSent === 0)).toBe(true);
    expect(a1.requests.slice(-1)).toEqual(["quit"]);
  });

  it("a node failing part-way is rolled back by forced inverses; the others converge (no --atomic)", async () => {
    const r = await runFleet({ b1: { applyFails: "RTNETLINK answers: File exists" } });
    expect(r.states).toEqual({ a1: "after", a2: "after", b1: "before", b2: "after" });
    expect(host(r.hosts, "b1")).toMatchObject({ status: "failed", rollback: { restored: true } });
    expect(host(r.hosts, "b1").error).toContain("File exists");
    expect(node(r.fleet, "b1").requests).toContain("force");
    expect(r.outcome).toBe("failed");
  });

  it("--atomic: one node failing undoes every other node's change set", async () => {
    const r = await runFleet({ a2: { applyFails: "RTNETLINK answers: Invalid argument" } }, { atomic: true });
    expect(r.states).toEqual(ALL_BEFORE);
    for (const n of ["a1", "b1", "b2"]) {
      expect(host(r.hosts, n).status, n).toBe("rolled-back");
      expect(node(r.fleet, n).requests, n).toContain("force");
    }
    expect(host(r.hosts, "a1").rollback?.detail).toContain("--atomic");
    expect(r.outcome).toBe("failed");
  });

  it("--max-fail 0: an unreachable node means no change set is sent anywhere", async () => {
    const down = new MeshctlError("b2: cannot connect to 198.18.0.14:22: no answer", "unreachable");
    const r = await runFleet({ b2: { connectError: down } }, { maxFail: 0 });
    expect(r.states).toEqual(ALL_BEFORE);
    expect(host(r.hosts, "b2").status).toBe("unreachable");
    expect(host(r.hosts, "a1").error).toBe("not applied: 1 target(s) failed before applying");
    expect([...r.fleet.values()].flatMap(sent)).toEqual([]);
    expect([...r.fleet.values()].every((n) => n.open === 0)).toBe(true);
  });

  it("--max-fail 1: one node failing before applying is tolerated, the others converge", async () => {
    const down = new MeshctlError("b2: unreachable", "unreachable");
    const r = await runFleet({ b2: { connectError: down } }, { maxFail: 1 });
    expect(r.states).toEqual({ a1: "after", a2: "after", b1: "after", b2: "before" });
    expect(r.outcome).toBe("unreachable");
  });

  it("interrupted (first Ctrl-C / SIGTERM): a change set already sent finishes; no node starts one after", async () => {
    const a1Apply = deferred();
    const b1Connect = deferred();
    const abort = new AbortController();
    const fleet = fakeFleet(model().nodes, {
      a1: { applyGate: a1Apply.p },
      b1: { connectGate: b1Connect.p },
    });
    const running = runFleet({}, {}, abort.signal, fleet);
    // a1's change set is sent (its journal is kept), b1 is still connecting.
    while (!node(fleet, "a1").requests.includes("journal")) await new Promise((r) => setTimeout(r, 1));
    abort.abort();
    a1Apply.open();
    b1Connect.open();
    const r = await running;
    expect(r.states.a1).toBe("after");
    expect(r.states.b1).toBe("before");
    expect(sent(node(r.fleet, "b1"))).toEqual([]);
    expect(host(r.hosts, "b1").error).toBe("not applied: interrupted");
    expect(r.outcome).toBe("interrupted");
  });

  it("a connection lost after the change set was sent: the node undoes it by itself, and --atomic undoes the others", async () => {
    const r = await runFleet({ a1: { loseAfterSend: true } }, { atomic: true });
    const a1 = host(r.hosts, "a1");
    expect(a1.status).toBe("failed");
    expect(a1.error).toMatch(
      /^lost contact after the change; reverted by the node \(connection to 198\.18\.0\.11:22 lost/,
    );
    expect(a1.rollback).toEqual({
      restored: true,
      detail:
        "reverted by the node when its session ends: back at its prior state (checked over a new connection)",
    });
    expect(r.states).toEqual(ALL_BEFORE);
    for (const n of ["a2", "b1", "b2"]) expect(host(r.hosts, n).status, n).toBe("rolled-back");
    // The node was reached again over a new connection to see that it had undone the change set.
    expect(node(r.fleet, "a1").sessions).toBe(2);
    expect([...r.fleet.values()].every((n) => n.open === 0)).toBe(true);
  });

  it("a timeout waiting for the facts fails that node as a timeout (not unreachable); with --atomic nothing is applied", async () => {
    const r = await runFleet({ b1: { factsHang: true } }, { atomic: true });
    expect(host(r.hosts, "b1").status).toBe("failed");
    expect(host(r.hosts, "b1").error).toMatch(/gathering facts: no answer in time/);
    expect(r.states).toEqual(ALL_BEFORE);
    expect([...r.fleet.values()].flatMap(sent)).toEqual([]);
    expect(host(r.hosts, "a1").error).toBe("not applied: 1 target(s) failed before applying (--atomic)");
  });
});
