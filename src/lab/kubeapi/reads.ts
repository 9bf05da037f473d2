/** Reads: get and list, with label/field selectors and server-side Table printing. */
import { type Ctx, type Reply, type ResourceRequest, statusReply } from "./context.js";
import { apiVersionOf, CALICO_GROUP, crdObject, type ResourceDef } from "./resources.js";
import {
  type FieldRequirement,
  type LabelRequirement,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "./selectors.js";
import * as S from "./status.js";
import { nowTimestamp } from "./store.js";
import { type IncludeObject, toTable } from "./table.js";
import { asKubeObject, type KubeObject, type Outcome, ok } from "./types.js";

export function liveObjects(ctx: Ctx, def: ResourceDef): KubeObject[] {
  if (!def.synthetic) return ctx.store.list(def);
  const created = nowTimestamp(ctx.started);
  const crs = ctx.defs.filter((d) => d.group === CALICO_GROUP);
  return crs.map((d) => asKubeObject(crdObject(d, created))).filter((o): o is KubeObject => o !== undefined);
}

export function liveObject(ctx: Ctx, def: ResourceDef, name: string): KubeObject | undefined {
  return def.synthetic
    ? liveObjects(ctx, def).find((o) => o.metadata.name === name)
    : ctx.store.get(def, name);
}

export interface Selection {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function selection(query: URLSearchParams): Outcome<Selection> {
  const labels = parseLabelSelector(query.get("labelSelector") ?? "");
  if (!labels.ok) return labels;
  const fields = parseFieldSelector(query.get("fieldSelector") ?? "");
  if (!fields.ok) return fields;
  return ok({ labels: labels.value, fields: fields.value });
}

export function selects(sel: Selection, obj: KubeObject): boolean {
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

export function listReply(ctx: Ctx, r: ResourceRequest): Reply {
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

export function getReply(ctx: Ctx, r: ResourceRequest, name: string): Reply {
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
