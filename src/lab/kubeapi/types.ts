/**
 * Shared types of the lab kube-apiserver (lab test equipment, not a Kubernetes API server): JSON values,
 * stored objects, and the errors-as-values `Outcome` every operation returns.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A stored Kubernetes object: any JSON object with apiVersion, kind and metadata.name. */
export type KubeObject = JsonObject & {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
};

/** A `meta.k8s.io/v1` Status, the body of every error response. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: Status };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function fail<T = never>(status: Status): Outcome<T> {
  return { ok: false, status };
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A `map[string]string` field such as metadata.labels; non-string values are ignored. */
export function stringMap(v: JsonValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isJsonObject(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

export function deepClone<T extends JsonValue>(v: T): T {
  return structuredClone(v);
}

export function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Narrows parsed JSON to a KubeObject (apiVersion, kind, metadata.name all strings). */
export function asKubeObject(v: JsonValue): KubeObject | undefined {
  if (!isJsonObject(v)) return undefined;
  const meta = v.metadata;
  if (typeof v.apiVersion !== "string" || typeof v.kind !== "string" || !isJsonObject(meta)) return undefined;
  if (typeof meta.name !== "string") return undefined;
  return v as KubeObject;
}
