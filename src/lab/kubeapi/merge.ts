/**
 * The patch flavours the lab kube-apiserver understands, as pure functions on JSON:
 * - JSON merge patch (RFC 7386), which kubectl uses for custom resources (`apply`, `patch --type merge`);
 * - JSON patch (RFC 6902), for `kubectl patch --type json`;
 * - the merge used to approximate server-side apply (see `applyMerge`).
 */
import { deepClone, deepEqual, isJsonObject, type JsonObject, type JsonValue } from "./types.js";

/** RFC 7386: objects merge recursively, `null` deletes, anything else (arrays included) replaces. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return deepClone(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Server-side apply, simplified: the applied configuration's fields are merged into the live object
 * (objects recursively, lists and scalars replaced as a whole, as for atomic lists). Real SSA also tracks
 * which manager owns which field, removes fields a manager applied before and no longer applies, and
 * reports conflicts with other managers; none of that is modelled here. So a field that a manager drops
 * from its configuration is simply kept, and `--force-conflicts` changes nothing because there are never
 * conflicts. `null` in the applied configuration is ignored (the live value is kept).
 */
export function applyMerge(live: JsonValue | undefined, applied: JsonValue): JsonValue {
  if (!isJsonObject(applied)) return deepClone(applied);
  const out: JsonObject = isJsonObject(live) ? { ...live } : {};
  for (const [key, value] of Object.entries(applied)) {
    if (value !== null) out[key] = applyMerge(out[key], value);
  }
  return out;
}

export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: JsonValue }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

type Container = JsonObject | JsonValue[];

/** Walks to the parent of the pointer's last token. */
function locate(doc: JsonValue, tokens: string[]): { parent: Container; key: string } | undefined {
  let cur: JsonValue | undefined = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isJsonObject(cur)) cur = cur[t];
    else return undefined;
  }
  const key = tokens.at(-1);
  if (key === undefined || (!Array.isArray(cur) && !isJsonObject(cur))) return undefined;
  return { parent: cur, key };
}

function arrayIndex(arr: JsonValue[], key: string, forInsert: boolean): number | undefined {
  if (forInsert && key === "-") return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
  const i = Number(key);
  return i < arr.length || (forInsert && i === arr.length) ? i : undefined;
}

function getAt(doc: JsonValue, tokens: string[]): JsonValue | undefined {
  if (tokens.length === 0) return doc;
  const loc = locate(doc, tokens);
  if (!loc) return undefined;
  if (Array.isArray(loc.parent)) {
    const i = arrayIndex(loc.parent, loc.key, false);
    return i === undefined ? undefined : loc.parent[i];
  }
  return Object.hasOwn(loc.parent, loc.key) ? loc.parent[loc.key] : undefined;
}

function removeAt(doc: JsonValue, tokens: string[]): JsonValue | undefined {
  const loc = locate(doc, tokens);
  if (!loc) return undefined;
  if (Array.isArray(loc.parent)) {
    const i = arrayIndex(loc.parent, loc.key, false);
    return i === undefined ? undefined : loc.parent.splice(i, 1)[0];
  }
  if (!Object.hasOwn(loc.parent, loc.key)) return undefined;
  const old = loc.parent[loc.key];
  delete loc.parent[loc.key];
  return old;
}

function addAt(doc: JsonValue, tokens: string[], value: JsonValue, replace: boolean): boolean {
  const loc = locate(doc, tokens);
  if (!loc) return false;
  if (Array.isArray(loc.parent)) {
    const i = arrayIndex(loc.parent, loc.key, !replace);
    if (i === undefined) return false;
    loc.parent.splice(i, replace ? 1 : 0, value);
    return true;
  }
  if (replace && !Object.hasOwn(loc.parent, loc.key)) return false;
  loc.parent[loc.key] = value;
  return true;
}

function applyOp(doc: JsonValue, op: JsonPatchOp): JsonValue | string {
  const path = parsePointer(op.path);
  if (!path) return `invalid path ${JSON.stringify(op.path)}`;
  if (path.length === 0) {
    if (op.op === "add" || op.op === "replace") return deepClone(op.value);
    return `operation ${op.op} on the whole document is not supported`;
  }
  switch (op.op) {
    case "add":
    case "replace":
      return addAt(doc, path, deepClone(op.value), op.op === "replace")
        ? doc
        : `${op.op} operation does not apply: doc is missing path: "${op.path}"`;
    case "remove":
      return removeAt(doc, path) === undefined
        ? `remove operation does not apply: doc is missing path: "${op.path}"`
        : doc;
    case "test":
      return deepEqual(getAt(doc, path), op.value) ? doc : `testing value ${op.path} failed`;
    case "move":
    case "copy": {
      const from = parsePointer(op.from);
      const value = from && (op.op === "move" ? removeAt(doc, from) : getAt(doc, from));
      if (value === undefined)
        return `${op.op} operation does not apply: doc is missing from path: "${op.from}"`;
      return addAt(doc, path, deepClone(value), false)
        ? doc
        : `${op.op} operation does not apply: doc is missing path: "${op.path}"`;
    }
  }
}

function asOp(v: JsonValue): JsonPatchOp | undefined {
  if (!isJsonObject(v) || typeof v.path !== "string") return undefined;
  const { op, path } = v;
  if ((op === "add" || op === "replace" || op === "test") && v.value !== undefined)
    return { op, path, value: v.value };
  if (op === "remove") return { op, path };
  if ((op === "move" || op === "copy") && typeof v.from === "string") return { op, from: v.from, path };
  return undefined;
}

/** RFC 6902. Returns the patched copy or an error message. */
export function jsonPatch(doc: JsonValue, patch: JsonValue): JsonValue | string {
  if (!Array.isArray(patch)) return "json patch must be an array of operations";
  let cur = deepClone(doc);
  for (const raw of patch) {
    const op = asOp(raw);
    if (!op) return `invalid json patch operation ${JSON.stringify(raw)}`;
    const next = applyOp(cur, op);
    if (typeof next === "string") return next;
    cur = next;
  }
  return cur;
}
