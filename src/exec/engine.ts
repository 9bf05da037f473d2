/**
 * The run. Every node and every cluster (for its IPPools) is a target, driven in parallel:
 *   open (connect, read state) → plan → [gate] → apply in one batch + read-back → rollback on failure
 *   → [--atomic gate → rollback] → close.
 * What takes part and the policy come from the pure run plan (run-plan.ts); each target is its own state
 * machine (drive.ts); this is the loop. Emits events for the UI; returns a RunResult. No terminal I/O here.
 */
import { driveTarget, newRunState } from "./drive.js";
import { type OpenedClusters, partiesOf } from "./parties.js";
import { outcomeOf, type RunEvent, type RunResult } from "./results.js";
import type { RunPlan } from "./run-plan.js";
import type { Connector } from "./ssh/types.js";

export type { HostResult, HostStatus, Mode, RunEvent, RunResult, Step } from "./results.js";
export { outcomeOf } from "./results.js";
export { planRun, type RunPlan, type RunRequest, runParties } from "./run-plan.js";

export interface RunIO {
  connector: Connector;
  onEvent?: (e: RunEvent) => void;
  /**
   * Aborted (Ctrl-C): no target starts applying after this; a change set already sent finishes, is read
   * back (and rolled back on failure), so no node is left half-way by meshctl itself.
   */
  signal?: AbortSignal;
  /** Cluster sessions already open (their Nodes read before planning): used instead of a second read. */
  clusters?: OpenedClusters;
}

export async function run(plan: RunPlan, io: RunIO): Promise<RunResult> {
  const emit = io.onEvent ?? (() => undefined);
  const state = newRunState(plan, io.signal);
  const hosts = await Promise.all(
    partiesOf(plan, io.connector, io.clusters).map(async (p) => {
      const result = await driveTarget(p, state, (step, text) =>
        emit({ id: p.id, kind: "stage", step, text }),
      );
      emit({ id: p.id, kind: "done", result });
      return result;
    }),
  );
  const mode = plan.policy.mode;
  return { mode, hosts, outcome: outcomeOf(mode, hosts, io.signal?.aborted === true) };
}
