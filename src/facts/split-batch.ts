/**
 * The `ip -batch` block of the facts script's output (src/facts/batch.ts) as one text per section:
 * `@@ip-batch` (JSON: one array per section) or `@@ip-text` (plain text: the sections between
 * separators), with `@@ip-status` (ip's exit status) and `@@ip-stderr`. A batch that did not run to its
 * end — an error (ip stops at the first failing command: no `-force`), an interface gone between the
 * script's check and the batch, or a separator count other than the script asked for — is a
 * FactsParseError naming the section where it stopped, never a shorter listing read as the truth.
 */
import { SEPARATOR_LINE, TEXT_SEPARATOR } from "./batch.js";
import { FactsParseError, preview } from "./errors.js";

export interface BatchStatus {
  rc: number;
  stderr: string;
}

/** The top-level JSON values in `text`, as text; anything between them is returned as `stray`. */
export function jsonValues(text: string): { values: string[]; stray: string } {
  const values: string[] = [];
  let stray = "";
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"' && depth > 0) inString = true;
    else if (ch === "[" || ch === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if ((ch === "]" || ch === "}") && depth > 0) {
      depth--;
      if (depth === 0) values.push(text.slice(start, i + 1));
    } else if (depth === 0) stray += ch;
  }
  if (depth > 0) stray += text.slice(start);
  return { values, stray: stray.trim() };
}

/** Plain-text batch output cut at the separators (each one line, then its indented `cache …` lines). */
export function textParts(body: string): string[] {
  const parts: string[][] = [[]];
  let inSeparator = false;
  for (const line of body.split("\n")) {
    if (SEPARATOR_LINE.test(line)) {
      parts.push([]);
      inSeparator = true;
    } else if (!(inSeparator && /^\s+\S/.test(line))) {
      inSeparator = false;
      (parts[parts.length - 1] as string[]).push(line);
    }
  }
  return parts.map((p) => p.join("\n"));
}

/** ip's exit status (`@@ip-status <rc>`) and what it wrote on stderr (`@@ip-stderr`). */
export function parseStatus(rc: string | undefined, stderr: string): BatchStatus {
  if (rc === undefined || !/^\d{1,3}$/.test(rc))
    throw new FactsParseError("ip-status", `expected ip's exit status, got ${preview(rc ?? "")}`);
  return { rc: Number(rc), stderr: stderr.trim() };
}

/** `what` when ip exited 0 and said nothing, else ip's exit status and what it said. */
function stopped(name: string, status: BatchStatus | undefined, stray: string, what: string): never {
  const err = [status?.stderr ?? "", stray].filter((t) => t !== "").join(" ");
  const rc = status === undefined || status.rc === 0 ? "" : ` (exit ${status.rc})`;
  const detail = rc === "" && err === "" ? what : `failed here${rc}${err === "" ? "" : `: ${preview(err)}`}`;
  throw new FactsParseError(name, `ip -batch ${detail}`);
}

/**
 * One text per name. `status` is undefined in output captured before `@@ip-status` existed (JSON only:
 * stderr was then mixed into the output, as stray text).
 */
export function splitBatch(
  kind: "ip-batch" | "ip-text",
  names: readonly string[],
  body: string,
  status: BatchStatus | undefined,
): Map<string, string> {
  if (names.length === 0) return new Map();
  const failed = status !== undefined && (status.rc !== 0 || status.stderr !== "");
  const last = names.length - 1;
  if (kind === "ip-batch") {
    const { values, stray } = jsonValues(body);
    const at = names[Math.min(values.length, last)] as string;
    if (failed || stray !== "") stopped(at, status, stray, "failed");
    if (values.length !== names.length)
      stopped(at, status, "", `printed ${values.length} JSON values for ${names.length} sections`);
    return new Map(names.map((n, i) => [n, values[i] as string]));
  }
  const parts = textParts(body);
  const at = names[Math.min(parts.length - 1, last)] as string;
  if (failed) stopped(at, status, "", "failed");
  const seps = `${parts.length - 1} separators (\`ip ${TEXT_SEPARATOR}\`) where the script asked for ${last}`;
  if (parts.length < names.length)
    stopped(at, status, "", `stopped after this section without an error: ${seps}`);
  if (parts.length > names.length) stopped(at, status, "", `printed more sections than asked: ${seps}`);
  return new Map(names.map((n, i) => [n, parts[i] as string]));
}
