/** What a playbook asks of a run, as the engine needs it: the node steps in order, and the pools' state. Pure. */
import { isShellStep, type Playbook, type ShellStep } from "../playbook/schema.js";
import type { Phase } from "./change.js";

export interface PlanShape {
  steps: (
    | { kind: "phase"; phase: Phase }
    | { kind: "teardown" }
    | { kind: "persist"; state: "present" | "absent" }
    | { kind: "shell"; step: ShellStep }
  )[];
  pools: "present" | "absent" | "none";
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
    else if (s.builtin === "persist") steps.push({ kind: "persist", state: s.state });
    else steps.push({ kind: "phase", phase: STEP_PHASE[s.builtin] as Phase });
  }
  return { steps, pools };
}

export const shellSteps = (shape: PlanShape): ShellStep[] =>
  shape.steps.flatMap((s) => (s.kind === "shell" ? [s.step] : []));
