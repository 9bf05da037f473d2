/**
 * `plan -o json|yaml` written in pieces: the same document printDocument would print (src/cli/output.ts:
 * `{schemaVersion, command, exitCode, nodes, clusters, nodesWithoutBlocks}`), but each node's commands are
 * serialised 256 at a time, so a 2000-node plan never needs one string of a gigabyte.
 */
import { stringify } from "yaml";
import type { ScratchNode } from "../plan/scratch.js";
import { SCHEMA_VERSION, warningsField } from "./output.js";

const PIECE = 256;

/** `JSON.stringify(x, null, 2)` nested `depth` levels deep. */
const indented = (x: unknown, depth: number): string =>
  JSON.stringify(x, null, 2).replaceAll("\n", `\n${"  ".repeat(depth)}`);

/** `JSON.stringify(n, null, 2)` at depth 2. */
function* nodeJson(n: ScratchNode): Generator<string> {
  const { commands, ...head } = n;
  const fields = Object.entries(head).map(([k, v]) => `      ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`);
  let piece = `    {\n${fields.join("")}      "commands": [`;
  if (commands.length === 0) {
    yield `${piece}]\n    }`;
    return;
  }
  for (let i = 0; i < commands.length; i += PIECE) {
    const lines = commands.slice(i, i + PIECE).map((c) => `        ${JSON.stringify(c)}`);
    piece += `${i === 0 ? "\n" : ",\n"}${lines.join(",\n")}`;
    yield piece;
    piece = "";
  }
  yield "\n      ]\n    }";
}

function* planJson(
  exitCode: number,
  nodes: Iterable<ScratchNode>,
  clusters: unknown[],
  missing: string[],
): Generator<string> {
  const { warnings } = warningsField();
  const warned = warnings ? `\n  "warnings": ${indented(warnings, 1)},` : "";
  yield `{\n  "schemaVersion": ${SCHEMA_VERSION},\n  "command": "plan",\n  "exitCode": ${exitCode},${warned}\n  "nodes": [`;
  let first = true;
  for (const n of nodes) {
    yield first ? "\n" : ",\n";
    yield* nodeJson(n);
    first = false;
  }
  yield `${first ? "]" : "\n  ]"},\n  "clusters": ${indented(clusters, 1)},\n  "nodesWithoutBlocks": ${indented(missing, 1)}\n}\n`;
}

/** YAML, as `yaml`'s stringify lays the document out (sequences indented under their key). */
function* planYaml(
  exitCode: number,
  nodes: Iterable<ScratchNode>,
  clusters: unknown[],
  missing: string[],
): Generator<string> {
  yield stringify(
    { schemaVersion: SCHEMA_VERSION, command: "plan", exitCode, ...warningsField() },
    { lineWidth: 0 },
  );
  let any = false;
  for (const n of nodes) {
    if (!any) yield "nodes:\n";
    any = true;
    const { commands, ...head } = n;
    const text = stringify([{ ...head, commands: commands.slice(0, PIECE) }], { lineWidth: 0 });
    yield text.replace(/^/gm, "  ").replace(/ +$/, "");
    for (let i = PIECE; i < commands.length; i += PIECE) {
      yield stringify(commands.slice(i, i + PIECE), { lineWidth: 0 })
        .replace(/^/gm, "      ")
        .replace(/ +$/, "");
    }
  }
  if (!any) yield "nodes: []\n";
  yield stringify({ clusters, nodesWithoutBlocks: missing }, { lineWidth: 0 });
}

export function planDocument(
  format: "json" | "yaml",
  exitCode: number,
  nodes: Iterable<ScratchNode>,
  clusters: unknown[],
  missing: string[],
): Generator<string> {
  return format === "json"
    ? planJson(exitCode, nodes, clusters, missing)
    : planYaml(exitCode, nodes, clusters, missing);
}
