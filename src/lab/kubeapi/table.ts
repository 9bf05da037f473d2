/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which plain `kubectl get`
 * asks for. Custom resources get the columns kube-apiserver gives a CRD without additionalPrinterColumns
 * (Name, Age); nodes get NAME STATUS ROLES AGE VERSION. Ages are rendered like k8s' HumanDuration.
 */
import type { ResourceDef } from "./resources.js";
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject, stringMap } from "./types.js";

export type IncludeObject = "None" | "Metadata" | "Object";

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const NAME_COLUMN: Column = {
  name: "Name",
  type: "string",
  format: "name",
  description: "Name must be unique within a namespace.",
  priority: 0,
};
const AGE_COLUMN: Column = {
  name: "Age",
  type: "date",
  format: "",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  priority: 0,
};

function col(name: string, description: string): Column {
  return { name, type: "string", format: "", description, priority: 0 };
}

const NODE_COLUMNS: Column[] = [
  NAME_COLUMN,
  col("Status", "The status of the node"),
  col("Roles", "The roles of the node"),
  AGE_COLUMN,
  col("Version", "Kubelet Version reported by the node."),
];

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

function age(obj: KubeObject, now: Date): string {
  const ts = obj.metadata.creationTimestamp;
  const t = typeof ts === "string" ? Date.parse(ts) : Number.NaN;
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

function nodeStatus(obj: KubeObject): string {
  const conditions = isJsonObject(obj.status) ? obj.status.conditions : undefined;
  const ready = Array.isArray(conditions)
    ? conditions.find((c) => isJsonObject(c) && c.type === "Ready")
    : undefined;
  const status = isJsonObject(ready) ? ready.status : undefined;
  const text = status === "True" ? "Ready" : status === "False" ? "NotReady" : "Unknown";
  const unschedulable = isJsonObject(obj.spec) && obj.spec.unschedulable === true;
  return unschedulable ? `${text},SchedulingDisabled` : text;
}

function nodeRoles(obj: KubeObject): string {
  const prefix = "node-role.kubernetes.io/";
  const roles = Object.keys(stringMap(obj.metadata.labels))
    .filter((k) => k.startsWith(prefix) && k.length > prefix.length)
    .map((k) => k.slice(prefix.length));
  return roles.length === 0 ? "<none>" : roles.sort().join(",");
}

function kubeletVersion(obj: KubeObject): string {
  const info = isJsonObject(obj.status) ? obj.status.nodeInfo : undefined;
  return isJsonObject(info) && typeof info.kubeletVersion === "string" ? info.kubeletVersion : "";
}

function cells(def: ResourceDef, obj: KubeObject, now: Date): JsonValue[] {
  if (def.plural === "nodes")
    return [obj.metadata.name, nodeStatus(obj), nodeRoles(obj), age(obj, now), kubeletVersion(obj)];
  return [obj.metadata.name, age(obj, now)];
}

function rowObject(obj: KubeObject, include: IncludeObject): JsonValue | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

export function toTable(
  def: ResourceDef,
  objs: KubeObject[],
  resourceVersion: string,
  include: IncludeObject,
  now: Date,
): JsonObject {
  const columns = def.plural === "nodes" ? NODE_COLUMNS : [NAME_COLUMN, AGE_COLUMN];
  const rows = objs.map((obj) => {
    const row: JsonObject = { cells: cells(def, obj, now) };
    const o = rowObject(obj, include);
    if (o !== undefined) row.object = o;
    return row;
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ ...c })),
    rows,
  };
}
