/**
 * A target's changes in the stages of a mode switch (#14), each applied by every node before any node
 * starts the next: make (everything unstaged: new devices, entries, direct routes) → switch (routes moved
 * onto the tunnel: every peer's device exists by then) → retire (tunnel entries and devices no path uses:
 * no peer sends through them any more). Without staged changes it is one stage, as before. Pure.
 */
import type { AnyChange } from "./targets.js";

export const STAGE_GATES = 2;

export function stagesOf(changes: readonly AnyChange[]): [AnyChange[], AnyChange[], AnyChange[]] {
  const stageOf = (c: AnyChange) => ("stage" in c ? c.stage : undefined);
  return [
    changes.filter((c) => stageOf(c) === undefined),
    changes.filter((c) => stageOf(c) === "switch"),
    changes.filter((c) => stageOf(c) === "retire"),
  ];
}
