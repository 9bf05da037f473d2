/**
 * Splits the facts script's output into its sections (name → body text). The `@@ip-batch <names…>` /
 * `@@ip-text <names…>` section (one `ip -batch` process for several sections), with `@@ip-status` and
 * `@@ip-stderr`, is split into one text per name (src/facts/split-batch.ts).
 */
import { FactsParseError, preview } from "./errors.js";
import { FACTS_MARKER } from "./script.js";
import { type BatchStatus, parseStatus, splitBatch } from "./split-batch.js";

export { jsonValues } from "./split-batch.js";

const SECTION_LINE = /^@@([a-z0-9][a-z0-9-]*)((?: [a-z0-9-]+)*)\s*$/;

interface Raw {
  name: string;
  /** The names after it (`@@ip-batch <names…>`). */
  names: string[];
  lines: string[];
}

const isBatch = (n: string): n is "ip-batch" | "ip-text" => n === "ip-batch" || n === "ip-text";

/** Every section in order, up to `@@end` (which must be there). */
function rawSections(output: string): Raw[] {
  const lines = output.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === FACTS_MARKER);
  if (start < 0) {
    throw new FactsParseError(
      "meshctl-facts",
      `no "${FACTS_MARKER}" line: not the output of the facts script (got ${preview(output)})`,
    );
  }
  const raws: Raw[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = SECTION_LINE.exec(line);
    if (!m) {
      raws[raws.length - 1]?.lines.push(line);
      continue;
    }
    const names = (m[2] ?? "").split(" ").filter((n) => n !== "");
    raws.push({ name: m[1] as string, names, lines: [] });
    if (m[1] === "end") return raws;
  }
  const last = raws[raws.length - 1]?.name ?? "meshctl-facts";
  throw new FactsParseError(
    "end",
    `the output stops in @@${last} before @@end: truncated (script interrupted or connection lost)`,
  );
}

export function splitSections(output: string): Map<string, string> {
  const raws = rawSections(output);
  const sections = new Map<string, string>();
  const set = (n: string, text: string) => {
    if (sections.has(n)) throw new FactsParseError(n, "the section appears twice");
    sections.set(n, text);
  };
  const statusOf = raws.find((r) => r.name === "ip-status");
  const status: BatchStatus | undefined =
    statusOf === undefined
      ? undefined
      : parseStatus(statusOf.names[0], raws.find((r) => r.name === "ip-stderr")?.lines.join("\n") ?? "");
  for (const r of raws) {
    if (r.name === "end" || r.name === "ip-status" || r.name === "ip-stderr") continue;
    const body = r.lines.join("\n");
    if (!isBatch(r.name)) set(r.name, body);
    else for (const [n, t] of splitBatch(r.name, r.names, body, status)) set(n, t);
  }
  return sections;
}
