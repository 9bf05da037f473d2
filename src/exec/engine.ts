/**
 * The run: connect to every node in parallel, gather facts, diff against the model, then (apply /
 * teardown) execute each node's changes in one pipelined batch, read back, and roll back on failure.
 * Emits events for the UI; returns a RunResult for the recap. No terminal I/O here.
 */
import { ExitCode } from "../cli/errors.js";
import type { Inventory } from "../inventory/types.js";
import { buildModel } from "../model/build.js";
import type { MeshModel, NodeModel } from "../model/types.js";
import type { Change, Phase } from "../plan/change.js";
import { diffNode, diffTeardown, PlanConflict } from "../plan/node-diff.js";
import { isShellStep, type Playbook } from "../playbook/schema.js";
import { MeshctlError } from "../cli/errors.js";
import { NodeSession } from "./node-session.js";
import type { Connection, Connector } from "./ssh/types.js";
import { classifyError } from "./classify.js";

export type Mode = "apply" | "diff" | "teardown";

export type NodeStatus = "ok" | "changed" | "failed" | "unreachable" | "rolled-back";

export interface NodeResult {
  name: string;
  cluster: string;
  host: string;
  status: NodeStatus;
  /** What the diff found (diff: pending; apply: what was to be done). */
  changes: Change[];
  /** What this run changed and left in place. */
  applied: Change[];
  /** Resources found already as wanted. */
  okCount: number;
  error?: string;
  /** Set when a rollback ran: whether the node is back at its state before the run. */
  rollback?: { restored: boolean; detail: string };
}

export interface RunResult {
  mode: Mode;
  nodes: NodeResult[];
  exitCode: number;
}

export type RunEvent =
  | { node: string; kind: "stage"; text: string }
  | { node: string; kind: "done"; result: NodeResult };

export interface RunOptions {
  mode: Mode;
  playbook: Playbook;
  connector: Connector;
  /** Node or cluster names to act on; undefined: all. */
  limit?: Set<string>;
  /** Undo every node's changes of this run when any node fails. */
  atomic?: boolean;
  /** Apply nothing when more than this many nodes fail before applying (facts, unreachable, conflicts). */
  maxFail?: number;
  onEvent?: (e: RunEvent) => void;
}

const STEP_PHASE: Record<string, Phase> = {
  "vxlan-device": "device",
  "stale-entries": "prune",
  fdb: "fdb",
  "neighbours-routes": "program",
};

interface Pending {
  node: NodeModel;
  session?: NodeSession;
  changes: Change[];
  result?: NodeResult;
}

export function selectNodes(model: MeshModel, limit?: Set<string>): NodeModel[] {
  if (!limit) return model.nodes;
  const known = new Set<string>([...model.nodes.map((n) => n.name), ...model.clusters.map((c) => c.name)]);
  const unknown = [...limit].filter((l) => !known.has(l));
  if (unknown.length > 0) {
    throw new MeshctlError(`--limit names no node or cluster of the inventory: ${unknown.join(", ")}`, ExitCode.usage);
  }
  return model.nodes.filter((n) => limit.has(n.name) || limit.has(n.cluster));
}

export async function run(inv: Inventory, opts: RunOptions): Promise<RunResult> {
  const model = buildModel(inv);
  const nodes = selectNodes(model, opts.limit);
  const emit = opts.onEvent ?? (() => undefined);
  const steps = opts.playbook.steps.filter((s) => !isShellStep(s));
  const phases = new Set(steps.flatMap((s) => (!isShellStep(s) && STEP_PHASE[s.builtin] ? [STEP_PHASE[s.builtin] as Phase] : [])));
  const teardown = steps.some((s) => !isShellStep(s) && s.builtin === "teardown");

  const pending: Pending[] = nodes.map((node) => ({ node, changes: [] }));
  const finish = (p: Pending, r: Omit<NodeResult, "name" | "cluster" | "host">): void => {
    p.result = { name: p.node.name, cluster: p.node.cluster, host: p.node.ssh.host, ...r };
    emit({ node: p.node.name, kind: "done", result: p.result });
  };

  // 1. connect + facts + diff, every node in parallel (the connector caps concurrency).
  await Promise.all(
    pending.map(async (p) => {
      let conn: Connection | undefined;
      try {
        emit({ node: p.node.name, kind: "stage", text: "connecting" });
        conn = await opts.connector.connect(p.node.name, p.node.ssh);
        emit({ node: p.node.name, kind: "stage", text: "gathering facts" });
        p.session = await NodeSession.open(conn, p.node);
        const facts = p.session.before;
        p.changes = teardown
          ? diffTeardown(p.node, facts)
          : diffNode(p.node, facts).changes.filter((c) => phases.has(c.phase));
        emit({ node: p.node.name, kind: "stage", text: `${p.changes.length} change(s) planned` });
      } catch (e) {
        const c = classifyError(e);
        finish(p, {
          status: c.unreachable ? "unreachable" : "failed",
          changes: [],
          applied: [],
          okCount: 0,
          error: e instanceof PlanConflict ? `${p.node.name}: ${e.message}` : c.message,
        });
        await p.session?.close();
        p.session = undefined;
      }
    }),
  );

  const failedEarly = pending.filter((p) => p.result).length;
  const blocked =
    opts.mode !== "diff" &&
    ((opts.maxFail !== undefined && failedEarly > opts.maxFail) || (opts.atomic === true && failedEarly > 0));

  // 2. apply (or just report), every node in parallel.
  await Promise.all(
    pending.map(async (p) => {
      if (p.result || !p.session) return;
      const s = p.session;
      const okCount = countOk(p.node, p.changes, teardown);
      if (opts.mode === "diff" || p.changes.length === 0 || blocked) {
        finish(p, {
          status: "ok",
          changes: p.changes,
          applied: [],
          okCount,
          ...(blocked && p.changes.length > 0
            ? { error: `not applied: ${failedEarly} node(s) failed before applying${opts.atomic ? " (--atomic)" : ""}` }
            : {}),
        });
        return;
      }
      emit({ node: p.node.name, kind: "stage", text: `applying ${p.changes.length} change(s)` });
      try {
        const out = await s.apply(p.changes);
        if (out.failure) {
          emit({ node: p.node.name, kind: "stage", text: "failed: rolling back" });
          const rb = await s.rollback(out.applied);
          const restored = sameState(s.before, rb.after, p.node, teardown);
          finish(p, {
            status: "failed",
            changes: p.changes,
            applied: [],
            okCount,
            error: `${out.failure.command}: ${out.failure.message}`,
            rollback: {
              restored,
              detail: restored
                ? `undid ${out.applied.length} change(s): node is back at its prior state`
                : `undid ${out.applied.length} change(s) but the node differs from its prior state${rb.errors.length ? `: ${rb.errors.join("; ")}` : ""}`,
            },
          });
          return;
        }
        // Read-back: the node must now be as wanted.
        const left = teardown ? diffTeardown(p.node, out.after) : diffNode(p.node, out.after).changes.filter((c) => phases.has(c.phase));
        if (left.length > 0) {
          finish(p, {
            status: "failed",
            changes: p.changes,
            applied: out.applied,
            okCount,
            error: `applied, but the read-back still differs: ${left.map((c) => `${c.resource} ${c.key}`).join(", ")}`,
          });
          return;
        }
        finish(p, { status: "changed", changes: p.changes, applied: out.applied, okCount });
      } catch (e) {
        finish(p, { status: "failed", changes: p.changes, applied: [], okCount, error: classifyError(e).message });
      }
    }),
  );

  // 3. --atomic: a failure anywhere undoes every node's changes of this run.
  if (opts.atomic && opts.mode !== "diff" && pending.some((p) => p.result?.status === "failed")) {
    await Promise.all(
      pending.map(async (p) => {
        if (!p.session || p.result?.status !== "changed") return;
        emit({ node: p.node.name, kind: "stage", text: "rolling back (--atomic)" });
        const rb = await p.session.rollback(p.result.applied);
        const restored = sameState(p.session.before, rb.after, p.node, teardown);
        finish(p, {
          ...p.result,
          status: "rolled-back",
          applied: [],
          rollback: { restored, detail: restored ? "undone (--atomic): back at its prior state" : "undone (--atomic) but differs from its prior state" },
        });
      }),
    );
  }

  await Promise.all(pending.map((p) => p.session?.close()));
  const results = pending.map((p) => p.result as NodeResult);
  return { mode: opts.mode, nodes: results, exitCode: exitCodeOf(opts.mode, results) };
}

/** How many of the node's resources were already as wanted. */
function countOk(n: NodeModel, changes: readonly Change[], teardown: boolean): number {
  if (teardown) return 0;
  const total = 1 + n.fdb.length + n.neighbours.length + n.routes.length;
  const changed = changes.filter((c) => c.action !== "delete").length;
  return Math.max(0, total - changed);
}

/** Whether two fact sets agree on everything meshctl manages (the rollback check). */
export function sameState(a: import("../facts/types.js").NodeFacts, b: import("../facts/types.js").NodeFacts, n: NodeModel, _teardown: boolean): boolean {
  const norm = (f: import("../facts/types.js").NodeFacts) =>
    JSON.stringify({
      dev: f.device
        ? {
            kind: f.device.kind,
            vni: f.device.vni,
            port: f.device.port,
            local: f.device.localIp,
            under: f.device.underlayDev,
            mac: f.device.mac,
            mtu: f.device.mtu,
            up: f.device.up,
            addrs: [...f.device.addresses].map((x) => `${x.ip}/${x.prefixLen}`).sort(),
          }
        : null,
      fdb: f.fdb.filter((x) => x.kind !== "multicast").map((x) => `${x.mac}>${x.dst ?? ""}`).sort(),
      neigh: f.neighbours.filter((x) => x.state.includes("PERMANENT")).map((x) => `${x.ip}>${x.mac ?? ""}`).sort(),
      routes: f.routes.map((r) => `${r.table}:${r.dst}>${r.via ?? ""}@${r.dev ?? ""}`).sort(),
    });
  void n;
  return norm(a) === norm(b);
}

export function exitCodeOf(mode: Mode, nodes: readonly NodeResult[]): number {
  if (nodes.some((n) => n.status === "failed" || n.status === "rolled-back")) return ExitCode.failed;
  if (nodes.some((n) => n.status === "unreachable")) return ExitCode.unreachable;
  if (nodes.some((n) => n.error)) return ExitCode.failed;
  if (mode === "diff" && nodes.some((n) => n.changes.length > 0)) return ExitCode.changesPending;
  return ExitCode.ok;
}
