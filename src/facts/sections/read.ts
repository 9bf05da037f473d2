/**
 * Defensive readers for iproute2's JSON: every field is checked and read tolerantly (numbers may print as
 * numbers or strings, flags as `null`, lists as a lone string), and anything wrong throws a
 * FactsParseError naming the section and the JSON path.
 */
import { type Ipv4, parseIpv4 } from "../../net/addr.js";
import { FactsParseError, preview } from "../errors.js";

export interface Ctx {
  section: string;
  path: string;
}

export type Obj = Record<string, unknown>;

export const root = (section: string): Ctx => ({ section, path: "" });

export const at = (c: Ctx, key: string | number): Ctx => ({
  section: c.section,
  path: typeof key === "number" ? `${c.path}[${key}]` : c.path === "" ? key : `${c.path}.${key}`,
});

export function fail(c: Ctx, msg: string): never {
  throw new FactsParseError(c.section, c.path === "" ? msg : `${c.path}: ${msg}`);
}

export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 60 ? `${s.slice(0, 60)}…` : s}`;
}

/** Whether a section holds JSON (iproute2 versions that ignore `-j` print plain text instead). */
export const looksJson = (text: string): boolean => /^\s*[[{]/.test(text);

/** The section's text as one JSON array. */
export function jsonArray(text: string, section: string): unknown[] {
  const t = text.trim();
  if (t === "") throw new FactsParseError(section, "empty: the command printed nothing");
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch (e) {
    throw new FactsParseError(section, `not JSON (${(e as Error).message}): ${preview(t)}`);
  }
  if (!Array.isArray(value))
    throw new FactsParseError(section, `expected a JSON array, got ${kindOf(value)}`);
  return value;
}

export function asObject(v: unknown, c: Ctx): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    fail(c, `expected an object, got ${kindOf(v)}`);
  return v as Obj;
}

/** A field's value; null counts as absent (iproute2 prints flags as `"router": null`). */
export function field(o: Obj, key: string): unknown {
  const v = o[key];
  return v === null ? undefined : v;
}

export function optString(o: Obj, key: string, c: Ctx): string | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") fail(at(c, key), `expected a string, got ${kindOf(v)}`);
  return v;
}

export function reqString(o: Obj, key: string, c: Ctx): string {
  const v = optString(o, key, c);
  if (v === undefined) fail(at(c, key), "missing");
  return v;
}

/** A non-negative integer printed as a number or a decimal string. */
export function toInt(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d{1,10}$/.test(v)) return Number(v);
  return undefined;
}

export function optInt(o: Obj, key: string, c: Ctx): number | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  const n = toInt(v);
  if (n === undefined) fail(at(c, key), `expected a non-negative integer, got ${kindOf(v)}`);
  return n;
}

export function reqInt(o: Obj, key: string, c: Ctx): number {
  const n = optInt(o, key, c);
  if (n === undefined) fail(at(c, key), "missing");
  return n;
}

export function optBool(o: Obj, key: string, c: Ctx): boolean | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  return fail(at(c, key), `expected a boolean, got ${kindOf(v)}`);
}

/** A list of strings; a lone string (some versions) is a list of one; absent is empty. */
export function strings(o: Obj, key: string, c: Ctx): string[] {
  const v = field(o, key);
  if (v === undefined) return [];
  if (typeof v === "string") return v === "" ? [] : [v];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    fail(at(c, key), `expected a list of strings, got ${kindOf(v)}`);
  }
  return v as string[];
}

export function toIpv4(s: string, c: Ctx): Ipv4 {
  const r = parseIpv4(s);
  if (!r.ok) fail(c, r.error);
  return r.value;
}

export function optIpv4(o: Obj, key: string, c: Ctx): Ipv4 | undefined {
  const s = optString(o, key, c);
  return s === undefined ? undefined : toIpv4(s, at(c, key));
}

export const isIpv4 = (s: string): s is Ipv4 => parseIpv4(s).ok;

export function eachObject(list: unknown[], section: string, f: (o: Obj, c: Ctx) => void): void {
  list.forEach((v, i) => {
    const c = at(root(section), i);
    f(asObject(v, c), c);
  });
}

/** Optional properties without `undefined` values (exactOptionalPropertyTypes). */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
