/**
 * Playbooks: the task graph `apply` and `teardown` run, as data (playbooks/mesh.yaml, teardown.yaml).
 * Built-in steps name a stage of meshctl's own plan; `shell` steps are a site's own additions, whose
 * check/apply/undo scripts get the node's values as environment variables (never text substitution).
 */
import { z } from "zod";

export const BUILTIN_NODE_STEPS = [
  "vxlan-device",
  "stale-entries",
  "fdb",
  "neighbours-routes",
  "teardown",
  "persist",
] as const;
export const BUILTIN_CLUSTER_STEPS = ["ippools"] as const;

const stepName = z.string().min(1).max(80);

export const builtinStepSchema = z.strictObject({
  name: stepName,
  hosts: z.enum(["nodes", "control"]).meta({ description: "every node, or each cluster's control node" }),
  builtin: z.enum([...BUILTIN_NODE_STEPS, ...BUILTIN_CLUSTER_STEPS]),
  state: z.enum(["present", "absent"]).default("present"),
});

export const shellStepSchema = z.strictObject({
  name: stepName,
  hosts: z.literal("nodes"),
  state: z.enum(["present", "absent"]).default("present").meta({
    description: "present: run apply where check fails; absent (teardown): run undo where check passes",
  }),
  timeout: z.number().int().min(1).max(3600).default(60).meta({
    description:
      "seconds each of check, apply and undo may run on the node; then its process group is killed and the step fails (the node rolls back)",
  }),
  shell: z.strictObject({
    check: z.string().min(1).meta({ description: "exit 0 when the node is already as wanted" }),
    apply: z.string().min(1),
    undo: z.string().min(1).meta({ description: "reverts apply; run on rollback and teardown" }),
  }),
});

export const playbookSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    steps: z.array(z.union([builtinStepSchema, shellStepSchema])).min(1),
  })
  .meta({ title: "meshctl playbook" });

export type Playbook = z.output<typeof playbookSchema>;
export type PlaybookStep = Playbook["steps"][number];
export type BuiltinStep = z.output<typeof builtinStepSchema>;
export type ShellStep = z.output<typeof shellStepSchema>;

export const isShellStep = (s: PlaybookStep): s is ShellStep => "shell" in s;
