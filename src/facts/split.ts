/**
 * Splits the facts script's output into its sections (name → body text). The `@@ip-batch <names…>`
 * section (one `ip -j -batch` process for several sections) is split into one JSON value per name.
 */
import { FactsParseError, preview } from "./errors.js";
import { FACTS_MARKER } from "./script.js";

const SECTION_LINE = /^@@([a-z0-9][a-z0-9-]*)((?: [a-z0-9-]+)*)\s*$/;

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

function splitBatch(names: string[], body: string, into: Map<string, string>): void {
  const { values, stray } = jsonValues(body);
  names.forEach((name, i) => {
    const v = values[i];
    // ip stops at the first failing command (its message is the stray text): that section gets it.
    into.set(name, v ?? (i === values.length ? stray || "" : ""));
  });
  if (values.length > names.length || (stray !== "" && values.length >= names.length)) {
    throw new FactsParseError("ip-batch", `unexpected output besides the sections' JSON: ${preview(stray)}`);
  }
}

export function splitSections(output: string): Map<string, string> {
  const lines = output.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === FACTS_MARKER);
  if (start < 0) {
    throw new FactsParseError(
      "meshctl-facts",
      `no "${FACTS_MARKER}" line: not the output of the facts script (got ${preview(output)})`,
    );
  }
  const sections = new Map<string, string>();
  let name: string | undefined;
  let names: string[] = [];
  let body: string[] = [];
  const set = (n: string, text: string) => {
    if (sections.has(n)) throw new FactsParseError(n, "the section appears twice");
    sections.set(n, text);
  };
  const flush = () => {
    if (name === "ip-batch") {
      const parts = new Map<string, string>();
      splitBatch(names, body.join("\n"), parts);
      for (const [n, t] of parts) set(n, t);
    } else if (name !== undefined) set(name, body.join("\n"));
  };
  for (const line of lines.slice(start + 1)) {
    const m = SECTION_LINE.exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    flush();
    name = m[1] as string;
    names = (m[2] ?? "")
      .trim()
      .split(" ")
      .filter((n) => n !== "");
    body = [];
    if (name === "end") break;
  }
  if (name !== "end") {
    throw new FactsParseError(
      "end",
      `the output stops in @@${name ?? "meshctl-facts"} before @@end: truncated (script interrupted or connection lost)`,
    );
  }
  return sections;
}
