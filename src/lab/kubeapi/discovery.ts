/**
 * Discovery documents of the lab kube-apiserver. kubectl 1.32 asks `/api` and `/apis` for aggregated
 * discovery (`Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, ...,
 * application/json`) and uses it when the response carries that content type; otherwise it falls back to
 * the legacy documents (APIVersions/APIGroupList, then one APIResourceList per group version). Both are
 * served, chosen by the Accept header.
 */
import { apiVersionOf, type ResourceDef, VERBS, type Verb } from "./resources.js";
import type { JsonObject } from "./types.js";

export const AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** Whether the client accepts aggregated discovery v2 (kubectl >= 1.30 does). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((part) => {
    const params = part.split(";").map((p) => p.trim());
    return (
      params.includes("g=apidiscovery.k8s.io") &&
      params.includes("v=v2") &&
      params.includes("as=APIGroupDiscoveryList")
    );
  });
}

function sortedVerbs(def: ResourceDef): Verb[] {
  return VERBS.filter((v) => def.verbs.includes(v));
}

function groups(defs: readonly ResourceDef[]): Map<string, ResourceDef[]> {
  const byGroup = new Map<string, ResourceDef[]>();
  for (const d of defs) byGroup.set(d.group, [...(byGroup.get(d.group) ?? []), d]);
  return byGroup;
}

export function versionInfo(): JsonObject {
  return {
    major: "1",
    minor: "32",
    gitVersion: "v1.32.0-meshctl-lab",
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-01-01T00:00:00Z",
    goVersion: "n/a (meshctl lab kube-apiserver, TypeScript)",
    compiler: "n/a",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}

/** Legacy `/api`. */
export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function apiGroup(name: string, defs: readonly ResourceDef[]): JsonObject {
  const version = defs[0]?.version ?? "v1";
  const gv = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [gv], preferredVersion: gv };
}

/** Legacy `/apis`. */
export function apiGroupList(defs: readonly ResourceDef[]): JsonObject {
  const named = [...groups(defs)].filter(([g]) => g !== "");
  return { kind: "APIGroupList", apiVersion: "v1", groups: named.map(([g, ds]) => apiGroup(g, ds)) };
}

/** Legacy `/apis/GROUP`, or undefined when the group is not served. */
export function apiGroupDoc(defs: readonly ResourceDef[], group: string): JsonObject | undefined {
  const ds = groups(defs).get(group);
  return ds && group !== "" ? { kind: "APIGroup", apiVersion: "v1", ...apiGroup(group, ds) } : undefined;
}

/** Legacy `/api/v1` or `/apis/GROUP/VERSION`, or undefined when not served. */
export function apiResourceList(
  defs: readonly ResourceDef[],
  group: string,
  version: string,
): JsonObject | undefined {
  const ds = defs.filter((d) => d.group === group && d.version === version);
  if (ds.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf(ds[0] as ResourceDef),
    resources: ds.map((d) => ({
      name: d.plural,
      singularName: d.singular,
      namespaced: false,
      kind: d.kind,
      verbs: sortedVerbs(d),
      ...(d.shortNames.length > 0 ? { shortNames: d.shortNames } : {}),
    })),
  };
}

function aggregatedGroup(name: string, defs: readonly ResourceDef[]): JsonObject {
  const version = defs[0]?.version ?? "v1";
  return {
    metadata: name === "" ? { creationTimestamp: null } : { name, creationTimestamp: null },
    versions: [
      {
        version,
        resources: defs.map((d) => ({
          resource: d.plural,
          responseKind: { group: d.group, version: d.version, kind: d.kind },
          scope: "Cluster",
          singularResource: d.singular,
          verbs: sortedVerbs(d),
          ...(d.shortNames.length > 0 ? { shortNames: d.shortNames } : {}),
        })),
        freshness: "Current",
      },
    ],
  };
}

/** Aggregated discovery for `/api` (core only) or `/apis` (every named group). */
export function aggregatedDiscovery(defs: readonly ResourceDef[], core: boolean): JsonObject {
  const items = [...groups(defs)]
    .filter(([g]) => (g === "") === core)
    .map(([g, ds]) => aggregatedGroup(g, ds));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}
