/**
 * One target's run, as a state machine:
 *   open → plan ─(fail)→ failed/unreachable
 *        → [gate: all planned] → not applied (diff, in sync, blocked, interrupted)
 *        → apply + read-back ─(fail)→ rollback → failed
 *          (a mode switch: in stages, each after every node's earlier ones — [gate] between; stages.ts)
 *        → [gate: all applied (--atomic)] ─(another failed)→ rollback → rolled-back
 * The counters and gates it shares with the other targets are in RunState.
 */
import { classifyError } from "../core/errors.js";
import { Gate } from "./gate.js";
import type { Opened, Party, StageFn } from "./parties.js";
import { type HostResult, rollbackReport } from "./results.js";
import { notApplied, type RunPlan } from "./run-plan.js";
import { STAGE_GATES, stagesOf } from "./stages.js";
import type { AnyChange, Target } from "./targets.js";

export interface RunState {
  plan: RunPlan;
  planned: Gate;
  applied: Gate;
  /** Between the stages of a mode switch: every node target arrives at each, once. */
  stages: Gate[];
  failedBeforeApply: number;
  failedInApply: number;
  signal?: AbortSignal;
}

export function newRunState(plan: RunPlan, signal?: AbortSignal): RunState {
  return {
    plan,
    planned: new Gate(plan.gates.planned),
    applied: new Gate(plan.gates.applied),
    stages: Array.from({ length: STAGE_GATES }, () => new Gate(plan.gates.stages)),
    failedBeforeApply: 0,
    failedInApply: 0,
    ...(signal ? { signal } : {}),
  };
}

type Base = Pick<HostResult, "kind" | "name" | "cluster" | "address">;

const failed = (base: Base, e: unknown, status?: HostResult["status"]): HostResult => {
  const c = classifyError(e);
  const s = status ?? (c.unreachable ? "unreachable" : "failed");
  return { ...base, status: s, changes: [], applied: [], okCount: 0, commandsSent: 0, error: c.message };
};

export async function driveTarget(p: Party, st: RunState, stage: StageFn): Promise<HostResult> {
  const base: Base = { kind: p.kind, name: p.name, cluster: p.cluster, address: p.address };
  let opened: Opened | undefined;
  const arrived = { planned: false, applied: false, stages: 0 };
  try {
    let changes: AnyChange[];
    try {
      opened = await p.open(stage);
      changes = opened.target.plan();
    } catch (e) {
      st.failedBeforeApply++;
      return failed(base, e);
    }
    return await afterPlan(base, opened.target, changes, st, stage, arrived);
  } catch (e) {
    st.failedInApply++;
    return failed(base, e, "failed");
  } finally {
    // Never leave the others waiting at a gate this target will not reach.
    if (!arrived.planned) void st.planned.arrive();
    if (!arrived.applied) void st.applied.arrive();
    if (p.kind === "node") for (const g of st.stages.slice(arrived.stages)) void g.arrive();
    await opened?.close();
  }
}

async function afterPlan(
  base: Base,
  target: Target,
  changes: AnyChange[],
  st: RunState,
  stage: StageFn,
  arrived: { planned: boolean; applied: boolean; stages: number },
): Promise<HostResult> {
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
  arrived.planned = true;
  await st.planned.arrive();
  const skip = notApplied(st.plan, changes.length, st.failedBeforeApply, st.signal?.aborted === true);
  if (skip) return report(skip.why ? { error: skip.why } : {});
  const result = await applyChanges(target, changes, st, stage, report, arrived);
  if (!st.plan.policy.atomic) return result;
  arrived.applied = true;
  await st.applied.arrive();
  return st.failedInApply > 0 && result.status === "changed" ? undoAtomic(target, result, stage) : result;
}

async function applyChanges(
  target: Target,
  changes: AnyChange[],
  st: RunState,
  stage: StageFn,
  report: (extra?: Partial<HostResult>) => HostResult,
  arrived: { stages: number },
): Promise<HostResult> {
  stage("apply", `applying ${changes.length} change(s)`);
  const parts = stagesOf(changes);
  const last = parts.findLastIndex((p) => p.length > 0);
  const done: AnyChange[] = [];
  let out: Awaited<ReturnType<Target["apply"]>> = { applied: [], left: [] };
  for (const [i, part] of parts.entries()) {
    if (i > 0 && target.kind === "node") {
      // Every node has applied the earlier stages (or failed, or had none) before this one starts.
      arrived.stages = i;
      const open = st.stages[i - 1]?.arrive();
      if (part.length > 0) {
        stage(
          "apply",
          `waiting for every node before the ${i === 1 ? "switch onto the tunnel" : "retirement"}`,
        );
        await open;
      }
    }
    if (part.length === 0) continue;
    out = await target.apply(part);
    done.push(...out.applied);
    if (out.failure || i === last) break;
  }
  if (target.kind === "node") {
    // Nothing left to wait for: never hold the others at a later gate (nor at --atomic's, after this).
    for (const g of st.stages.slice(arrived.stages)) void g.arrive();
    arrived.stages = st.stages.length;
  }
  out = { ...out, applied: done };
  if (out.failure) {
    st.failedInApply++;
    stage("rollback", "failed: rolling back");
    const rb = await target.rollback(out.applied);
    return report({
      status: "failed",
      commandsSent: target.commandsSent(),
      // After lost contact the node undid the change set by itself: the target says what happened.
      error: rb.error ?? out.failure,
      rollback: rb.detail
        ? { restored: rb.restored, detail: rb.detail }
        : rollbackReport(rb.restored, out.applied.length, rb.errors),
    });
  }
  if (out.left.length > 0) {
    st.failedInApply++;
    return report({
      status: "failed",
      applied: out.applied,
      commandsSent: target.commandsSent(),
      error: `applied, but the read-back still differs: ${out.left.map((c) => `${c.resource} ${c.key}`).join(", ")}`,
    });
  }
  return report({ status: "changed", applied: out.applied, commandsSent: target.commandsSent() });
}

async function undoAtomic(target: Target, result: HostResult, stage: StageFn): Promise<HostResult> {
  stage("rollback", "rolling back (--atomic)");
  const rb = await target.rollback(result.applied);
  return {
    ...result,
    status: "rolled-back",
    applied: [],
    commandsSent: target.commandsSent(),
    rollback: rb.detail
      ? { restored: rb.restored, detail: rb.detail }
      : rollbackReport(rb.restored, result.applied.length, rb.errors, " (--atomic: another target failed)"),
  };
}
