import { fileURLToPath } from "node:url";
import { InputError, type InputIssue } from "../inventory/errors.js";
import { issueAt, readYamlFile } from "../inventory/yaml-source.js";
import { BUILTIN_CLUSTER_STEPS, isShellStep, type Playbook, playbookSchema } from "./schema.js";

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
    for (const i of parsed.error.issues) {
      const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
      if (i.code === "unrecognized_keys")
        for (const k of i.keys) issues.push(issueAt(src, path, `unknown key "${k}"`, k));
      else issues.push(issueAt(src, path, i.message));
    }
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
  });
  if (issues.length > 0) throw new InputError("playbook", issues);
  return pb;
}
