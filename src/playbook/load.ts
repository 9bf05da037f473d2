import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { InputError, type InputIssue } from "../inventory/errors.js";
import { missingKey } from "../inventory/load.js";
import { issueAt, readYamlFile } from "../inventory/yaml-source.js";
import {
  BUILTIN_CLUSTER_STEPS,
  builtinStepSchema,
  isShellStep,
  type Playbook,
  playbookSchema,
  shellStepSchema,
} from "./schema.js";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function stepValue(doc: unknown, index: string | number | undefined): unknown {
  const steps = isRecord(doc) ? doc.steps : undefined;
  return Array.isArray(steps) && typeof index === "number" ? steps[index] : undefined;
}

/** The playbooks shipped with meshctl. */
export const shippedPlaybook = (name: "mesh" | "teardown"): string =>
  fileURLToPath(new URL(`../../playbooks/${name}.yaml`, import.meta.url));

/** Steps whose relative order the engine relies on (FDB before neighbour before route). */
const ORDER = ["vxlan-device", "stale-entries", "fdb", "neighbours-routes"];

export async function loadPlaybook(file: string): Promise<Playbook> {
  const src = await readYamlFile(file, "playbook");
  const parsed = playbookSchema.safeParse(src.value ?? {});
  if (!parsed.success) {
    const issues: InputIssue[] = [];
    const report = (list: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []) => {
      for (const i of list) {
        const path = [...prefix, ...i.path.filter((p): p is string | number => typeof p !== "symbol")];
        const step = path.length === 2 && path[0] === "steps" ? stepValue(src.value, path[1]) : undefined;
        if (i.code === "invalid_union" && step !== undefined) {
          // A step is a builtin or a shell step: report what is wrong with it as the kind it looks like.
          const schema = isRecord(step) && "shell" in step ? shellStepSchema : builtinStepSchema;
          const r = schema.safeParse(step);
          if (!r.success) report(r.error.issues, path);
        } else if (i.code === "unrecognized_keys") {
          for (const k of i.keys) issues.push(issueAt(src, path, `unknown key "${k}"`, k));
        } else issues.push(issueAt(src, path, missingKey(i) ?? i.message));
      }
    };
    report(parsed.error.issues);
    throw new InputError("playbook", issues);
  }
  const pb = parsed.data;
  const issues: InputIssue[] = [];
  const seen = new Set<string>();
  let last = -1;
  pb.steps.forEach((s, i) => {
    if (seen.has(s.name)) issues.push(issueAt(src, ["steps", i, "name"], `duplicate step name "${s.name}"`));
    seen.add(s.name);
    if (isShellStep(s)) return;
    const isCluster = (BUILTIN_CLUSTER_STEPS as readonly string[]).includes(s.builtin);
    if (isCluster !== (s.hosts === "control")) {
      issues.push(
        issueAt(
          src,
          ["steps", i, "hosts"],
          `builtin ${s.builtin} runs on ${isCluster ? "control" : "nodes"} hosts`,
        ),
      );
    }
    const rank = ORDER.indexOf(s.builtin);
    if (rank >= 0) {
      if (rank < last) {
        issues.push(
          issueAt(
            src,
            ["steps", i, "builtin"],
            `${s.builtin} must come after ${ORDER[last]} (${ORDER.join(" → ")})`,
          ),
        );
      }
      last = Math.max(last, rank);
    }
    if (s.builtin === "teardown" && s.state !== "absent") {
      issues.push(issueAt(src, ["steps", i, "state"], "the teardown step removes: set state: absent"));
    }
    if (rank >= 0 && s.state === "absent") {
      issues.push(
        issueAt(
          src,
          ["steps", i, "state"],
          `builtin ${s.builtin} only builds: remove what meshctl made with the teardown step (state: absent)`,
        ),
      );
    }
  });
  if (issues.length > 0) throw new InputError("playbook", issues);
  return pb;
}
