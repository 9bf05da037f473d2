/**
 * One machine-readable contract for every verb (`-o json` or `-o yaml`, as kubectl has them): a document
 * `{schemaVersion, command, exitCode, ...}` on stdout, the verb's own fields after these three. Errors
 * follow the same contract: `{schemaVersion, command, exitCode, error: {kind, message, problems?}}`, so a
 * script reads one shape whether the run worked or not (as `terraform validate -json` does). The inventory's
 * warnings (allowed, probably not meant; they never change the exit code) are in `warnings`, when there are any.
 */
import type { MeshctlError } from "../core/errors.js";
import type { InputIssue } from "../inventory/errors.js";

export type OutputFormat = "text" | "json" | "yaml";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "json", "yaml"];

/** Bumped only for an incompatible change (a field removed or changing meaning); new fields do not. */
export const SCHEMA_VERSION = 1;

export interface Document {
  schemaVersion: number;
  command: string;
  exitCode: number;
  [field: string]: unknown;
}

/** The inventory's warnings of this run: every document carries them as `warnings` (when there are any). */
const noted: InputIssue[] = [];

export function noteWarnings(warnings: readonly InputIssue[]): void {
  noted.push(...warnings);
}

/** `{warnings}` when warnings were noted, else nothing (for documents written without `document`). */
export function warningsField(): { warnings?: InputIssue[] } {
  return noted.length > 0 ? { warnings: [...noted] } : {};
}

/** A new run (main() is called more than once in tests). */
export function clearWarnings(): void {
  noted.length = 0;
}

export function document(command: string, exitCode: number, fields: object): Document {
  return { schemaVersion: SCHEMA_VERSION, command, exitCode, ...warningsField(), ...fields };
}

export async function renderDocument(format: "json" | "yaml", doc: Document): Promise<string> {
  if (format === "json") return `${JSON.stringify(doc, null, 2)}\n`;
  const { stringify } = await import("yaml");
  return stringify(doc, { lineWidth: 0 });
}

/** Print `fields` as the verb's document in `format` (which must not be text). */
export async function printDocument(
  format: OutputFormat,
  command: string,
  exitCode: number,
  /** The verb's own fields (an object; typed loosely as the verbs' toJson helpers return unknown). */
  fields: unknown,
): Promise<void> {
  if (format === "text") throw new TypeError("printDocument: text is not a document format");
  process.stdout.write(await renderDocument(format, document(command, exitCode, fields as object)));
}

/** The error as a document: kind, message, and the located problems of an invalid inventory/playbook. */
export function errorDocument(command: string, exitCode: number, e: MeshctlError | Error): Document {
  const kind = "kind" in e ? (e as MeshctlError).kind : "internal";
  const issues = (e as { issues?: InputIssue[] }).issues;
  return document(command, exitCode, {
    error: { kind, message: e.message, ...(Array.isArray(issues) ? { problems: issues } : {}) },
  });
}

/**
 * What the command line asks for, read from argv itself (an error may come before commander has parsed
 * it): the verb, and `-o`/`--output` in any of their spellings.
 */
export function requestedOutput(argv: readonly string[]): { command: string; format: OutputFormat } {
  const args = argv.slice(2);
  let format: OutputFormat = "text";
  args.forEach((a, i) => {
    const v =
      a === "-o" || a === "--output"
        ? args[i + 1]
        : a.startsWith("--output=")
          ? a.slice(9)
          : a.startsWith("-o") && a.length > 2
            ? a.slice(2).replace(/^=/, "")
            : undefined;
    if (v === "json" || v === "yaml" || v === "text") format = v;
  });
  const command = args.filter((a) => !a.startsWith("-"))[0] ?? "meshctl";
  return { command, format };
}
