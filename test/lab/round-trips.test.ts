/**
 * README "How it works": round trips per node do not grow with the number of peers — diff 1 (facts), apply 2
 * (facts; every batch + the read-back), a failure 1 more (the inverses + read-back); commit-confirmed adds
 * its `confirm` — and per cluster 1 kubectl run to read, 1 to apply and read back. Counted on the real
 * conversation: the engine run as the CLI runs it (same plan, real SSH connector, real lab nodes and
 * kubectl), through a connector that records every session opened, every request written to it and every
 * command run. A round trip is a session opened (its reply: the facts) or a request the controller then
 * waits on. Not counted: the site checks, written with the session's start and answered after the facts
 * (the same round trip), and `commit`/`quit` at the end, which nothing waits on.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Mode, planRun, type RunResult, run } from "../../src/exec/engine.js";
import { createSshConnector } from "../../src/exec/ssh/index.js";
import type { Connection, Connector, RemoteSession } from "../../src/exec/ssh/types.js";
import { loadInventory } from "../../src/inventory/load.js";
import { buildModel } from "../../src/model/build.js";
import { loadPlaybook, shippedPlaybook } from "../../src/playbook/load.js";
import { useLab } from "./helpers/cli.js";

const lab = useLab("round-trips", { clusters: 2, nodesPerCluster: 2, kubeApi: true });

/** What one connection did: requests are the first word of each write to a session ("journal", "confirm", …). */
interface Conversation {
  name: string;
  sessions: number;
  requests: string[];
  execs: number;
}

function recording(inner: Connector, log: Conversation[]): Connector {
  const wrapSession = (s: RemoteSession, c: Conversation): RemoteSession => ({
    write: (text) => {
      c.requests.push(String(text).split(/\s/, 1)[0] as string);
      s.write(text);
    },
    readLine: (ms) => s.readLine(ms),
    end: () => s.end(),
    kill: () => s.kill(),
    get done() {
      return s.done;
    },
  });
  return {
    async connect(name, target) {
      const conn = await inner.connect(name, target);
      const c: Conversation = { name, sessions: 0, requests: [], execs: 0 };
      log.push(c);
      const wrapped: Connection = {
        node: conn.node,
        target: conn.target,
        closed: conn.closed,
        close: () => conn.close(),
        exec: (script, opts) => {
          c.execs++;
          return conn.exec(script, opts);
        },
        session: async (script, opts) => {
          c.sessions++;
          return wrapSession(await conn.session(script, opts), c);
        },
      };
      return wrapped;
    },
    ...(inner.probe ? { probe: inner.probe.bind(inner) } : {}),
    closeAll: () => inner.closeAll(),
  };
}

/** The round trips of each node: its session, and each request it waits on (not checks, commit, quit). */
const roundTrips = (log: Conversation[]) =>
  Object.fromEntries(
    log
      .filter((c) => c.sessions > 0)
      .map((c) => [
        c.name,
        c.sessions + c.requests.filter((r) => !["check", "commit", "quit"].includes(r)).length,
      ]),
  );
/** kubectl runs on each cluster's control connection. */
const kubectlRuns = (log: Conversation[]) =>
  Object.fromEntries(log.filter((c) => c.execs > 0).map((c) => [c.name, c.execs]));

async function runCounted(
  mode: Mode,
  opts: { confirmTimeoutSec?: number; playbook?: string } = {},
): Promise<{ result: RunResult; log: Conversation[] }> {
  const inv = await loadInventory(lab.info.inventory);
  const playbook = await loadPlaybook(
    opts.playbook ?? shippedPlaybook(mode === "teardown" ? "teardown" : "mesh"),
  );
  const plan = planRun(buildModel(inv), {
    mode,
    playbook,
    forks: 100,
    ...(opts.confirmTimeoutSec === undefined ? {} : { confirmTimeoutSec: opts.confirmTimeoutSec }),
  });
  const log: Conversation[] = [];
  const connector = recording(createSshConnector({ forks: 100, agentSocket: null }), log);
  try {
    return { result: await run(plan, { connector }), log };
  } finally {
    connector.closeAll();
  }
}

const NODES = ["c1-node1", "c1-node2", "c2-node1", "c2-node2"];
const each = (n: number) => Object.fromEntries(NODES.map((x) => [x, n]));

describe("round trips per node and kubectl runs per cluster, counted", () => {
  it("a fresh apply: 2 per node without commit-confirmed, its confirm adds 1; 2 kubectl runs per cluster", async () => {
    expect((await runCounted("teardown", { confirmTimeoutSec: 0 })).result.outcome).toBe("ok");
    const plain = await runCounted("apply", { confirmTimeoutSec: 0 });
    expect(plain.result.hosts.map((h) => [h.name, h.status])).toEqual(
      expect.arrayContaining(NODES.map((n) => [n, "changed"])),
    );
    expect(roundTrips(plain.log)).toEqual(each(2));
    expect(kubectlRuns(plain.log)).toEqual({ "c1-node1": 2, "c2-node1": 2 });
    // one SSH login per node: each cluster's kubectl rides its control node's connection (#15)
    expect(plain.log.map((c) => c.name).sort()).toEqual(NODES);

    expect((await runCounted("teardown", { confirmTimeoutSec: 0 })).result.outcome).toBe("ok");
    const confirmed = await runCounted("apply");
    expect(confirmed.result.outcome).toBe("ok");
    expect(roundTrips(confirmed.log)).toEqual(each(3));
    for (const c of confirmed.log.filter((x) => x.sessions > 0))
      expect(
        c.requests.filter((r) => r === "confirm"),
        c.name,
      ).toHaveLength(1);
  }, 120_000);

  it("diff: 1 per node and 1 kubectl run per cluster; apply on a converged mesh the same, nothing sent", async () => {
    const diff = await runCounted("diff");
    expect(diff.result.outcome).toBe("ok");
    expect(roundTrips(diff.log)).toEqual(each(1));
    expect(kubectlRuns(diff.log)).toEqual({ "c1-node1": 1, "c2-node1": 1 });
    const again = await runCounted("apply");
    expect(again.result.hosts.every((h) => h.commandsSent === 0)).toBe(true);
    expect(roundTrips(again.log)).toEqual(each(1));
    expect(kubectlRuns(again.log)).toEqual({ "c1-node1": 1, "c2-node1": 1 });
  }, 120_000);

  it("a node that fails: 1 more round trip (the rollback), with or without its confirm", async () => {
    const pb = join(lab.dir, "fails-on-c1-node1.yaml");
    writeFileSync(
      pb,
      `name: fails on c1-node1
steps:
  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
  - name: refuse on c1-node1
    hosts: nodes
    shell: { check: "false", apply: '[ "$MESHCTL_NODE" != c1-node1 ]', undo: "true" }
`,
    );
    for (const [confirmTimeoutSec, ok, failed] of [
      [0, 2, 3],
      [30, 3, 4],
    ] as const) {
      expect((await runCounted("teardown", { confirmTimeoutSec: 0 })).result.outcome).toBe("ok");
      const r = await runCounted("apply", { confirmTimeoutSec, playbook: pb });
      const c1 = r.result.hosts.find((h) => h.name === "c1-node1");
      expect(c1?.status).toBe("failed");
      expect(c1?.rollback?.restored).toBe(true);
      expect(roundTrips(r.log), `--confirm-timeout ${confirmTimeoutSec}`).toEqual({
        ...each(ok),
        "c1-node1": failed,
      });
      const c1Requests = r.log.find((c) => c.name === "c1-node1" && c.sessions > 0)?.requests;
      expect(c1Requests?.filter((x) => x === "force")).toHaveLength(1);
    }
    expect((await runCounted("teardown", { confirmTimeoutSec: 0 })).result.outcome).toBe("ok");
  }, 180_000);
});
