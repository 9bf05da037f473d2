import { MeshctlError } from "../core/errors.js";

/** One problem in an input file, located for an editor: `file:line:col path: message`. */
export interface InputIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted path with indices, e.g. `clusters[1].nodes[0].mac`; empty for the document. */
  path: string;
  message: string;
  /** The source lines around the problem, the last one marked with a caret (YAML syntax errors). */
  snippet?: string;
}

export function formatIssue(i: InputIssue): string {
  const head = `${i.file}:${i.line}:${i.col}${i.path ? ` ${i.path}` : ""}: ${i.message}`;
  return i.snippet === undefined ? head : `${head}\n${i.snippet.replace(/^/gm, "    ")}`;
}

/** An inventory or playbook with one or more problems; nothing was contacted. */
export class InputError extends MeshctlError {
  constructor(
    readonly what: "inventory" | "playbook",
    readonly issues: InputIssue[],
    /** Not problems (they alone would not fail): reported beside them. */
    readonly warnings: InputIssue[] = [],
  ) {
    const head = `${what} ${issues[0]?.file ?? ""} has ${issues.length} problem${issues.length === 1 ? "" : "s"}:`;
    super(
      [head, ...issues.map((i) => `  ${formatIssue(i).replaceAll("\n", "\n  ")}`)].join("\n"),
      "invalid-input",
    );
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
