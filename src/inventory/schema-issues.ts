/**
 * zod's issues of an inventory → located InputIssues, one per mistake: a misspelt key is one issue
 * ("unknown key "contorl" — did you mean "control"?"), not an unknown key plus a missing required one.
 */
import type { z } from "zod";
import { formatPath, type InputIssue } from "./errors.js";
import { unknownKeyHint } from "./suggest.js";
import { issueAt, type YamlSource } from "./yaml-source.js";

type Path = (string | number)[];

export function schemaIssues(src: YamlSource, zodIssues: readonly z.core.$ZodIssue[]): InputIssue[] {
  const issues: InputIssue[] = [];
  /** `parent path|key` of each required key a misspelt key stands for: not reported as missing. */
  const meant = new Set<string>();
  const pathOf = (i: z.core.$ZodIssue): Path =>
    i.path.filter((p): p is string | number => typeof p !== "symbol");
  for (const i of zodIssues) {
    if (i.code !== "unrecognized_keys") continue;
    const path = pathOf(i);
    for (const key of i.keys) {
      const hint = unknownKeyHint(key, path);
      if (hint.meant !== undefined) meant.add(`${formatPath(path)}|${hint.meant}`);
      issues.push(issueAt(src, path, `unknown key "${key}"${hint.hint}`, key));
    }
  }
  for (const i of zodIssues) {
    if (i.code === "unrecognized_keys") continue;
    const path = pathOf(i);
    const key = path[path.length - 1];
    const missing = i.code === "invalid_type" && typeof key === "string" && absent(src.value, path);
    if (missing && meant.has(`${formatPath(path.slice(0, -1))}|${key}`)) continue;
    issues.push(issueAt(src, path, i.message));
  }
  return issues;
}

/** Whether the map at `path` minus its last step exists and lacks that last key. */
function absent(value: unknown, path: Path): boolean {
  let v = value;
  for (const step of path.slice(0, -1)) {
    if (typeof v !== "object" || v === null) return false;
    v = (v as Record<string | number, unknown>)[step];
  }
  return typeof v === "object" && v !== null && !Object.hasOwn(v, path[path.length - 1] as string);
}
