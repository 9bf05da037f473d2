/**
 * The run. Every node and every cluster (for its IPPools) is a target, driven in parallel:
 *   open (connect, read state) → plan → [gate] → apply in one batch + read-back → rollback on failure
 *   → [--atomic gate → rollback] → close.
 * Clusters are read first when pod blocks must be discovered; a node plans only once every block it
 * routes to is known. Emits events for the UI; returns a RunResult. No terminal I/O here.
 */

import { type ClusterSession, cniOf } from "../cni/index.js";
import { classifyError, MeshctlError, type Outcome, UsageError } from "../core/errors.js";
import type { Inventory } from "../inventory/types.js";
import { buildModel, type DiscoveredBlocks, nodesWithoutBlocks } from "../model/build.js";
import type { ClusterModel, MeshModel, NodeModel } from "../model/types.js";
import type { Cidr } from "../net/addr.js";
import type { Phase } from "../plan/change.js";
import { siteCheck } from "../plan/site.js";
import { isShellStep, type Playbook } from "../playbook/schema.js";
import { Gate } from "./gate.js";
import { NodeSession } from "./node-session.js";
import type { Connection, Connector } from "./ssh/types.js";
import {
  type AnyChange,
  clusterTarget,
  nodeTarget,
  type PlanShape,
  shellSteps,
  type Target,
} from "./targets.js";

export type Mode = "apply" | "diff" | "teardown";

/** Where a target is in its run, for progress counts: connect → facts → plan → apply (→ rollback). */
export type Step = "connect" | "facts" | "plan" | "apply" | "rollback";

export type HostStatus = "ok" | "changed" | "failed" | "unreachable" | "rolled-back";

/** The outcome for one target: a node, or a cluster's IPPools (kind "cluster"). */
export interface HostResult {
  kind: "node" | "cluster";
  name: string;
  cluster: string;
  /** The address meshctl connects to (a node's SSH host; for a cluster, its control node's). */
  address: string;
  status: HostStatus;
  /** What the diff found (diff: pending; apply: what was to be done). */
  changes: AnyChange[];
  /** What this run changed and left in place. */
  applied: AnyChange[];
  /** Resources found already as wanted. */
  okCount: number;
  /** Mutating commands sent (0 when in sync). */
  commandsSent: number;
  error?: string;
  /** Set when a rollback ran: whether the target is back at its state before the run. */
  rollback?: { restored: boolean; detail: string };
}

export interface RunResult {
  mode: Mode;
  hosts: HostResult[];
  outcome: Outcome;
}

export type RunEvent =
  | { id: string; kind: "stage"; step: Step; text: string }
  | { id: string; kind: "done"; result: HostResult };

export interface RunOptions {
  mode: Mode;
  playbook: Playbook;
  connector: Connector;
  /** Connections the connector allows at once (checked against what --atomic/--max-fail hold open). */
  forks: number;
  /** Node or cluster names to act on; undefined: all. */
  limit?: Set<string>;
  /** Undo every target's changes of this run when any fails. */
  atomic?: boolean;
  /** Apply nothing when more than this many targets fail before applying. */
  maxFail?: number;
  onEvent?: (e: RunEvent) => void;
  /**
   * Aborted (Ctrl-C): no target starts applying after this; a change set already sent finishes, is read
   * back (and rolled back on failure), so no node is left half-way by meshctl itself.
   */
  signal?: AbortSignal;
}

const STEP_PHASE: Record<string, Phase> = {
  "vxlan-device": "device",
  "stale-entries": "prune",
  fdb: "fdb",
  "neighbours-routes": "program",
};

export function planShape(pb: Playbook): PlanShape {
  const steps: PlanShape["steps"] = [];
  let pools: PlanShape["pools"] = "none";
  for (const s of pb.steps) {
    if (isShellStep(s)) steps.push({ kind: "shell", step: s });
    else if (s.builtin === "teardown") steps.push({ kind: "teardown" });
    else if (s.builtin === "ippools") pools = s.state;
    else steps.push({ kind: "phase", phase: STEP_PHASE[s.builtin] as Phase });
  }
  return { steps, pools };
}

export function selectNodes(model: MeshModel, limit?: Set<string>): NodeModel[] {
  if (!limit) return model.nodes;
  const known = new Set<string>([...model.nodes.map((n) => n.name), ...model.clusters.map((c) => c.name)]);
  const unknown = [...limit].filter((l) => !known.has(l));
  if (unknown.length > 0) {
    throw new UsageError(`--limit names no node or cluster of the inventory: ${unknown.join(", ")}`);
  }
  return model.nodes.filter((n) => limit.has(n.name) || limit.has(n.cluster));
}

/** Who takes part in a run (for the progress display, before the run starts). */
export function runParties(
  inv: Inventory,
  playbook: Playbook,
  limit?: Set<string>,
): { id: string; name: string; cluster: string }[] {
  const model = buildModel(inv);
  const shape = planShape(playbook);
  return [
    ...selectNodes(model, limit).map((n) => ({
      id: n.name as string,
      name: n.name as string,
      cluster: n.cluster as string,
    })),
    ...(shape.pools === "none" ? [] : model.clusters.filter((c) => !limit || limit.has(c.name))).map((c) => ({
      id: `cluster:${c.name}`,
      name: "ippools",
      cluster: c.name as string,
    })),
  ];
}

/** A party of the run: how to open its target, and what to call it before it is open. */
interface Party {
  id: string;
  kind: "node" | "cluster";
  name: string;
  cluster: string;
  address: string;
  open(stage: (step: Step, text: string) => void): Promise<{ target: Target; close: () => Promise<void> }>;
}

export async function run(inv: Inventory, opts: RunOptions): Promise<RunResult> {
  const shape = planShape(opts.playbook);
  const base = buildModel(inv);
  const nodes = selectNodes(base, opts.limit);
  const emit = opts.onEvent ?? (() => undefined);
  const mutating = opts.mode !== "diff";
  const nodeByName = new Map(base.nodes.map((n) => [n.name as string, n]));
  const controlOf = (c: ClusterModel) => nodeByName.get(c.control) as NodeModel;

  // Clusters to read: for their pools (when the playbook has the step and --limit allows), and for the
  // pod blocks of nodes whose inventory lists none (discovery).
  const needBlocks = new Set(nodesWithoutBlocks(inv));
  const poolClusters =
    shape.pools === "none" ? [] : base.clusters.filter((c) => !opts.limit || opts.limit.has(c.name));
  const blockClusters = base.clusters.filter((c) =>
    inv.clusters.find((x) => x.name === c.name)?.nodes.some((n) => needBlocks.has(n.name)),
  );
  const readClusters = [...new Set([...poolClusters, ...blockClusters])];
  const parties = nodes.length + poolClusters.length;
  const gated = mutating && (opts.atomic === true || opts.maxFail !== undefined);
  if (gated && parties + readClusters.length > opts.forks) {
    throw new UsageError(
      `--atomic and --max-fail keep every session open until all have planned: raise --forks to at least ${parties + readClusters.length}`,
    );
  }

  const reads = new Map<string, Promise<{ conn: Connection; session: ClusterSession }>>();
  for (const c of readClusters) {
    reads.set(
      c.name,
      (async () => {
        const control = controlOf(c);
        const conn = await opts.connector.connect(control.name, control.ssh);
        try {
          return { conn, session: await cniOf(c).open(conn, c, base.clusters) };
        } catch (e) {
          conn.close();
          throw e;
        }
      })(),
    );
  }
  for (const p of reads.values()) p.catch(() => undefined); // observed by whoever awaits it
  const modelReady: Promise<MeshModel> = (async () => {
    if (needBlocks.size === 0) return base;
    const discovered = new Map<string, Cidr[]>();
    for (const c of blockClusters) {
      let session: ClusterSession;
      try {
        session = (await reads.get(c.name))?.session as ClusterSession;
      } catch (e) {
        throw new MeshctlError(
          `pod blocks of cluster ${c.name}'s nodes are unknown: ${classifyError(e).message}`,
        );
      }
      for (const [node, blocks] of session.before.blocks) discovered.set(node, blocks);
    }
    const missing = [...needBlocks].filter((n) => !discovered.has(n));
    if (missing.length > 0) {
      throw new MeshctlError(
        `no pod blocks found for ${missing.join(", ")} (no confirmed Calico block affinity nor node podCIDRs): list them as pod_blocks in the inventory`,
      );
    }
    return buildModel(inv, discovered as DiscoveredBlocks);
  })();
  modelReady.catch(() => undefined);

  const all: Party[] = [
    ...nodes.map(
      (node): Party => ({
        id: node.name,
        kind: "node",
        name: node.name,
        cluster: node.cluster,
        address: node.ssh.host,
        open: async (stage) => {
          stage("connect", "connecting");
          const conn = await opts.connector.connect(node.name, node.ssh);
          let session: NodeSession | undefined;
          const close = async () => {
            await session?.close();
            conn.close();
          };
          try {
            stage("facts", "gathering facts");
            session = await NodeSession.open(
              conn,
              node,
              shellSteps(shape).map((s) => siteCheck(node, s)),
            );
            const model = await modelReady;
            const full = model.nodes.find((n) => n.name === node.name) as NodeModel;
            return { target: nodeTarget(full, session, shape), close };
          } catch (e) {
            await close();
            throw e;
          }
        },
      }),
    ),
    ...poolClusters.map(
      (c): Party => ({
        id: `cluster:${c.name}`,
        kind: "cluster",
        name: c.name,
        cluster: c.name,
        address: controlOf(c).ssh.host,
        open: async (stage) => {
          stage("facts", `reading IPPools on ${c.control}`);
          const { conn, session } = await (reads.get(c.name) as Promise<{
            conn: Connection;
            session: ClusterSession;
          }>);
          return {
            target: clusterTarget(c, base.clusters, controlOf(c).ssh.host, cniOf(c), session, shape),
            close: async () => conn.close(),
          };
        },
      }),
    ),
  ];
  // Clusters read only for discovery close once the nodes no longer need them.
  void modelReady
    .finally(async () => {
      for (const c of blockClusters) {
        if (poolClusters.includes(c)) continue;
        (await reads.get(c.name)?.catch(() => undefined))?.conn.close();
      }
    })
    .catch(() => undefined);

  const planned = new Gate(gated ? all.length : 0);
  const appliedGate = new Gate(opts.atomic && mutating ? all.length : 0);
  let failedBeforeApply = 0;
  let failedInApply = 0;

  const drive = async (p: Party): Promise<HostResult> => {
    const base = { kind: p.kind, name: p.name, cluster: p.cluster, address: p.address };
    const stage = (step: Step, text: string) => emit({ id: p.id, kind: "stage", step, text });
    let opened: { target: Target; close: () => Promise<void> } | undefined;
    let arrivedPlanned = false;
    let arrivedApplied = false;
    try {
      let target: Target;
      let changes: AnyChange[];
      try {
        opened = await p.open(stage);
        target = opened.target;
        changes = target.plan();
      } catch (e) {
        failedBeforeApply++;
        const c = classifyError(e);
        return {
          ...base,
          status: c.unreachable ? "unreachable" : "failed",
          changes: [],
          applied: [],
          okCount: 0,
          commandsSent: 0,
          error: c.message,
        };
      }
      const report = (extra: Partial<HostResult> = {}): HostResult => ({
        ...base,
        status: "ok",
        changes,
        applied: [],
        okCount: target.okCount(changes),
        commandsSent: target.commandsSent(),
        ...extra,
      });
      stage("plan", `${changes.length} change(s) planned`);
      arrivedPlanned = true;
      await planned.arrive();
      const blocked =
        gated &&
        ((opts.maxFail !== undefined && failedBeforeApply > opts.maxFail) ||
          (opts.atomic === true && failedBeforeApply > 0));
      const interrupted = opts.signal?.aborted === true;
      if (!mutating || changes.length === 0 || blocked || interrupted) {
        const why = interrupted
          ? "not applied: interrupted"
          : `not applied: ${failedBeforeApply} target(s) failed before applying${opts.atomic ? " (--atomic)" : ""}`;
        return report((blocked || interrupted) && mutating && changes.length > 0 ? { error: why } : {});
      }

      stage("apply", `applying ${changes.length} change(s)`);
      const out = await target.apply(changes);
      let result: HostResult;
      if (out.failure) {
        failedInApply++;
        stage("rollback", "failed: rolling back");
        const rb = await target.rollback(out.applied);
        result = report({
          status: "failed",
          commandsSent: target.commandsSent(),
          error: out.failure,
          rollback: rollbackReport(rb.restored, out.applied.length, rb.errors),
        });
      } else if (out.left.length > 0) {
        failedInApply++;
        result = report({
          status: "failed",
          applied: out.applied,
          commandsSent: target.commandsSent(),
          error: `applied, but the read-back still differs: ${out.left.map((c) => `${c.resource} ${c.key}`).join(", ")}`,
        });
      } else {
        result = report({ status: "changed", applied: out.applied, commandsSent: target.commandsSent() });
      }

      if (opts.atomic) {
        arrivedApplied = true;
        await appliedGate.arrive();
        if (failedInApply > 0 && result.status === "changed") {
          stage("rollback", "rolling back (--atomic)");
          const rb = await target.rollback(result.applied);
          result = {
            ...result,
            status: "rolled-back",
            applied: [],
            commandsSent: target.commandsSent(),
            rollback: rollbackReport(
              rb.restored,
              result.applied.length,
              rb.errors,
              " (--atomic: another target failed)",
            ),
          };
        }
      }
      return result;
    } catch (e) {
      failedInApply++;
      return {
        ...base,
        status: "failed",
        changes: [],
        applied: [],
        okCount: 0,
        commandsSent: 0,
        error: classifyError(e).message,
      };
    } finally {
      // Never leave the others waiting at a gate this party will not reach.
      if (!arrivedPlanned) void planned.arrive();
      if (!arrivedApplied && opts.atomic && mutating) void appliedGate.arrive();
      await opened?.close();
    }
  };

  const hosts = await Promise.all(
    all.map((p) =>
      drive(p).then((result) => {
        emit({ id: p.id, kind: "done", result });
        return result;
      }),
    ),
  );
  return { mode: opts.mode, hosts, outcome: outcomeOf(opts.mode, hosts, opts.signal?.aborted === true) };
}

function rollbackReport(
  restored: boolean,
  undone: number,
  errors: string[],
  why = "",
): HostResult["rollback"] {
  return {
    restored,
    detail: restored
      ? `undid ${undone} change(s)${why}: back at its prior state`
      : `undid ${undone} change(s)${why} but it differs from its prior state${errors.length ? `: ${errors.join("; ")}` : ""}`,
  };
}

/** How the run ended; a run interrupted (Ctrl-C, SIGTERM) ends "interrupted", whatever its hosts did. */
export function outcomeOf(mode: Mode, hosts: readonly HostResult[], interrupted = false): Outcome {
  if (interrupted) return "interrupted";
  if (hosts.some((n) => n.status === "failed" || n.status === "rolled-back")) return "failed";
  if (hosts.some((n) => n.status === "unreachable")) return "unreachable";
  if (hosts.some((n) => n.error)) return "failed";
  if (mode === "diff" && hosts.some((n) => n.changes.length > 0)) return "changes-pending";
  return "ok";
}
