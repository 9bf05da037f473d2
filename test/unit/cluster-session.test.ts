/**
 * The Kubernetes side of a run (#15): it rides the control node's SSH connection (no login of its own),
 * and an apply costs at most two kubectl runs per cluster (the read, then the server-side apply whose
 * output is the read-back); only a failure reads the cluster again. kubectl here is a stand-in
 * (test/support/fake-kubectl.mjs) run by the session's real shell script, which logs every run.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { diffPools, teardownPools } from "../../src/cni/calico/diff.js";
import { ipPoolManifest } from "../../src/cni/calico/pools.js";
import { CalicoSession } from "../../src/cni/calico/session.js";
import { partiesOf } from "../../src/exec/parties.js";
import { planRun } from "../../src/exec/run-plan.js";
import { sharedConnections } from "../../src/exec/shared.js";
import type { Connection, Connector, ExecResult } from "../../src/exec/ssh/types.js";
import type { SshTarget } from "../../src/inventory/types.js";
import type { ClusterModel } from "../../src/model/types.js";
import type { Playbook } from "../../src/playbook/schema.js";
import { model } from "../support/builders.js";

const FAKE = fileURLToPath(new URL("../support/fake-kubectl.mjs", import.meta.url));
const mesh = model();
const c1 = mesh.clusters.find((c) => c.name === "c1") as ClusterModel;

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A control node whose `sh` finds the fake kubectl; every kubectl run is a line of `runs()`. */
function controlNode(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "meshctl-kubectl-"));
  made.push(dir);
  symlinkSync(FAKE, join(dir, "kubectl"));
  const log = join(dir, "log");
  writeFileSync(log, "");
  const state = join(dir, "state.json");
  const conn: Connection = {
    node: "a1",
    target: {} as SshTarget,
    exec: (script, opts) =>
      new Promise<ExecResult>((resolve) => {
        const child = execFile(
          "sh",
          ["-c", script],
          {
            env: {
              ...process.env,
              ...env,
              PATH: `${dir}:${process.env.PATH}`,
              KUBECTL_LOG: log,
              KUBECTL_STATE: state,
            },
          },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end(opts?.stdin ?? "");
      }),
    session: () => Promise.reject(new Error("no session here")),
    close: () => undefined,
    closed: new Promise(() => undefined),
  };
  const runs = () =>
    readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ").find((w) => !w.startsWith("-")));
  const seed = (pools: object[]) => writeFileSync(state, JSON.stringify(pools));
  return { conn, runs, seed };
}

describe("a cluster's apply: at most two kubectl runs", () => {
  it("fresh: read, then one server-side apply whose output is the read-back", async () => {
    const node = controlNode();
    const s = await CalicoSession.open(node.conn, c1);
    const changes = diffPools(c1, mesh.clusters, s.before.pools);
    expect(changes).toHaveLength(2);
    const out = await s.apply(changes);
    expect(node.runs()).toEqual(["get", "apply"]);
    expect(out.failure).toBeUndefined();
    expect(out.applied).toHaveLength(2);
    expect(out.after.pools.map((p) => [p.name, p.rawCidr, p.managed])).toEqual([
      ["pod-c2", "198.18.32.0/20", true],
      ["svc-c2", "198.19.32.0/20", true],
    ]);
    expect(out.after.blocks.get("a1")).toEqual(["198.18.16.0/26"]);
    // what the session now believes is what a new read says
    const again = await CalicoSession.open(node.conn, c1);
    expect(again.before.pools).toEqual(out.after.pools);
  });

  it("teardown: read, then one delete", async () => {
    const node = controlNode();
    const wanted = diffPools(c1, mesh.clusters, []).flatMap((c) =>
      c.forward.flatMap((o) => (o.verb === "apply" ? [o.manifest] : [])),
    );
    node.seed(wanted);
    const s = await CalicoSession.open(node.conn, c1);
    const out = await s.apply(teardownPools(s.before.pools));
    expect(node.runs()).toEqual(["get", "delete"]);
    expect(out.applied).toHaveLength(2);
    expect(out.after.pools).toEqual([]);
  });

  it("a failed apply reads the cluster back (a third run) and says why", async () => {
    const node = controlNode({ KUBECTL_FAIL_APPLY: "1" });
    const foreign = ipPoolManifest({ name: "other", cidr: "10.9.0.0/16" as never, forCluster: "x" } as never);
    node.seed([{ ...foreign, metadata: { name: "other", labels: {} } }]);
    const s = await CalicoSession.open(node.conn, c1);
    const out = await s.apply(diffPools(c1, mesh.clusters, s.before.pools));
    expect(node.runs()).toEqual(["get", "apply", "get"]);
    expect(out.failure).toMatch(/RBAC denied it/);
    expect(out.applied).toEqual([]);
    expect(out.after.pools.map((p) => p.name)).toEqual(["other"]);
  });
});

describe("the control node's connection is shared with its cluster", () => {
  /** A connector that counts logins per host; its connections fail on session() (no driver here). */
  function counting() {
    const logins = new Map<string, number>();
    const closed = new Set<string>();
    const connector: Connector = {
      connect: async (name) => {
        logins.set(name, (logins.get(name) ?? 0) + 1);
        const c = controlNode().conn;
        let done!: () => void;
        const p = new Promise<void>((r) => {
          done = r;
        });
        const close = () => {
          closed.add(name);
          done();
        };
        return { ...c, node: name, closed: p, close };
      },
      closeAll: () => undefined,
    };
    return { connector, logins, closed };
  }

  it("two users of one host: one login; closed when the last lets go; a new one after that", async () => {
    const { connector, logins, closed } = counting();
    const shared = sharedConnections(connector);
    const [a, b] = await Promise.all([
      shared.connect("a1", {} as SshTarget),
      shared.connect("a1", {} as SshTarget),
    ]);
    expect(logins.get("a1")).toBe(1);
    a.close();
    a.close(); // idempotent: does not release b's share
    expect(closed.has("a1")).toBe(false);
    b.close();
    expect(closed.has("a1")).toBe(true);
    await shared.connect("a1", {} as SshTarget);
    expect(logins.get("a1")).toBe(2);
  });

  it("a run logs in once per node: each cluster's kubectl uses its control node's connection", async () => {
    const { connector, logins } = counting();
    const playbook: Playbook = {
      name: "mesh",
      steps: [
        { name: "device", hosts: "nodes", builtin: "vxlan-device", state: "present" },
        { name: "pools", hosts: "clusters", builtin: "ippools", state: "present" },
      ],
    } as Playbook;
    const plan = planRun(mesh, { mode: "apply", playbook, forks: 100 });
    const parties = partiesOf(plan, connector);
    expect(parties.filter((p) => p.kind === "cluster")).toHaveLength(2);
    const stage = () => undefined;
    await Promise.allSettled(parties.map((p) => p.open(stage).then((o) => o.close())));
    expect([...logins.entries()].sort()).toEqual([
      ["a1", 1],
      ["a2", 1],
      ["b1", 1],
      ["b2", 1],
    ]);
  });
});
