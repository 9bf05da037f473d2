/**
 * The fixed set of resource types the lab kube-apiserver serves (lab test equipment, not a Kubernetes API
 * server): core v1 nodes, the two Calico CRDs meshctl touches, and read-only CustomResourceDefinitions
 * synthesised from the Calico types so `kubectl get crd ippools.crd.projectcalico.org` works.
 */
import type { JsonValue } from "./types.js";

export const VERBS = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
] as const;
export type Verb = (typeof VERBS)[number];

export const CALICO_GROUP = "crd.projectcalico.org";
export const CRD_GROUP = "apiextensions.k8s.io";

export interface ResourceDef {
  /** "" for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  verbs: readonly Verb[];
  /** A custom resource: JSON merge patch only (no strategic merge patch); DELETE returns the object. */
  custom: boolean;
  /** Objects are synthesised (read-only), not stored. */
  synthetic: boolean;
}

const WRITABLE: readonly Verb[] = VERBS;
const READ_ONLY: readonly Verb[] = ["get", "list"];

export const NODES: ResourceDef = {
  group: "",
  version: "v1",
  kind: "Node",
  listKind: "NodeList",
  plural: "nodes",
  singular: "node",
  shortNames: ["no"],
  verbs: WRITABLE,
  custom: false,
  synthetic: false,
};

export const IPPOOLS: ResourceDef = {
  group: CALICO_GROUP,
  version: "v1",
  kind: "IPPool",
  listKind: "IPPoolList",
  plural: "ippools",
  singular: "ippool",
  shortNames: [],
  verbs: WRITABLE,
  custom: true,
  synthetic: false,
};

export const BLOCK_AFFINITIES: ResourceDef = {
  group: CALICO_GROUP,
  version: "v1",
  kind: "BlockAffinity",
  listKind: "BlockAffinityList",
  plural: "blockaffinities",
  singular: "blockaffinity",
  shortNames: [],
  verbs: WRITABLE,
  custom: true,
  synthetic: false,
};

export const CRDS: ResourceDef = {
  group: CRD_GROUP,
  version: "v1",
  kind: "CustomResourceDefinition",
  listKind: "CustomResourceDefinitionList",
  plural: "customresourcedefinitions",
  singular: "customresourcedefinition",
  shortNames: ["crd", "crds"],
  verbs: READ_ONLY,
  custom: false,
  synthetic: true,
};

/** Every type the state file may hold, whether or not it is currently served. */
export const STORED_RESOURCES: readonly ResourceDef[] = [NODES, IPPOOLS, BLOCK_AFFINITIES];

/** The types served: without Calico the cluster looks like a plain (non-Calico) cluster. */
export function servedResources(calico: boolean): ResourceDef[] {
  return calico ? [NODES, IPPOOLS, BLOCK_AFFINITIES, CRDS] : [NODES, CRDS];
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group === "" ? def.version : `${def.group}/${def.version}`;
}

/** `ippools.crd.projectcalico.org`, or `nodes` for the core group: how the API server names a resource. */
export function qualifiedName(def: ResourceDef): string {
  return def.group === "" ? def.plural : `${def.plural}.${def.group}`;
}

export function findStored(apiVersion: string, kind: string): ResourceDef | undefined {
  return STORED_RESOURCES.find((d) => apiVersionOf(d) === apiVersion && d.kind === kind);
}

/** The CustomResourceDefinition object kube-apiserver would hold for a served custom resource. */
export function crdObject(def: ResourceDef, created: string): JsonValue {
  return {
    apiVersion: `${CRD_GROUP}/v1`,
    kind: "CustomResourceDefinition",
    metadata: {
      name: qualifiedName(def),
      uid: `lab-crd-${def.plural}`,
      resourceVersion: "1",
      generation: 1,
      creationTimestamp: created,
    },
    spec: {
      group: def.group,
      names: { kind: def.kind, listKind: def.listKind, plural: def.plural, singular: def.singular },
      scope: "Cluster",
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
    status: {
      acceptedNames: { kind: def.kind, listKind: def.listKind, plural: def.plural, singular: def.singular },
      conditions: [
        {
          type: "NamesAccepted",
          status: "True",
          reason: "NoConflicts",
          lastTransitionTime: created,
          message: "no conflicts found",
        },
        {
          type: "Established",
          status: "True",
          reason: "InitialNamesAccepted",
          lastTransitionTime: created,
          message: "the initial names have been accepted",
        },
      ],
      storedVersions: [def.version],
    },
  };
}
