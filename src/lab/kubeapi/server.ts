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
import { type Ctx, JSON_TYPE, MAX_BODY, type Reply, type ResourceRequest, statusReply } from "./context.js";
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
import { getReply, listReply } from "./reads.js";
import { type ResourceDef, servedResources, type Verb } from "./resources.js";
import * as S from "./status.js";
import { ObjectStore } from "./store.js";
import { startWatch } from "./watch.js";
import { createReply, deleteCollectionReply, deleteReply, patchReply, updateReply } from "./writes.js";

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
