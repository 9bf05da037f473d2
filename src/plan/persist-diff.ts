/**
 * Boot persistence as state: the node's installed unit, its enablement link and its replay files
 * (src/plan/persist.ts) × what the facts found → changes, each with its inverse. Pure.
 * A regular file, or a link at the enablement path, under meshctl's names is meshctl's; anything else
 * there (a directory, a link instead of a file) is refused, never replaced or removed.
 */
import { createHash } from "node:crypto";
import type { NodeFacts, PersistFacts, PersistFileFact } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import type { Change } from "./change.js";
import type { Cmd, FileCmd } from "./commands.js";
import { PlanConflict } from "./node-diff.js";
import { type PersistState, persistState, unitPath, wantsPath } from "./persist.js";

const put = (path: string, content: string, mode: "644" | "600"): FileCmd => ({
  tool: "file",
  op: "put",
  path,
  content,
  mode,
});
const remove = (path: string): FileCmd => ({ tool: "file", op: "remove", path });
const link = (path: string, target: string): FileCmd => ({ tool: "file", op: "link", path, target });
/** Puts back the copy the node kept of the file before `put`/`remove` replaced it (src/plan/commands.ts). */
const restore = (path: string): FileCmd => ({ tool: "file", op: "restore", path });

/** What the facts report of a file's bytes (src/facts/sections/persist.ts). */
export const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const short = (f: PersistFileFact): string => `sha256 ${(f.sha256 ?? "unknown").slice(0, 12)}`;

const lines = (text: string): string => {
  const n = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  return `${n} line${n === 1 ? "" : "s"}`;
};

const base = { resource: "persist" as const, phase: "persist" as const };

/**
 * A file meshctl wants with this content: created, rewritten, or left as it is (same SHA-256). A rewrite
 * is undone by the copy the node keeps of the file it replaces.
 */
function fileChange(have: PersistFileFact | undefined, path: string, content: string, mode: "644" | "600") {
  if (have?.kind === "file" && have.sha256 === sha256(content)) return [];
  return [
    {
      ...base,
      key: path,
      action: have ? ("update" as const) : ("create" as const),
      ...(have ? { before: `stale (${short(have)})` } : {}),
      after: lines(content),
      forward: [put(path, content, mode)],
      inverse: [have ? restore(path) : remove(path)],
    },
  ];
}

function removeFile(have: PersistFileFact): Change {
  return {
    ...base,
    key: have.path,
    action: "delete",
    before: short(have),
    forward: [remove(have.path)],
    inverse: [restore(have.path)],
  };
}

/** Anything under meshctl's names that is not a regular file (the link: not a link) is not meshctl's. */
function refuseForeign(node: string, p: PersistFacts): void {
  const odd = [...(p.unit ? [p.unit] : []), ...p.files].filter((f) => f.kind !== "file");
  const problems = odd.map(
    (f) => `${f.path} is a ${f.kind === "link" ? "symbolic link" : "non-regular file"}`,
  );
  if (p.wants?.kind === "other") problems.push(`${p.wants.path} is not a symbolic link`);
  if (problems.length > 0) {
    throw new PlanConflict(
      node,
      `${problems.join("; ")}: not made by meshctl, refusing to touch it (remove it, or set mesh.persist: false)`,
    );
  }
}

/** What is installed, made equal to `want` (a file the node has but `want` lacks is removed). */
function converge(p: PersistFacts, want: PersistState): Change[] {
  const out: Change[] = [];
  const byPath = new Map(p.files.map((f) => [f.path, f]));
  for (const f of want.files) out.push(...fileChange(byPath.get(f.path), f.path, f.content, "600"));
  for (const f of p.files) if (!want.files.some((w) => w.path === f.path)) out.push(removeFile(f));
  out.push(...fileChange(p.unit, want.unit.path, want.unit.content, "644"));
  if (p.wants?.kind !== "ours") {
    out.push({
      ...base,
      key: want.wants.path,
      action: p.wants ? "update" : "create",
      ...(p.wants ? { before: "a link to something else than the unit" } : {}),
      after: `enabled (link to ${want.wants.target})`,
      forward: [link(want.wants.path, want.wants.target)],
      // A link already there, whatever it pointed to, was made for this unit: it is put back as one.
      inverse: [p.wants ? link(want.wants.path, want.wants.target) : remove(want.wants.path)],
    });
  }
  return out;
}

/** Everything installed removed: the enablement first, then the unit, then the files it replays. */
function removeAll(device: string, p: PersistFacts): Change[] {
  const out: Change[] = [];
  if (p.wants) {
    out.push({
      ...base,
      key: p.wants.path,
      action: "delete",
      before: "enabled",
      forward: [remove(p.wants.path)],
      inverse: [link(p.wants.path, unitPath(device))],
    });
  }
  if (p.unit) out.push(removeFile(p.unit));
  for (const f of p.files) out.push(removeFile(f));
  return out;
}

/**
 * The persistence changes of a node. `state: present` installs (or, with `persist: false`, removes) what
 * the node replays at boot; `absent` (teardown) removes it. `scratch`: the node's from-scratch commands
 * (the forward commands of diffNode on its boot facts), asked for only when needed.
 */
export function diffPersist(
  node: Pick<NodeModel, "name" | "device" | "persist">,
  facts: NodeFacts,
  state: "present" | "absent",
  scratch: () => readonly Cmd[],
): Change[] {
  const p = facts.persist;
  if (!p)
    throw new PlanConflict(
      node.name,
      "the node's facts do not say what is installed for boot (no persist section)",
    );
  refuseForeign(node.name, p);
  if (state === "absent" || node.persist === false) return removeAll(node.device.name, p);
  if (!p.systemd) {
    throw new PlanConflict(
      node.name,
      "no systemd on this node (neither /run/systemd/system nor systemctl): meshctl cannot make the mesh come back after a reboot here; set mesh.persist: false in the inventory to opt out",
    );
  }
  return converge(p, persistState(node, scratch()));
}

export { unitPath, wantsPath };
