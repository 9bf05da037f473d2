/**
 * zod's issues of an inventory → located InputIssues, one per mistake: a misspelt key is one issue
 * ("unknown key "contorl" — did you mean "control"?"), not an unknown key plus a missing required one.
 */
import type { z } from "zod";
import { formatPath, type InputIssue } from "./errors.js";
import { unknownKeyHint } from "./suggest.js";
import { issueAt, type YamlSource } from "./yaml-source.js";

export interface SchemaIssues {
  issues: InputIssue[];
  /** Paths (`clusters[0].pod_cidr`) of the keys misspelt keys were meant to be: not to be reported missing. */
  meant: Set<string>;
}

export function schemaIssues(src: YamlSource, zodIssues: readonly z.core.$ZodIssue[]): SchemaIssues {
  const issues: InputIssue[] = [];
  const meant = new Set<string>();
  for (const i of zodIssues) {
    const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
    if (i.code !== "unrecognized_keys") {
      issues.push(issueAt(src, path, i.message));
      continue;
    }
    for (const key of i.keys) {
      const hint = unknownKeyHint(key, path);
      if (hint.meant !== undefined) meant.add(formatPath([...path, hint.meant]));
      issues.push(issueAt(src, path, `unknown key "${key}"${hint.hint}`, key));
    }
  }
  return { issues, meant };
}

/**
 * Without "missing required key" for the keys in `meant` (reported by the schema or, for a key required
 * only in some cases such as `host`, by the relation checks): the misspelt key's issue says it all.
 */
export function withoutMeant(issues: readonly InputIssue[], meant: ReadonlySet<string>): InputIssue[] {
  return issues.filter((i) => !(meant.has(i.path) && i.message.startsWith("missing required key ")));
}
