/**
 * The run: every node in parallel, each on one SSH channel holding the node's lock —
 * connect → facts → diff → (apply: one pipelined batch + read-back → rollback on failure) → close.
 * With --atomic or --max-fail the nodes wait for each other after planning (a gate) and, for --atomic,
 * after applying, so one node's failure can stop or undo the others. Emits events for the UI; returns a
 * RunResult for the recap. No terminal I/O here.
 */
import { ExitCode, MeshctlError } from "../cli/errors.js";
import type { NodeFacts } from "../facts/types.js";
import type { Inventory } from "../inventory/types.js";
import { buildModel, type DiscoveredBlocks } from "../model/build.js";
import type { MeshModel, NodeModel } from "../model/types.js";
import type { Change, Phase } from "../plan/change.js";
import { diffNode, diffTeardown, PlanConflict } from "../plan/node-diff.js";
import { isShellStep, type Playbook } from "../playbook/schema.js";
import { classifyError } from "./classify.js";
import { Gate } from "./gate.js";
import { NodeSession } from "./node-session.js";
import type { Connection, Connector } from "./ssh/types.js";

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
  /** Mutating commands sent to the node (0 when it was in sync). */
  commandsSent: number;
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
  /** Connections the connector allows at once (checked against what --atomic/--max-fail hold open). */
  forks: number;
  /** Node or cluster names to act on; undefined: all. */
  limit?: Set<string>;
  /** Undo every node's changes of this run when any node fails. */
  atomic?: boolean;
  /** Apply nothing when more than this many nodes fail before applying (facts, unreachable, conflicts). */
  maxFail?: number;
  /** Pod blocks of nodes whose inventory lists none (discovered from the clusters). */
  discovered?: DiscoveredBlocks;
  onEvent?: (e: RunEvent) => void;
}

const STEP_PHASE: Record<string, Phase> = {
  "vxlan-device": "device",
  "stale-entries": "prune",
  fdb: "fdb",
  "neighbours-routes": "program",
};

export function selectNodes(model: MeshModel, limit?: Set<string>): NodeModel[] {
  if (!limit) return model.nodes;
  const known = new Set<string>([...model.nodes.map((n) => n.name), ...model.clusters.map((c) => c.name)]);
  const unknown = [...limit].filter((l) => !known.has(l));
  if (unknown.length > 0) {
    throw new MeshctlError(
      `--limit names no node or cluster of the inventory: ${unknown.join(", ")}`,
      ExitCode.usage,
    );
  }
  return model.nodes.filter((n) => limit.has(n.name) || limit.has(n.cluster));
}

/** What one node's plan is made of, per the playbook. */
interface PlanShape {
  teardown: boolean;
  phases: Set<Phase>;
}

function planShape(pb: Playbook): PlanShape {
  const phases = new Set<Phase>();
  let teardown = false;
  for (const s of pb.steps) {
    if (isShellStep(s)) continue;
    if (s.builtin === "teardown") teardown = true;
    const phase = STEP_PHASE[s.builtin];
    if (phase) phases.add(phase);
  }
  return { teardown, phases };
}

export function planNode(node: NodeModel, facts: NodeFacts, shape: PlanShape): Change[] {
  return shape.teardown
    ? diffTeardown(node, facts)
    : diffNode(node, facts).changes.filter((c) => shape.phases.has(c.phase));
}

export async function run(inv: Inventory, opts: RunOptions): Promise<RunResult> {
  const model = buildModel(inv, opts.discovered);
  const nodes = selectNodes(model, opts.limit);
  const emit = opts.onEvent ?? (() => undefined);
  const shape = planShape(opts.playbook);
  const mutating = opts.mode !== "diff";
  const gated = mutating && (opts.atomic === true || opts.maxFail !== undefined);
  if (gated && nodes.length > opts.forks) {
    throw new MeshctlError(
      `--atomic and --max-fail keep every node's session open until all have planned: raise --forks to at least ${nodes.length}`,
      ExitCode.usage,
    );
  }
  const planned = new Gate(gated ? nodes.length : 0);
  const appliedGate = new Gate(opts.atomic && mutating ? nodes.length : 0);
  let failedBeforeApply = 0;
  let failedInApply = 0;

  const results = await Promise.all(
    nodes
      .map(async (node): Promise<NodeResult> => {
        const base = { name: node.name, cluster: node.cluster, host: node.ssh.host };
        const stage = (text: string) => emit({ node: node.name, kind: "stage", text });
        let conn: Connection | undefined;
        let session: NodeSession | undefined;
        let result: NodeResult;
        let arrivedPlanned = false;
        let arrivedApplied = false;
        try {
          // 1. connect, facts, plan.
          let changes: Change[];
          try {
            stage("connecting");
            conn = await opts.connector.connect(node.name, node.ssh);
            stage("gathering facts");
            session = await NodeSession.open(conn, node);
            changes = planNode(node, session.before, shape);
          } catch (e) {
            failedBeforeApply++;
            const c = classifyError(e);
            const message = e instanceof PlanConflict ? `${node.name}: ${e.message}` : c.message;
            result = {
              ...base,
              status: c.unreachable ? "unreachable" : "failed",
              changes: [],
              applied: [],
              okCount: 0,
              commandsSent: 0,
              error: message,
            };
            return result;
          }
          const okCount = countOk(node, changes, shape.teardown);
          const report = (extra: Partial<NodeResult> = {}): NodeResult => ({
            ...base,
            status: "ok",
            changes,
            applied: [],
            okCount,
            commandsSent: session?.commandsSent ?? 0,
            ...extra,
          });
          stage(`${changes.length} change(s) planned`);
          arrivedPlanned = true;
          await planned.arrive();
          const blocked =
            gated &&
            ((opts.maxFail !== undefined && failedBeforeApply > opts.maxFail) ||
              (opts.atomic === true && failedBeforeApply > 0));
          if (!mutating || changes.length === 0 || blocked) {
            result = report(
              blocked && changes.length > 0
                ? {
                    error: `not applied: ${failedBeforeApply} node(s) failed before applying${opts.atomic ? " (--atomic)" : ""}`,
                  }
                : {},
            );
            return result;
          }

          // 2. apply in one pipelined round trip, read back, roll back on failure.
          stage(`applying ${changes.length} change(s)`);
          const out = await session.apply(changes);
          if (out.failure) {
            failedInApply++;
            stage("failed: rolling back");
            const rb = await session.rollback(out.applied);
            const restored = sameManagedState(session.before, rb.after);
            result = report({
              status: "failed",
              commandsSent: session.commandsSent,
              error: `${out.failure.command}: ${out.failure.message}`,
              rollback: rollbackReport(restored, out.applied.length, rb.errors),
            });
          } else {
            const left = planNode(node, out.after, shape);
            result =
              left.length > 0
                ? report({
                    status: "failed",
                    applied: out.applied,
                    commandsSent: session.commandsSent,
                    error: `applied, but the read-back still differs: ${left.map((c) => `${c.resource} ${c.key}`).join(", ")}`,
                  })
                : report({ status: "changed", applied: out.applied, commandsSent: session.commandsSent });
            if (left.length > 0) failedInApply++;
          }

          // 3. --atomic: wait for every node; if any failed, undo this one too.
          if (opts.atomic) {
            arrivedApplied = true;
            await appliedGate.arrive();
            if (failedInApply > 0 && result.status === "changed") {
              stage("rolling back (--atomic)");
              const rb = await session.rollback(result.applied);
              const restored = sameManagedState(session.before, rb.after);
              result = {
                ...result,
                status: "rolled-back",
                applied: [],
                commandsSent: session.commandsSent,
                rollback: rollbackReport(
                  restored,
                  result.applied.length,
                  rb.errors,
                  " (--atomic: another node failed)",
                ),
              };
            }
          }
          return result;
        } catch (e) {
          result = {
            ...base,
            status: "failed",
            changes: [],
            applied: [],
            okCount: 0,
            commandsSent: session?.commandsSent ?? 0,
            error: classifyError(e).message,
          };
          failedInApply++;
          return result;
        } finally {
          // Never leave the others waiting at a gate this node will not reach.
          if (!arrivedPlanned) void planned.arrive();
          if (!arrivedApplied && opts.atomic && mutating) void appliedGate.arrive();
          await session?.close();
          conn?.close();
        }
      })
      .map((p, i) =>
        p.then((result) => {
          emit({ node: (nodes[i] as NodeModel).name, kind: "done", result });
          return result;
        }),
      ),
  );
  return { mode: opts.mode, nodes: results, exitCode: exitCodeOf(opts.mode, results) };
}

function rollbackReport(
  restored: boolean,
  undone: number,
  errors: string[],
  why = "",
): NodeResult["rollback"] {
  return {
    restored,
    detail: restored
      ? `undid ${undone} change(s)${why}: node is back at its prior state`
      : `undid ${undone} change(s)${why} but the node differs from its prior state${errors.length ? `: ${errors.join("; ")}` : ""}`,
  };
}

/** How many of the node's resources were already as wanted. */
function countOk(n: NodeModel, changes: readonly Change[], teardown: boolean): number {
  if (teardown) return 0;
  const total = 1 + n.fdb.length + n.neighbours.length + n.routes.length;
  const changed = changes.filter((c) => c.action !== "delete").length;
  return Math.max(0, total - changed);
}

/** Whether two fact sets agree on everything meshctl manages (the rollback check). Pure. */
export function sameManagedState(a: NodeFacts, b: NodeFacts): boolean {
  const norm = (f: NodeFacts) =>
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
            addrs: f.device.addresses.map((x) => `${x.ip}/${x.prefixLen}`).sort(),
          }
        : null,
      fdb: f.fdb
        .filter((x) => x.kind !== "multicast")
        .map((x) => `${x.mac}>${x.dst ?? ""}`)
        .sort(),
      neigh: f.neighbours
        .filter((x) => x.state.includes("PERMANENT"))
        .map((x) => `${x.ip}>${x.mac ?? ""}`)
        .sort(),
      routes: f.routes.map((r) => `${r.table}:${r.dst}>${r.via ?? ""}@${r.dev ?? ""}`).sort(),
    });
  return norm(a) === norm(b);
}

export function exitCodeOf(mode: Mode, nodes: readonly NodeResult[]): number {
  if (nodes.some((n) => n.status === "failed" || n.status === "rolled-back")) return ExitCode.failed;
  if (nodes.some((n) => n.status === "unreachable")) return ExitCode.unreachable;
  if (nodes.some((n) => n.error)) return ExitCode.failed;
  if (mode === "diff" && nodes.some((n) => n.changes.length > 0)) return ExitCode.changesPending;
  return ExitCode.ok;
}
