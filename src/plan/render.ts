/** Plans and diffs as text (for people) and as plain data (for `--output json`). Pure. */
import type { Change, ChangeBase } from "./change.js";
import { changeSymbol } from "./change.js";
import { renderCmd } from "./commands.js";
import { memoText } from "./memo-text.js";

export interface ChangeJson {
  resource: string;
  key: string;
  action: string;
  before?: string;
  after?: string;
  destructive: boolean;
  commands: string[];
  undo: string[];
}

export function changeToJson(
  c: Change | (ChangeBase & { forward: { text: string }[]; inverse: { text: string }[] }),
): ChangeJson {
  return {
    resource: c.resource,
    key: c.key,
    action: c.action,
    ...(c.before === undefined ? {} : { before: c.before }),
    ...(c.after === undefined ? {} : { after: c.after }),
    destructive: c.destructive ?? false,
    commands: c.forward.map(renderOp),
    undo: c.inverse.map(renderOp),
  };
}

/** One line per change: `+ route 10.235.88.0/24 (node3): via 179.17.1.16 dev vxlan-test`. */
/** `ip …`/`bridge …` for node commands; a kubectl op carries its own text. */
function renderOp(op: Change["forward"][number] | { text: string }): string {
  return "text" in op ? op.text : renderCmd(op);
}

const described = new WeakMap<ChangeBase, string>();

export function describeChange(c: ChangeBase): string {
  return memoText(described, c, describe);
}

function describe(c: ChangeBase): string {
  const sym = changeSymbol(c.action);
  const what =
    c.action === "delete" ? (c.before ?? "") : c.before ? `${c.before} → ${c.after ?? ""}` : (c.after ?? "");
  const tail = c.destructive && c.action !== "delete" ? " (destructive)" : "";
  return `${sym} ${c.resource} ${c.key}${what ? `: ${what}` : ""}${tail}`;
}

/** The commands of a change list, in execution order. */
export function commandsOf(changes: readonly Change[]): string[] {
  const out: string[] = [];
  for (const c of changes) for (const op of c.forward) out.push(renderCmd(op));
  return out;
}
