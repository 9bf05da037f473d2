/**
 * Relations between inventory fields that a per-field schema cannot see: overlaps, containment and
 * uniqueness. Pure: returns every problem found, each with the path of the value it is about.
 */
import { z } from "zod";
import {
  type Cidr,
  cidrBounds,
  cidrContainsCidr,
  cidrContainsIp,
  cidrsOverlap,
  type Ipv4,
  parseIpv4,
} from "../net/addr.js";
import { closest } from "./closest.js";
import { lockoutIssues } from "./lockout.js";
import type {
  PathIssue,
  RelationCluster,
  RelationInventory,
  RelationNode,
  RelationSsh,
} from "./relation-types.js";
import { clusterSchema, meshSchema, nodeSchema, sshSchema } from "./schema.js";

export type { PathIssue, RelationCluster, RelationInventory, RelationNode } from "./relation-types.js";

interface Labelled<T> {
  value: T;
  path: (string | number)[];
  label: string;
}

function duplicates<T>(items: Labelled<T>[], what: string, key: (v: T) => string = String): PathIssue[] {
  const seen = new Map<string, Labelled<T>>();
  const issues: PathIssue[] = [];
  for (const item of items) {
    const k = key(item.value);
    const first = seen.get(k);
    if (first)
      issues.push({ path: item.path, message: `duplicate ${what} ${k}: also used by ${first.label}` });
    else seen.set(k, item);
  }
  return issues;
}

/** The tunnel source of a node: underlay_ip, else host when it is an IPv4 address. */
export function underlayOf(n: RelationNode): string | undefined {
  return n.underlay_ip ?? (n.host !== undefined && parseIpv4(n.host).ok ? n.host : undefined);
}

export function validateRelations(inv: RelationInventory): PathIssue[] {
  const issues: PathIssue[] = [];
  const cidrs: Labelled<Cidr>[] = [];
  const clusterLabel = (c: RelationCluster, ci: number) => (c.name ? `cluster ${c.name}` : `clusters[${ci}]`);
  inv.clusters.forEach((c, ci) => {
    for (const field of ["pod_cidr", "service_cidr"] as const) {
      const value = c?.[field];
      if (c === undefined || value === undefined) continue;
      cidrs.push({
        value: value as Cidr,
        path: ["clusters", ci, field],
        label: `${clusterLabel(c, ci)} ${field}`,
      });
    }
  });
  // Pod and service CIDRs: pairwise disjoint (across clusters, and pod vs service within one).
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = cidrs[i] as Labelled<Cidr>;
      const b = cidrs[j] as Labelled<Cidr>;
      if (cidrsOverlap(a.value, b.value)) {
        issues.push({ path: a.path, message: `${a.value} overlaps ${b.label} ${b.value}` });
      }
    }
  }
  const overlay = inv.mesh.overlay as Cidr | undefined;
  for (const c of overlay === undefined ? [] : cidrs) {
    if (cidrsOverlap(overlay as Cidr, c.value)) {
      issues.push({
        path: ["mesh", "overlay"],
        message: `overlay ${overlay} overlaps ${c.label} ${c.value}`,
      });
    }
  }

  const names: Labelled<string>[] = [];
  const clusterNames: Labelled<string>[] = [];
  const hosts: Labelled<string>[] = [];
  const underlays: Labelled<string>[] = [];
  inv.clusters.forEach((c, ci) => {
    if (c === undefined) return;
    if (c.name !== undefined)
      clusterNames.push({ value: c.name, path: ["clusters", ci, "name"], label: `clusters[${ci}]` });
    const blocks: (Labelled<Cidr> & { lo: number; hi: number })[] = [];
    // Names also of nodes left out for other problems: a bad MAC must not hide a duplicate name.
    (c.names ?? c.nodes.map((n) => n?.name)).forEach((name, ni) => {
      const path = ["clusters", ci, "nodes", ni, "name"];
      if (name !== undefined) names.push({ value: name, path, label: `clusters[${ci}].nodes[${ni}]` });
    });
    c.nodes.forEach((n, ni) => {
      if (n === undefined) return;
      const at = ["clusters", ci, "nodes", ni];
      const label = `node ${n.name}`;
      const port = n.ssh?.port ?? c.ssh?.port ?? inv.mesh.ssh?.port ?? 22;
      const fromKube = c.nodes_from !== undefined;
      const control = c.control ?? c.nodes[0]?.name;
      if (n.host === undefined) {
        // From Kubernetes, a node's host defaults to its InternalIP; the control node is reached before that.
        if (!fromKube) issues.push({ path: [...at, "host"], message: `missing required key "host"` });
        else if (n.name === control) {
          issues.push({
            path: at,
            message: `control node ${n.name} needs host: meshctl connects to it to read the cluster's nodes`,
          });
        }
      } else {
        // DNS names are case-insensitive: EDGE-1.lan and edge-1.lan are the same host.
        hosts.push({ value: `${n.host.toLowerCase()}:${port}`, path: [...at, "host"], label });
      }
      const underlay = underlayOf(n);
      if (underlay === undefined) {
        if (n.host !== undefined && !fromKube) {
          issues.push({
            path: [...at, "host"],
            message: `host ${n.host} is a name: set underlay_ip for node ${n.name}`,
          });
        }
      } else {
        underlays.push({ value: underlay, path: [...at, n.underlay_ip ? "underlay_ip" : "host"], label });
      }
      (n.pod_blocks ?? []).forEach((b, bi) => {
        const bp = [...at, "pod_blocks", bi];
        if (c.pod_cidr !== undefined && !cidrContainsCidr(c.pod_cidr as Cidr, b as Cidr)) {
          issues.push({
            path: bp,
            message: `pod block ${b} is not inside ${clusterLabel(c, ci)}'s pod_cidr ${c.pod_cidr}`,
          });
        }
        // Bounds as numbers, once per block: this pairwise check is N² in a cluster's blocks.
        const [lo, hi] = cidrBounds(b as Cidr);
        for (const other of blocks) {
          if (other.lo <= hi && lo <= other.hi) {
            issues.push({ path: bp, message: `pod block ${b} overlaps ${other.label} ${other.value}` });
          }
        }
        blocks.push({ value: b as Cidr, path: bp, label: `${label}'s block`, lo, hi });
      });
    });
    (c.test_endpoints ?? []).forEach((ip, i) => {
      if (c.pod_cidr !== undefined && !cidrContainsIp(c.pod_cidr as Cidr, ip as Ipv4)) {
        issues.push({
          path: ["clusters", ci, "test_endpoints", i],
          message: `test endpoint ${ip} is not inside ${clusterLabel(c, ci)}'s pod_cidr ${c.pod_cidr}`,
        });
      }
    });
    const control = controlProblem(inv, c, clusterLabel(c, ci));
    if (control) issues.push({ path: ["clusters", ci, "control"], message: control });
  });
  issues.push(...duplicates(clusterNames, "cluster name"));
  issues.push(...duplicates(names, "node name"));
  issues.push(...duplicates(hosts, "SSH address"));
  issues.push(...duplicates(underlays, "underlay IP"));
  issues.push(...lockoutIssues(inv));
  return issues;
}

/** A cluster's `control` that names none of its nodes, with the node it probably meant. */
function controlProblem(inv: RelationInventory, c: RelationCluster, label: string): string | undefined {
  const names = c.names ?? c.nodes.map((n) => n?.name);
  // An invalid name may be the one meant: then nothing can be said.
  if (c.control === undefined || names.includes(c.control) || names.includes(undefined)) return undefined;
  const head = `control node ${c.control} is not a node of ${label}`;
  const namesOf = (o: RelationCluster | undefined) => o?.names ?? o?.nodes.map((n) => n?.name) ?? [];
  const elsewhere = inv.clusters.find((o) => o !== c && namesOf(o).includes(c.control));
  if (elsewhere?.name !== undefined) {
    return `${head} (it is a node of cluster ${elsewhere.name}: kubectl must run in the cluster it configures)`;
  }
  const meant = closest(c.control, names as string[]);
  return meant === undefined ? head : `${head} — did you mean "${meant}"?`;
}

// ---- salvage: the schema-valid parts of an inventory that failed the schema ---------------------------

const looseNode = z.object(nodeSchema.shape); // unknown keys are reported by the schema; ignore them here

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function valid<T>(schema: z.ZodType<T>, v: unknown): T | undefined {
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
}

function salvageSsh(v: unknown): RelationSsh | undefined {
  return isRecord(v) ? { port: valid(sshSchema.shape.port, v.port) } : undefined;
}

/**
 * Keeps every value of a document that passes its own schema (a node only when all of it does), so the
 * relation checks can run on those and report their problems together with the schema's.
 */
export function salvage(value: unknown): RelationInventory {
  const root = isRecord(value) ? value : {};
  const mesh = isRecord(root.mesh) ? root.mesh : {};
  const clusters = Array.isArray(root.clusters) ? root.clusters : [];
  const shape = clusterSchema.shape;
  return {
    mesh: { overlay: valid(meshSchema.shape.overlay, mesh.overlay), ssh: salvageSsh(mesh.ssh) },
    clusters: clusters.map((c): RelationCluster | undefined =>
      isRecord(c)
        ? {
            name: valid(shape.name, c.name),
            pod_cidr: valid(shape.pod_cidr, c.pod_cidr),
            service_cidr: valid(shape.service_cidr, c.service_cidr),
            control: valid(shape.control, c.control),
            api_server: valid(shape.api_server, c.api_server),
            nodes_from: valid(shape.nodes_from, c.nodes_from),
            test_endpoints: valid(shape.test_endpoints, c.test_endpoints),
            ssh: salvageSsh(c.ssh),
            nodes: Array.isArray(c.nodes) ? c.nodes.map((n) => valid(looseNode, n)) : [],
            names: Array.isArray(c.nodes)
              ? c.nodes.map((n) => (isRecord(n) ? valid(nodeSchema.shape.name, n.name) : undefined))
              : [],
          }
        : undefined,
    ),
  };
}
