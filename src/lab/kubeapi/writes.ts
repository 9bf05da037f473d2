/**
 * Writes: create (POST), update (PUT), the patch flavours, server-side apply, delete and deletecollection,
 * with dry runs and `?fieldValidation=`. The semantics live in ops.ts; this is the HTTP side.
 */
import { parse as parseYaml } from "yaml";
import { type Ctx, fromOutcome, type Reply, type ResourceRequest, statusReply } from "./context.js";
import { isDenied } from "./deny.js";
import {
  hasDirectives,
  type PatchKind,
  planApply,
  planCreate,
  planPatch,
  planUpdate,
  unknownFields,
} from "./ops.js";
import { selection, selects } from "./reads.js";
import { apiVersionOf, type ResourceDef } from "./resources.js";
import * as S from "./status.js";
import {
  deepEqual,
  fail,
  isJsonObject,
  type JsonValue,
  type KubeObject,
  type Outcome,
  ok,
  type Status,
} from "./types.js";

function parseBody(text: string, yamlAllowed: boolean): Outcome<JsonValue> {
  if (text.trim() === "") return fail(S.badRequest("the request body is empty"));
  try {
    return ok(JSON.parse(text) as JsonValue);
  } catch (e) {
    if (!yamlAllowed)
      return fail(S.badRequest(`the request body is not valid JSON: ${(e as Error).message}`));
  }
  try {
    const v = parseYaml(text) as JsonValue | undefined;
    return v === undefined ? fail(S.badRequest("the request body is empty")) : ok(v);
  } catch (e) {
    return fail(S.badRequest(`the request body is not valid YAML: ${(e as Error).message}`));
  }
}

function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/** Applies `?fieldValidation=` (Strict: 400; Warn, the default: a Warning header; Ignore) to a body. */
function fieldValidation(query: URLSearchParams, body: JsonValue): Outcome<string[]> {
  const unknown = unknownFields(body);
  const mode = query.get("fieldValidation") ?? "Warn";
  if (mode === "Ignore" || unknown.length === 0) return ok([]);
  const messages = unknown.map((f) => `unknown field "${f}"`);
  if (mode === "Strict") return fail(S.badRequest(`strict decoding error: ${messages.join(", ")}`));
  return ok(messages);
}

function isDryRun(query: URLSearchParams): boolean {
  return query.getAll("dryRun").includes("All");
}

/** Stores `next` unless it is a dry run or changes nothing; returns what the client should see. */
function commit(ctx: Ctx, r: ResourceRequest, live: KubeObject | undefined, next: KubeObject): KubeObject {
  if (live && deepEqual(next, live)) return live;
  if (isDryRun(r.query)) return next;
  return ctx.store.put(r.def, next);
}

function writeBody(
  r: ResourceRequest,
  yamlAllowed: boolean,
): Outcome<{ body: JsonValue; warnings: string[] }> {
  const body = parseBody(r.body, yamlAllowed);
  if (!body.ok) return body;
  const warnings = fieldValidation(r.query, body.value);
  if (!warnings.ok) return warnings;
  return ok({ body: body.value, warnings: warnings.value });
}

const JSON_BODY_TYPES = ["application/json", "application/yaml"];

export function createReply(ctx: Ctx, r: ResourceRequest): Reply {
  if (!JSON_BODY_TYPES.includes(mediaType(r.contentType)))
    return statusReply(S.unsupportedMediaType(r.contentType, JSON_BODY_TYPES));
  const parsed = writeBody(r, true);
  if (!parsed.ok) return statusReply(parsed.status);
  const planned = planCreate(r.def, parsed.value.body, new Date());
  if (!planned.ok) return statusReply(planned.status);
  const name = planned.value.metadata.name;
  if (ctx.store.get(r.def, name)) return statusReply(S.alreadyExists(r.def, name));
  return { code: 201, body: commit(ctx, r, undefined, planned.value), warnings: parsed.value.warnings };
}

export function updateReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
  if (!JSON_BODY_TYPES.includes(mediaType(r.contentType)))
    return statusReply(S.unsupportedMediaType(r.contentType, JSON_BODY_TYPES));
  const live = ctx.store.get(r.def, name);
  if (!live) return statusReply(S.notFound(r.def, name));
  const parsed = writeBody(r, true);
  if (!parsed.ok) return statusReply(parsed.status);
  return fromOutcome(planUpdate(r.def, live, parsed.value.body), (next) => ({
    code: 200,
    body: commit(ctx, r, live, next),
    warnings: parsed.value.warnings,
  }));
}

const PATCH_TYPES: Record<string, PatchKind | "apply"> = {
  "application/merge-patch+json": "merge",
  "application/json-patch+json": "json",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
};

function patchKind(def: ResourceDef, contentType: string): PatchKind | "apply" | undefined {
  const kind = PATCH_TYPES[mediaType(contentType)];
  // kube-apiserver refuses strategic merge patch for custom resources (they have no patch strategies).
  return kind === "strategic" && def.custom ? undefined : kind;
}

function applyReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
  if (!r.query.get("fieldManager"))
    return statusReply(S.badRequest("PATCH requests with apply content type require fieldManager to be set"));
  const live = ctx.store.get(r.def, name);
  if (!live && isDenied(ctx.deny, "create", r.def)) return statusReply(S.forbidden(r.def, "create", name));
  const parsed = writeBody(r, true);
  if (!parsed.ok) return statusReply(parsed.status);
  return fromOutcome(planApply(r.def, live, name, parsed.value.body, new Date()), (next) => ({
    code: live ? 200 : 201,
    body: commit(ctx, r, live, next),
    warnings: parsed.value.warnings,
  }));
}

export function patchReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
  const kind = patchKind(r.def, r.contentType);
  if (!kind) {
    const accepted = Object.keys(PATCH_TYPES).filter((t) => patchKind(r.def, t) !== undefined);
    return statusReply(S.unsupportedMediaType(r.contentType, accepted));
  }
  if (kind === "apply") return applyReply(ctx, r, name);
  const live = ctx.store.get(r.def, name);
  if (!live) return statusReply(S.notFound(r.def, name));
  const parsed = writeBody(r, false);
  if (!parsed.ok) return statusReply(parsed.status);
  if (kind === "strategic" && hasDirectives(parsed.value.body)) {
    return statusReply(
      S.unsupportedMediaType("strategic merge patch with $-directives (not implemented by the lab server)", [
        "application/merge-patch+json",
      ]),
    );
  }
  return fromOutcome(planPatch(r.def, live, kind, parsed.value.body), (next) => ({
    code: 200,
    body: commit(ctx, r, live, next),
    warnings: parsed.value.warnings,
  }));
}

/** DeleteOptions.preconditions (uid, resourceVersion), as `kubectl delete` may send. */
function preconditionFailure(r: ResourceRequest, live: KubeObject): Status | undefined {
  const opts = r.body.trim() === "" ? undefined : parseBody(r.body, false);
  const pre = opts?.ok && isJsonObject(opts.value) ? opts.value.preconditions : undefined;
  if (!isJsonObject(pre)) return undefined;
  for (const f of ["uid", "resourceVersion"] as const) {
    const want = pre[f];
    if (typeof want === "string" && want !== live.metadata[f]) {
      const s = S.conflict(r.def, live.metadata.name);
      return {
        ...s,
        message: `Precondition failed: ${f} in precondition: ${want}, ${f} in object meta: ${String(live.metadata[f])}`,
      };
    }
  }
  return undefined;
}

function deleteOne(ctx: Ctx, r: ResourceRequest, name: string): Outcome<KubeObject> {
  const live = ctx.store.get(r.def, name);
  if (!live) return fail(S.notFound(r.def, name));
  const pre = preconditionFailure(r, live);
  if (pre) return fail(pre);
  if (isDryRun(r.query)) return ok(live);
  return ok(ctx.store.remove(r.def, name) ?? live);
}

export function deleteReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
  // Custom resources answer with the deleted object, built-in types like nodes with a success Status.
  return fromOutcome(deleteOne(ctx, r, name), (obj) => ({
    code: 200,
    body: r.def.custom ? obj : S.success(r.def, name),
  }));
}

export function deleteCollectionReply(ctx: Ctx, r: ResourceRequest): Reply {
  const sel = selection(r.query);
  if (!sel.ok) return statusReply(sel.status);
  const deleted: KubeObject[] = [];
  for (const obj of ctx.store.list(r.def).filter((o) => selects(sel.value, o))) {
    const out = deleteOne(ctx, { ...r, body: "" }, obj.metadata.name);
    if (out.ok) deleted.push(out.value);
  }
  const meta = { resourceVersion: ctx.store.resourceVersion };
  return {
    code: 200,
    body: { apiVersion: apiVersionOf(r.def), kind: r.def.listKind, metadata: meta, items: deleted },
  };
}
