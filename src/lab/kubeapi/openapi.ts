/**
 * The minimal OpenAPI v3 kubectl needs from the lab kube-apiserver. `kubectl apply`/`create` validate by
 * default: kubectl reads `/openapi/v3`, then the group version's document, and looks for a PATCH operation
 * tagged with the object's `x-kubernetes-group-version-kind` that declares a `fieldValidation` query
 * parameter; if found it sends `?fieldValidation=Strict` and lets the server validate. Without OpenAPI
 * (404) kubectl 1.32 refuses with "failed to download openapi" unless `--validate=false`.
 *
 * The PATCH operation's request content types also steer client-side apply: custom resources list no
 * strategic merge patch, so kubectl falls back to JSON merge patch, as against a real cluster. Nodes list
 * it with a schema that declares no patch strategies, so kubectl sends a directive-free strategic merge
 * patch, which the server applies as a merge patch. Schemas are deliberately loose (unknown fields
 * preserved): this is not a schema-validating server.
 */
import { createHash } from "node:crypto";
import { apiVersionOf, type ResourceDef } from "./resources.js";
import type { JsonObject } from "./types.js";

function gvPath(group: string, version: string): string {
  return group === "" ? `api/${version}` : `apis/${group}/${version}`;
}

function schemaName(def: ResourceDef): string {
  return `${def.group === "" ? "io.k8s.api.core" : def.group}.${def.version}.${def.kind}`;
}

function gvk(def: ResourceDef): JsonObject {
  return { group: def.group, version: def.version, kind: def.kind };
}

function queryParam(name: string): JsonObject {
  return { name, in: "query", schema: { type: "string", uniqueItems: true } };
}

function patchOperation(def: ResourceDef): JsonObject {
  const body = { schema: { type: "object" } };
  const content: JsonObject = {
    "application/apply-patch+yaml": body,
    "application/json-patch+json": body,
    "application/merge-patch+json": body,
  };
  if (!def.custom) content["application/strategic-merge-patch+json"] = body;
  return {
    operationId: `patch${def.kind}`,
    parameters: ["dryRun", "fieldManager", "fieldValidation", "force"].map(queryParam),
    requestBody: { content, required: true },
    responses: {
      "200": {
        description: "OK",
        content: { "application/json": { schema: { $ref: `#/components/schemas/${schemaName(def)}` } } },
      },
    },
    "x-kubernetes-action": "patch",
    "x-kubernetes-group-version-kind": gvk(def),
  };
}

const STRING = { type: "string" };
const STRING_MAP = { type: "object", additionalProperties: STRING };
const LOOSE = { type: "object", "x-kubernetes-preserve-unknown-fields": true };

/** The ObjectMeta fields clients set; enough for kubectl to compute a strategic merge patch of metadata. */
const OBJECT_META = {
  type: "object",
  properties: {
    name: STRING,
    generateName: STRING,
    namespace: STRING,
    uid: STRING,
    resourceVersion: STRING,
    generation: { type: "integer", format: "int64" },
    creationTimestamp: { type: "string", format: "date-time" },
    labels: STRING_MAP,
    annotations: STRING_MAP,
    finalizers: { type: "array", items: STRING },
  },
};

/** Node spec as far as meshctl cares, with no patch strategies (podCIDRs is replaced as a whole). */
const NODE_SPEC = {
  type: "object",
  properties: {
    podCIDR: STRING,
    podCIDRs: { type: "array", items: STRING },
    providerID: STRING,
    unschedulable: { type: "boolean" },
    taints: { type: "array", items: LOOSE },
  },
};

function schema(def: ResourceDef): JsonObject {
  return {
    type: "object",
    properties: {
      apiVersion: STRING,
      kind: STRING,
      metadata: OBJECT_META,
      spec: def.custom ? LOOSE : NODE_SPEC,
      status: LOOSE,
    },
    "x-kubernetes-group-version-kind": [gvk(def)],
  };
}

/** The OpenAPI v3 document of one group version, or undefined when it is not served. */
export function openApiV3Doc(
  defs: readonly ResourceDef[],
  group: string,
  version: string,
): JsonObject | undefined {
  const ds = defs.filter((d) => d.group === group && d.version === version && !d.synthetic);
  if (ds.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  for (const d of ds) {
    paths[`/${gvPath(d.group, d.version)}/${d.plural}/{name}`] = {
      parameters: [
        { name: "name", in: "path", required: true, schema: { type: "string", uniqueItems: true } },
      ],
      patch: patchOperation(d),
    };
    schemas[schemaName(d)] = schema(d);
  }
  return {
    openapi: "3.0.0",
    info: { title: "meshctl lab kube-apiserver", version: apiVersionOf(ds[0] as ResourceDef) },
    paths,
    components: { schemas },
  };
}

function hashOf(doc: JsonObject): string {
  return createHash("sha512").update(JSON.stringify(doc)).digest("hex").toUpperCase();
}

/** `/openapi/v3`: where each served group version's document lives. */
export function openApiV3Root(defs: readonly ResourceDef[]): JsonObject {
  const paths: JsonObject = {};
  for (const d of defs) {
    const doc = openApiV3Doc(defs, d.group, d.version);
    const p = gvPath(d.group, d.version);
    if (doc) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(doc)}` };
  }
  return { paths };
}

/** kube-apiserver answers with this spelling (the `@` form kubectl sends in Accept is not a valid MIME type). */
export const OPENAPI_V2_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

function protoString(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/**
 * `/openapi/v2`, which kubectl only requests as protobuf (gnostic `openapi_v2.Document`): a document with
 * `swagger: "2.0"`, an `info` and no definitions. kubectl falls back to it for client-side validation when
 * a group version has no OpenAPI v3 (e.g. the Calico group with `--no-calico`); with no definitions
 * kubectl skips validation and then reports the unknown kind itself ("no matches for kind ...").
 */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, "meshctl lab kube-apiserver"), protoString(2, "v1.32.0")]);
  return Buffer.concat([protoString(1, "2.0"), Buffer.from([(2 << 3) | 2, info.length]), info]);
}
