/**
 * Label and field selectors as kube-apiserver parses them from `?labelSelector=` / `?fieldSelector=`.
 * Label selectors support the whole string syntax: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`,
 * `k notin (a,b)`, comma-separated (AND). Field selectors support `metadata.name` and `metadata.namespace`
 * with `=`, `==` and `!=`, which is what kubectl sends (`delete`/`wait` use `metadata.name=NAME`).
 */
import { badRequest } from "./status.js";
import { fail, type KubeObject, type Outcome, ok, stringMap } from "./types.js";

export type LabelRequirement =
  | { op: "eq" | "neq"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "notexists"; key: string };

export interface FieldRequirement {
  field: "metadata.name" | "metadata.namespace";
  op: "eq" | "neq";
  value: string;
}

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function validLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (name.length > 63 || !NAME_PART.test(name)) return false;
  return prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
}

export function validLabelValue(value: string): boolean {
  return value.length <= 63 && VALUE.test(value);
}

/** Splits on commas that are not inside `( )`. */
function splitTopLevel(s: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) return undefined;
  }
  if (depth !== 0) return undefined;
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

const SET_RE = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const EQ_RE = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/;

function parseRequirement(raw: string): LabelRequirement | string {
  const set = SET_RE.exec(raw);
  if (set) {
    const [, key = "", op, list = ""] = set;
    const values = list.split(",").map((v) => v.trim());
    return { op: op === "in" ? "in" : "notin", key, values };
  }
  const eq = EQ_RE.exec(raw);
  if (eq) {
    const [, key = "", op, value = ""] = eq;
    return { op: op === "!=" ? "neq" : "eq", key, value };
  }
  if (raw.startsWith("!")) return { op: "notexists", key: raw.slice(1).trim() };
  if (/^[^\s!=()<>]+$/.test(raw)) return { op: "exists", key: raw };
  return `unable to parse requirement: ${JSON.stringify(raw)}`;
}

function requirementError(r: LabelRequirement): string | undefined {
  if (!validLabelKey(r.key)) return `unable to parse requirement: invalid label key "${r.key}"`;
  const values = "values" in r ? r.values : "value" in r ? [r.value] : [];
  const bad = values.find((v) => !validLabelValue(v));
  return bad === undefined ? undefined : `unable to parse requirement: invalid label value: "${bad}"`;
}

export function parseLabelSelector(selector: string): Outcome<LabelRequirement[]> {
  if (selector.trim() === "") return ok([]);
  const parts = splitTopLevel(selector);
  if (!parts) return fail(badRequest(`unable to parse requirement: unbalanced parentheses in "${selector}"`));
  const reqs: LabelRequirement[] = [];
  for (const part of parts) {
    const r = parseRequirement(part);
    if (typeof r === "string") return fail(badRequest(r));
    const err = requirementError(r);
    if (err) return fail(badRequest(err));
    reqs.push(r);
  }
  return ok(reqs);
}

function matchesOne(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case "eq":
      return has && v === r.value;
    case "neq":
      return !has || v !== r.value;
    case "in":
      return has && v !== undefined && r.values.includes(v);
    case "notin":
      return !has || v === undefined || !r.values.includes(v);
    case "exists":
      return has;
    case "notexists":
      return !has;
  }
}

export function matchesLabels(reqs: readonly LabelRequirement[], obj: KubeObject): boolean {
  const labels = stringMap(obj.metadata.labels);
  return reqs.every((r) => matchesOne(r, labels));
}

export function parseFieldSelector(selector: string): Outcome<FieldRequirement[]> {
  if (selector.trim() === "") return ok([]);
  const reqs: FieldRequirement[] = [];
  for (const part of selector.split(",").map((p) => p.trim())) {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) return fail(badRequest(`invalid selector: '${selector}'; can't understand '${part}'`));
    const [, field = "", op, value = ""] = m;
    if (field !== "metadata.name" && field !== "metadata.namespace") {
      return fail(badRequest(`field label not supported: ${field}`));
    }
    reqs.push({ field, op: op === "!=" ? "neq" : "eq", value });
  }
  return ok(reqs);
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => {
    // Every served type is cluster-scoped: the namespace is always "".
    const actual = r.field === "metadata.name" ? obj.metadata.name : "";
    return (actual === r.value) === (r.op === "eq");
  });
}
