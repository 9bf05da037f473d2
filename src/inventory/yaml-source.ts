/**
 * Reads a YAML file keeping source positions, so every problem found later (schema, relations,
 * allocation) can point at `file:line:col` of the value it is about.
 */
import { readFile } from "node:fs/promises";
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import { MeshctlError } from "../core/errors.js";
import { formatPath, InputError, type InputIssue } from "./errors.js";
import { sourceSnippet } from "./snippet.js";

/** No real inventory comes near this (2000 nodes: ~200 KB); a bigger file is a mistake or an attack. */
const MAX_BYTES = 16 * 2 ** 20;

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The plain JS value of the document. */
  value: unknown;
}

export async function readYamlFile(file: string, what: "inventory" | "playbook"): Promise<YamlSource> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MeshctlError(
      `cannot read ${what} ${file}: ${code === "ENOENT" ? "no such file" : String(e)}`,
      "invalid-input",
    );
  }
  if (text.length > MAX_BYTES) {
    throw new InputError(what, [
      {
        file,
        line: 1,
        col: 1,
        path: "",
        message: `the file is larger than ${MAX_BYTES / 2 ** 20} MB: refused`,
      },
    ]);
  }
  return parseYamlText(text, file, what);
}

export function parseYamlText(text: string, file: string, what: "inventory" | "playbook"): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // Only the first syntax error: the parser's later ones are mostly consequences of it (one tab used as
  // indentation gives eight), and after a fix the file is read again anyway.
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lines.linePos(first.pos[0]);
    const end = lines.linePos(Math.max(first.pos[1], first.pos[0] + 1));
    const width = end.line === pos.line ? Math.max(1, end.col - pos.col) : 1;
    throw new InputError(what, [
      {
        file,
        line: pos.line,
        col: pos.col,
        path: "",
        message: `YAML: ${first.message.split("\n")[0]}${hintFor(first.code)}`,
        snippet: sourceSnippet(text, pos.line, pos.col, width),
      },
    ]);
  }
  let value: unknown;
  try {
    // An alias bomb (a billion laughs) expands exponentially: cap aliases, as `yaml` does by default.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Two ways toJS refuses: an alias bomb (too many expansions), or an alias whose anchor is not set
    // before it, which is located at the alias.
    const message = (e as Error).message;
    const bomb = /excessive alias count/i.test(message);
    const at = bomb ? undefined : unresolvedAlias(doc);
    const pos = at === undefined ? { line: 1, col: 1 } : lines.linePos(at);
    throw new InputError(what, [
      {
        file,
        line: pos.line,
        col: pos.col,
        path: "",
        message: `YAML: ${message.split("\n")[0]}${bomb ? " (refused: too many alias expansions)" : ""}`,
        ...(at === undefined ? {} : { snippet: sourceSnippet(text, pos.line, pos.col, 1) }),
      },
    ]);
  }
  return { file, doc, lines, value };
}

/** Where the first alias without an anchor before it starts, if any. */
function unresolvedAlias(doc: Document): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      at = node.range?.[0];
      return visit.BREAK;
    },
  });
  return at;
}

/** What to do about the errors people make most. */
function hintFor(code: string): string {
  if (code === "TAB_AS_INDENT") return " (indent with spaces)";
  if (code === "DUPLICATE_KEY") return " (a key given twice: keep one)";
  return "";
}

/**
 * Locates `path` in the document: the value node if it exists, else the deepest existing parent.
 * With `key`, points at the key of a map entry (used for unknown keys).
 */
export function locate(
  src: YamlSource,
  path: readonly PropertyKey[],
  key?: string,
): { line: number; col: number } {
  let node: unknown = src.doc.contents;
  let offset = (src.doc.contents as Node | null)?.range?.[0] ?? 0;
  const steps = [...path, ...(key === undefined ? [] : [key])];
  for (const [i, step] of steps.entries()) {
    let next: unknown;
    if (isMap(node)) {
      // A key as toJS names it: a scalar's value, an empty key (`: 5`, a null scalar) as "".
      const pair = node.items.find(
        (p) => String(isScalar(p.key) ? (p.key.value ?? "") : p.key) === String(step),
      );
      // Only the last step is the key: an earlier step may have the same name (`nodes:` inside a node).
      if (pair && key !== undefined && i === steps.length - 1) {
        offset = (pair.key as Node).range?.[0] ?? offset;
        break;
      }
      next = pair?.value;
    } else if (isSeq(node) && typeof step === "number") {
      next = node.items[step];
    }
    if (!next || !(next as Node).range) break;
    node = next;
    offset = (next as Node).range?.[0] ?? offset;
  }
  return src.lines.linePos(offset);
}

export function issueAt(
  src: YamlSource,
  path: readonly PropertyKey[],
  message: string,
  key?: string,
): InputIssue {
  const pos = locate(src, path, key);
  return {
    file: src.file,
    line: pos.line,
    col: pos.col,
    path: formatPath(key ? [...path, key] : path),
    message,
  };
}
