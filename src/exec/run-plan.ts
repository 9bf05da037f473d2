/**
 * The run plan: from the model and the command line, which targets take part, which clusters are read,
 * which gates hold the targets together, and the policy (--atomic, --max-fail). Pure: no I/O.
 */
import { UsageError } from "../core/errors.js";
import { clustersToAsk } from "../model/resolve.js";
import { type Limit, selectClusters, selectNodes } from "../model/select.js";
import type { ClusterModel, MeshModel, NodeModel } from "../model/types.js";
import { type PlanShape, planShape } from "../plan/shape.js";
import type { Playbook } from "../playbook/schema.js";
import { CONFIRM_TIMEOUT_SECONDS } from "./confirm.js";
import type { Mode } from "./results.js";

export interface RunRequest {
  mode: Mode;
  playbook: Playbook;
  /** Connections the connector allows at once (checked against what --atomic/--max-fail hold open). */
  forks: number;
  limit?: Limit;
  /** Undo every target's changes of this run when any fails. */
  atomic?: boolean;
  /** Apply nothing when more than this many targets fail before applying. */
  maxFail?: number;
  /** Commit-confirmed window in seconds (default CONFIRM_TIMEOUT_SECONDS; 0: off). */
  confirmTimeoutSec?: number;
}

export interface RunPolicy {
  mode: Mode;
  mutating: boolean;
  atomic: boolean;
  maxFail?: number;
  /**
   * Commit-confirmed window (seconds; 0: off): a node not confirmed over a new connection after its
   * change set reverts it by itself within it.
   */
  confirmSec: number;
}

export interface RunPlan {
  policy: RunPolicy;
  shape: PlanShape;
  /** The inventory's model (resolved with discovered pod blocks during the run). */
  model: MeshModel;
  nodes: NodeModel[];
  /** Clusters whose IPPools are targets. */
  poolClusters: ClusterModel[];
  /** Clusters read for the pod blocks the inventory leaves out. */
  blockClusters: ClusterModel[];
  /** Every cluster to read, once. */
  reads: ClusterModel[];
  /**
   * How many targets each gate waits for (0: no gate). `stages`: the node targets, at each gate between
   * the stages of a mode switch (src/exec/stages.ts).
   */
  gates: { planned: number; applied: number; stages: number };
}

export function planRun(model: MeshModel, req: RunRequest): RunPlan {
  const shape = planShape(req.playbook);
  const mutating = req.mode !== "diff";
  const nodes = selectNodes(model, req.limit);
  const poolClusters = shape.pools === "none" ? [] : selectClusters(model, req.limit);
  const blockClusters = clustersToAsk(model);
  const reads = [...new Set([...poolClusters, ...blockClusters])];
  const targets = nodes.length + poolClusters.length;
  const gated = mutating && (req.atomic === true || req.maxFail !== undefined);
  if (gated && targets + reads.length > req.forks) {
    throw new UsageError(
      `--atomic and --max-fail keep every session open until all have planned: raise --forks to at least ${targets + reads.length}`,
    );
  }
  const atomic = req.atomic === true;
  return {
    policy: {
      mode: req.mode,
      mutating,
      atomic,
      ...(req.maxFail === undefined ? {} : { maxFail: req.maxFail }),
      confirmSec: req.confirmTimeoutSec ?? CONFIRM_TIMEOUT_SECONDS,
    },
    shape,
    model,
    nodes,
    poolClusters,
    blockClusters,
    reads,
    gates: {
      planned: gated ? targets : 0,
      applied: atomic && mutating ? targets : 0,
      stages: mutating ? nodes.length : 0,
    },
  };
}

/** Who takes part in a run (for the progress display, before the run starts). */
export function runParties(plan: RunPlan): { id: string; name: string; cluster: string }[] {
  return [
    ...plan.nodes.map((n) => ({
      id: n.name as string,
      name: n.name as string,
      cluster: n.cluster as string,
    })),
    ...plan.poolClusters.map((c) => ({
      id: `cluster:${c.name}`,
      name: "ippools",
      cluster: c.name as string,
    })),
  ];
}

/**
 * Why a target that planned `pending` changes does not apply them (undefined: it applies). A diff and a
 * target in sync apply nothing and say nothing; a blocked or interrupted one says why.
 */
export function notApplied(
  plan: RunPlan,
  pending: number,
  failedBeforeApply: number,
  interrupted: boolean,
): { why?: string } | undefined {
  const { mutating, atomic, maxFail } = plan.policy;
  if (!mutating || pending === 0) return {};
  if (interrupted) return { why: "not applied: interrupted" };
  const gated = plan.gates.planned > 0;
  const blocked =
    gated && ((maxFail !== undefined && failedBeforeApply > maxFail) || (atomic && failedBeforeApply > 0));
  if (!blocked) return undefined;
  return {
    why: `not applied: ${failedBeforeApply} target(s) failed before applying${atomic ? " (--atomic)" : ""}`,
  };
}
