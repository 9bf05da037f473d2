/**
 * Lab test equipment, not a Kubernetes API server: a small HTTP server that real kubectl can work against
 * for core/v1 nodes, Calico's IPPool and BlockAffinity custom resources (and read-only CRD objects for
 * them). Plain HTTP, no authentication, single process, state in one JSON file. It implements get, list
 * (label and field selectors, server-side Table printing), watch, create, update, JSON merge / JSON /
 * (for nodes only) directive-free strategic merge patch, a simplified server-side apply, delete and
 * deletecollection, dry runs, and `Status` errors worded like kube-apiserver's.
 *
 * Fault injection for tests: `deny` rules answer 403 Forbidden; `calico: false` serves no Calico group.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseYaml } from "yaml";
import { type DenyRule, isDenied, parseDenyRule } from "./deny.js";
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
  wantsAggregated,
} from "./discovery.js";
import { OPENAPI_V2_CONTENT_TYPE, openApiV2Protobuf, openApiV3Doc, openApiV3Root } from "./openapi.js";
import {
  hasDirectives,
  type PatchKind,
  planApply,
  planCreate,
  planPatch,
  planUpdate,
  unknownFields,
} from "./ops.js";
import {
  apiVersionOf,
  CALICO_GROUP,
  crdObject,
  type ResourceDef,
  servedResources,
  type Verb,
} from "./resources.js";
import {
  type FieldRequirement,
  type LabelRequirement,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "./selectors.js";
import * as S from "./status.js";
import { nowTimestamp, ObjectStore } from "./store.js";
import { type IncludeObject, toTable } from "./table.js";
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
  type Status,
} from "./types.js";

export interface KubeApiOptions {
  host: string;
  /** 0 picks an ephemeral port. */
  port: number;
  statePath: string;
  /** `VERB:RESOURCE` rules answered with 403 Forbidden. */
  deny?: readonly string[];
  /** Serve the Calico group (default true); false simulates a cluster without Calico. */
  calico?: boolean;
  /** Called with one line per request (method, path, status). */
  log?: (line: string) => void;
}

export interface KubeApi {
  /** `http://HOST:PORT`, for a kubeconfig's `server:`. */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 3 * 1024 * 1024;
const JSON_TYPE = "application/json";

interface Reply {
  code: number;
  body: JsonValue | string | Buffer;
  contentType?: string;
  warnings?: string[];
}

interface Ctx {
  store: ObjectStore;
  defs: ResourceDef[];
  deny: DenyRule[];
  started: Date;
  serverAddress: string;
  watches: Set<ServerResponse>;
}

interface ResourceRequest {
  def: ResourceDef;
  name?: string;
  method: string;
  query: URLSearchParams;
  accept: string;
  contentType: string;
  body: string;
}

function statusReply(s: Status): Reply {
  return { code: s.code, body: s as unknown as JsonObject };
}

function fromOutcome<T>(o: Outcome<T>, onOk: (v: T) => Reply): Reply {
  return o.ok ? onOk(o.value) : statusReply(o.status);
}

// ---------------------------------------------------------------------------------------------------------
// Routing

type Route =
  | { kind: "doc"; reply: Reply }
  | { kind: "resource"; def: ResourceDef; name?: string }
  | { kind: "none" };

function openApiRoute(ctx: Ctx, segs: string[]): Reply | undefined {
  const [, v, a, b, c] = segs;
  if (v === "v2" && segs.length === 2)
    return { code: 200, body: openApiV2Protobuf(), contentType: OPENAPI_V2_CONTENT_TYPE };
  if (v !== "v3") return undefined;
  if (segs.length === 2) return { code: 200, body: openApiV3Root(ctx.defs) };
  const doc =
    a === "api" && segs.length === 4 && b !== undefined
      ? openApiV3Doc(ctx.defs, "", b)
      : a === "apis" && segs.length === 5 && b !== undefined && c !== undefined
        ? openApiV3Doc(ctx.defs, b, c)
        : undefined;
  return doc && { code: 200, body: doc };
}

function docRoute(ctx: Ctx, segs: string[], accept: string): Reply | undefined {
  if (segs[0] === "openapi") return openApiRoute(ctx, segs);
  const aggregated = wantsAggregated(accept);
  const [a, b, c] = segs;
  if (segs.length === 1 && a === "version") return { code: 200, body: versionInfo() };
  if (segs.length === 1 && (a === "healthz" || a === "livez" || a === "readyz"))
    return { code: 200, body: "ok", contentType: "text/plain" };
  if (segs.length === 1 && a === "api") {
    return aggregated
      ? { code: 200, body: aggregatedDiscovery(ctx.defs, true), contentType: AGGREGATED_CONTENT_TYPE }
      : { code: 200, body: apiVersions(ctx.serverAddress) };
  }
  if (segs.length === 1 && a === "apis") {
    return aggregated
      ? { code: 200, body: aggregatedDiscovery(ctx.defs, false), contentType: AGGREGATED_CONTENT_TYPE }
      : { code: 200, body: apiGroupList(ctx.defs) };
  }
  const doc =
    a === "api" && segs.length === 2 && b !== undefined
      ? apiResourceList(ctx.defs, "", b)
      : a === "apis" && segs.length === 2 && b !== undefined
        ? apiGroupDoc(ctx.defs, b)
        : a === "apis" && segs.length === 3 && b !== undefined && c !== undefined
          ? apiResourceList(ctx.defs, b, c)
          : undefined;
  return doc && { code: 200, body: doc };
}

function resourceRoute(ctx: Ctx, segs: string[]): Route {
  const core = segs[0] === "api";
  const [group, version, plural, name, ...rest] = core ? ["", ...segs.slice(1)] : segs.slice(1);
  if (rest.length > 0 || plural === undefined) return { kind: "none" };
  const def = ctx.defs.find((d) => d.group === group && d.version === version && d.plural === plural);
  if (!def) return { kind: "none" };
  return name === undefined ? { kind: "resource", def } : { kind: "resource", def, name };
}

function route(ctx: Ctx, path: string, accept: string): Route {
  const segs = path
    .split("/")
    .filter((s) => s !== "")
    .map(decodeURIComponent);
  const reply = docRoute(ctx, segs, accept);
  if (reply) return { kind: "doc", reply };
  if ((segs[0] === "api" || segs[0] === "apis") && segs.length >= 3) return resourceRoute(ctx, segs);
  return { kind: "none" };
}

// ---------------------------------------------------------------------------------------------------------
// Reads

function liveObjects(ctx: Ctx, def: ResourceDef): KubeObject[] {
  if (!def.synthetic) return ctx.store.list(def);
  const created = nowTimestamp(ctx.started);
  const crs = ctx.defs.filter((d) => d.group === CALICO_GROUP);
  return crs.map((d) => asKubeObject(crdObject(d, created))).filter((o): o is KubeObject => o !== undefined);
}

function liveObject(ctx: Ctx, def: ResourceDef, name: string): KubeObject | undefined {
  return def.synthetic
    ? liveObjects(ctx, def).find((o) => o.metadata.name === name)
    : ctx.store.get(def, name);
}

interface Selection {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

function selection(query: URLSearchParams): Outcome<Selection> {
  const labels = parseLabelSelector(query.get("labelSelector") ?? "");
  if (!labels.ok) return labels;
  const fields = parseFieldSelector(query.get("fieldSelector") ?? "");
  if (!fields.ok) return fields;
  return ok({ labels: labels.value, fields: fields.value });
}

function selects(sel: Selection, obj: KubeObject): boolean {
  return matchesLabels(sel.labels, obj) && matchesFields(sel.fields, obj);
}

/** `application/json;as=Table;v=v1;g=meta.k8s.io`, as `kubectl get` sends for human-readable output. */
function wantsTable(accept: string): boolean {
  return accept.split(",").some((part) => {
    const params = part.split(";").map((p) => p.trim());
    return params.includes("as=Table") && params.includes("g=meta.k8s.io");
  });
}

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get("includeObject");
  return v === "None" || v === "Object" ? v : "Metadata";
}

function listReply(ctx: Ctx, r: ResourceRequest): Reply {
  const sel = selection(r.query);
  if (!sel.ok) return statusReply(sel.status);
  const items = liveObjects(ctx, r.def).filter((o) => selects(sel.value, o));
  const rv = ctx.store.resourceVersion;
  if (wantsTable(r.accept))
    return { code: 200, body: toTable(r.def, items, rv, includeObject(r.query), new Date()) };
  return {
    code: 200,
    body: { apiVersion: apiVersionOf(r.def), kind: r.def.listKind, metadata: { resourceVersion: rv }, items },
  };
}

function getReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
  const obj = liveObject(ctx, r.def, name);
  if (!obj) return statusReply(S.notFound(r.def, name));
  if (wantsTable(r.accept)) {
    return {
      code: 200,
      body: toTable(r.def, [obj], String(obj.metadata.resourceVersion), includeObject(r.query), new Date()),
    };
  }
  return { code: 200, body: obj };
}

// ---------------------------------------------------------------------------------------------------------
// Writes

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

function createReply(ctx: Ctx, r: ResourceRequest): Reply {
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

function updateReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
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

function patchReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
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

function deleteReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
  // Custom resources answer with the deleted object, built-in types like nodes with a success Status.
  return fromOutcome(deleteOne(ctx, r, name), (obj) => ({
    code: 200,
    body: r.def.custom ? obj : (S.success(r.def, name) as unknown as JsonObject),
  }));
}

function deleteCollectionReply(ctx: Ctx, r: ResourceRequest): Reply {
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

// ---------------------------------------------------------------------------------------------------------
// Watch

function watchEvent(type: string, object: JsonValue): string {
  return `${JSON.stringify({ type, object })}\n`;
}

function startWatch(ctx: Ctx, r: ResourceRequest, res: ServerResponse): Reply | undefined {
  const sel = selection(r.query);
  if (!sel.ok) return statusReply(sel.status);
  const rvParam = r.query.get("resourceVersion") ?? "";
  const fromRv = rvParam === "" || rvParam === "0" ? undefined : Number(rvParam);
  if (fromRv !== undefined && !Number.isSafeInteger(fromRv))
    return statusReply(S.badRequest(`invalid resourceVersion "${rvParam}"`));
  res.writeHead(200, { "content-type": JSON_TYPE, "cache-control": "no-cache" });
  ctx.watches.add(res);
  // Nothing is announced before the subscription is in place: the store is synchronous, so no event can
  // slip between the replay below and subscribe().
  if (fromRv === undefined) {
    for (const o of liveObjects(ctx, r.def).filter((x) => selects(sel.value, x)))
      res.write(watchEvent("ADDED", o));
  } else {
    const past = ctx.store.eventsSince(fromRv);
    if (!past) {
      const gone = { ...S.badRequest(`too old resource version: ${fromRv}`), code: 410, reason: "Expired" };
      res.end(watchEvent("ERROR", gone as unknown as JsonObject));
      ctx.watches.delete(res);
      return undefined;
    }
    for (const e of past)
      if (e.def === r.def && selects(sel.value, e.object)) res.write(watchEvent(e.type, e.object));
  }
  const unsubscribe = ctx.store.subscribe((e) => {
    if (e.def === r.def && selects(sel.value, e.object)) res.write(watchEvent(e.type, e.object));
  });
  const timeout = Number(r.query.get("timeoutSeconds") ?? "1800");
  const timer = setTimeout(
    () => res.end(),
    (Number.isFinite(timeout) && timeout > 0 ? timeout : 1800) * 1000,
  );
  const stop = (): void => {
    clearTimeout(timer);
    unsubscribe();
    ctx.watches.delete(res);
  };
  res.on("close", stop);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Dispatch

function verbOf(method: string, name: string | undefined, query: URLSearchParams): Verb | undefined {
  const watch = query.get("watch");
  if (method === "GET")
    return name !== undefined ? "get" : watch === "true" || watch === "1" ? "watch" : "list";
  if (name === undefined)
    return method === "POST" ? "create" : method === "DELETE" ? "deletecollection" : undefined;
  const byMethod: Record<string, Verb> = { PUT: "update", PATCH: "patch", DELETE: "delete" };
  return byMethod[method];
}

function resourceReply(ctx: Ctx, r: ResourceRequest, res: ServerResponse): Reply | undefined {
  const verb = verbOf(r.method, r.name, r.query);
  if (!verb || !r.def.verbs.includes(verb)) return statusReply(S.methodNotAllowed());
  if (isDenied(ctx.deny, verb, r.def)) return statusReply(S.forbidden(r.def, verb, r.name));
  const name = r.name ?? "";
  switch (verb) {
    case "list":
      return listReply(ctx, r);
    case "watch":
      return startWatch(ctx, r, res);
    case "get":
      return getReply(ctx, r, name);
    case "create":
      return createReply(ctx, r);
    case "update":
      return updateReply(ctx, r, name);
    case "patch":
      return patchReply(ctx, r, name);
    case "delete":
      return deleteReply(ctx, r, name);
    case "deletecollection":
      return deleteCollectionReply(ctx, r);
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | string[]> = { "content-type": reply.contentType ?? JSON_TYPE };
  if (reply.warnings && reply.warnings.length > 0) {
    headers.warning = reply.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  }
  res.writeHead(reply.code, headers);
  const b = reply.body;
  res.end(typeof b === "string" || Buffer.isBuffer(b) ? b : JSON.stringify(b));
}

async function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const url = new URL(req.url ?? "/", "http://lab.invalid");
  const accept = req.headers.accept ?? "";
  const method = req.method ?? "GET";
  const body = await readBody(req);
  if (body === undefined) return reply(res, statusReply(S.tooLarge()));
  const r = route(ctx, url.pathname, accept);
  if (r.kind === "doc") return reply(res, method === "GET" ? r.reply : statusReply(S.methodNotAllowed()));
  if (r.kind === "none") return reply(res, statusReply(S.noSuchResource()));
  const rr: ResourceRequest = {
    def: r.def,
    method,
    query: url.searchParams,
    accept,
    contentType: req.headers["content-type"] ?? "",
    body,
  };
  if (r.name !== undefined) rr.name = r.name;
  const out = resourceReply(ctx, rr, res);
  return out ? reply(res, out) : 200;
}

function reply(res: ServerResponse, r: Reply): number {
  send(res, r);
  return r.code;
}

function parseDeny(specs: readonly string[]): DenyRule[] {
  return specs.map((s) => {
    const rule = parseDenyRule(s);
    if (typeof rule === "string") throw new Error(rule);
    return rule;
  });
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Starts the server; rejects if the state file is unreadable or invalid, a deny rule is malformed, or listen fails. */
export async function startKubeApi(opts: KubeApiOptions): Promise<KubeApi> {
  const deny = parseDeny(opts.deny ?? []);
  const opened = ObjectStore.open(opts.statePath);
  if (!opened.ok) throw new Error(opened.error);
  const ctx: Ctx = {
    store: opened.store,
    defs: servedResources(opts.calico ?? true),
    deny,
    started: new Date(),
    serverAddress: "",
    watches: new Set(),
  };
  const server = createServer((req, res) => {
    handle(ctx, req, res).then(
      (code) =>
        opts.log?.(
          `${req.method} ${req.url} ${code}${req.headers["content-type"] ? ` (${req.headers["content-type"]})` : ""}`,
        ),
      (e: unknown) => {
        if (!res.headersSent) send(res, statusReply(S.internalError((e as Error).message)));
        opts.log?.(`${req.method} ${req.url} 500 ${(e as Error).message}`);
      },
    );
  });
  const addr = await listen(server, opts.host, opts.port);
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  ctx.serverAddress = `${host}:${addr.port}`;
  return { url: `http://${ctx.serverAddress}`, close: () => closeServer(server, ctx) };
}

function closeServer(server: Server, ctx: Ctx): Promise<void> {
  for (const w of ctx.watches) w.end();
  ctx.watches.clear();
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
