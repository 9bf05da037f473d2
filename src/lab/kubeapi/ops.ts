/**
 * The write semantics of the lab kube-apiserver as pure functions: each takes the live object (if any) and
 * the request body and returns the object to store, or a Status. The server assigns resourceVersion and
 * persists. Server-maintained metadata (uid, creationTimestamp, generation, resourceVersion) cannot be
 * changed by clients; generation is bumped when anything outside metadata changes; a resourceVersion in
 * the body of an update or patch is a precondition (409 Conflict when stale). managedFields are not kept.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { applyMerge, jsonPatch, mergePatch } from "./merge.js";
import { apiVersionOf, type ResourceDef } from "./resources.js";
import { validLabelKey, validLabelValue } from "./selectors.js";
import { badRequest, conflict, invalid } from "./status.js";
import { nowTimestamp } from "./store.js";
import {
  asKubeObject,
  deepEqual,
  fail,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  type Outcome,
  ok,
  type StatusCause,
} from "./types.js";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SERVER_FIELDS = ["uid", "creationTimestamp", "generation", "resourceVersion"] as const;
const TOP_LEVEL_FIELDS = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);
const METADATA_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

/**
 * Fields outside the ObjectMeta/top-level schema, for `?fieldValidation=`. Only the envelope is checked:
 * the lab server does not hold the Calico or Node schemas, so unknown fields inside `spec` pass.
 */
export function unknownFields(body: JsonValue): string[] {
  if (!isJsonObject(body)) return [];
  const top = Object.keys(body).filter((k) => !TOP_LEVEL_FIELDS.has(k));
  const meta = isJsonObject(body.metadata)
    ? Object.keys(body.metadata).filter((k) => !METADATA_FIELDS.has(k))
    : [];
  return [...top, ...meta.map((k) => `metadata.${k}`)];
}

function checkType(def: ResourceDef, body: JsonValue): Outcome<JsonObject & { metadata: JsonObject }> {
  if (!isJsonObject(body)) return fail(badRequest("the request body must be a JSON object"));
  const want = apiVersionOf(def);
  if (body.apiVersion !== want) {
    return fail(
      badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`,
      ),
    );
  }
  if (body.kind !== def.kind) {
    return fail(
      badRequest(
        `the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`,
      ),
    );
  }
  const metadata = body.metadata ?? {};
  if (!isJsonObject(metadata)) return fail(badRequest("metadata must be an object"));
  return ok({ ...body, metadata });
}

function stringMapCauses(meta: JsonObject, field: "labels" | "annotations"): StatusCause[] {
  const v = meta[field];
  if (v === undefined || v === null) return [];
  if (!isJsonObject(v))
    return [{ reason: "FieldValueInvalid", message: "must be a map of strings", field: `metadata.${field}` }];
  const causes: StatusCause[] = [];
  for (const [k, val] of Object.entries(v)) {
    const f = `metadata.${field}`;
    if (!validLabelKey(k))
      causes.push({ reason: "FieldValueInvalid", message: `Invalid value: "${k}": invalid key`, field: f });
    else if (typeof val !== "string")
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: ${JSON.stringify(val)}: must be a string`,
        field: f,
      });
    else if (field === "labels" && !validLabelValue(val)) {
      causes.push({
        reason: "FieldValueInvalid",
        message: `Invalid value: "${val}": invalid label value`,
        field: f,
      });
    }
  }
  return causes;
}

function validate(def: ResourceDef, obj: KubeObject): Outcome<KubeObject> {
  const name = obj.metadata.name;
  const causes: StatusCause[] = [];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    const message = `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`;
    causes.push({ reason: "FieldValueInvalid", message, field: "metadata.name" });
  }
  causes.push(...stringMapCauses(obj.metadata, "labels"), ...stringMapCauses(obj.metadata, "annotations"));
  return causes.length === 0 ? ok(obj) : fail(invalid(def, name, causes));
}

function withName(body: JsonObject & { metadata: JsonObject }, urlName?: string): Outcome<KubeObject> {
  const meta = body.metadata;
  let name = meta.name;
  if (
    (name === undefined || name === "") &&
    typeof meta.generateName === "string" &&
    meta.generateName !== ""
  ) {
    name = meta.generateName + randomBytes(4).toString("hex").slice(0, 5);
  }
  if (typeof name !== "string" || name === "") return fail(badRequest("name or generateName is required"));
  if (urlName !== undefined && name !== urlName) {
    return fail(
      badRequest(`the name of the object (${name}) does not match the name on the URL (${urlName})`),
    );
  }
  const obj = asKubeObject({ ...body, metadata: { ...meta, name } });
  return obj ? ok(obj) : fail(badRequest("invalid object"));
}

/** POST (and server-side apply of an absent object). */
export function planCreate(
  def: ResourceDef,
  body: JsonValue,
  now: Date,
  urlName?: string,
): Outcome<KubeObject> {
  const typed = checkType(def, body);
  if (!typed.ok) return typed;
  if (typed.value.metadata.resourceVersion !== undefined && urlName === undefined) {
    return fail(badRequest("resourceVersion should not be set on objects to be created"));
  }
  const named = withName(typed.value, urlName);
  if (!named.ok) return named;
  const obj = named.value;
  const meta: JsonObject & { name: string } = { ...obj.metadata };
  for (const f of [...SERVER_FIELDS, "namespace", "selfLink", "deletionTimestamp", "managedFields"])
    delete meta[f];
  meta.uid = randomUUID();
  meta.creationTimestamp = nowTimestamp(now);
  meta.generation = 1;
  return validate(def, { ...obj, metadata: meta });
}

function withoutMetadata(o: JsonObject): JsonObject {
  const { metadata: _ignored, ...rest } = o;
  return rest;
}

/** PUT, and the second half of every patch: `candidate` is the intended new state of `live`. */
export function planUpdate(def: ResourceDef, live: KubeObject, candidate: JsonValue): Outcome<KubeObject> {
  const typed = checkType(def, candidate);
  if (!typed.ok) return typed;
  const named = withName(typed.value, live.metadata.name);
  if (!named.ok) return named;
  const obj = named.value;
  const rv = obj.metadata.resourceVersion;
  if (rv !== undefined && rv !== null && rv !== "" && rv !== live.metadata.resourceVersion) {
    return fail(conflict(def, live.metadata.name));
  }
  const meta: JsonObject & { name: string } = { ...obj.metadata };
  for (const f of ["namespace", "selfLink", "managedFields"]) delete meta[f];
  for (const f of SERVER_FIELDS) {
    const v = live.metadata[f];
    if (v === undefined) delete meta[f];
    else meta[f] = v;
  }
  if (!deepEqual(withoutMetadata(obj), withoutMetadata(live)))
    meta.generation = Number(live.metadata.generation ?? 0) + 1;
  return validate(def, { ...obj, metadata: meta });
}

export type PatchKind = "merge" | "json" | "strategic";

export function planPatch(
  def: ResourceDef,
  live: KubeObject,
  kind: PatchKind,
  patch: JsonValue,
): Outcome<KubeObject> {
  if (kind === "json") {
    const patched = jsonPatch(live, patch);
    if (typeof patched === "string")
      return fail(badRequest(`the server rejected our request due to an error in our request: ${patched}`));
    return planUpdate(def, live, patched);
  }
  if (!isJsonObject(patch)) return fail(badRequest("a merge patch must be a JSON object"));
  return planUpdate(def, live, mergePatch(live, patch));
}

/** Server-side apply (simplified; see `applyMerge`). `live` is undefined when the object is absent. */
export function planApply(
  def: ResourceDef,
  live: KubeObject | undefined,
  name: string,
  applied: JsonValue,
  now: Date,
): Outcome<KubeObject> {
  const typed = checkType(def, applied);
  if (!typed.ok) return typed;
  if (typed.value.metadata.name !== name) {
    return fail(
      badRequest(
        `the name of the object (${String(typed.value.metadata.name)}) does not match the name on the URL (${name})`,
      ),
    );
  }
  if (!live) return planCreate(def, applied, now, name);
  return planUpdate(def, live, applyMerge(live, applied));
}

/** True when the patch uses strategic-merge directives (`$patch`, `$setElementOrder/...`, ...). */
export function hasDirectives(v: JsonValue): boolean {
  if (Array.isArray(v)) return v.some(hasDirectives);
  if (!isJsonObject(v)) return false;
  return Object.entries(v).some(([k, val]) => k.startsWith("$") || hasDirectives(val));
}
