/**
 * desired IPPools × observed IPPools → changes, each with its inverse. Pure.
 * Only pools labelled as meshctl's are ever changed or deleted; a foreign pool in the way is a conflict.
 */
import { ConflictError } from "../../core/errors.js";
import type { ClusterModel } from "../../model/types.js";
import { type Cidr, cidrsOverlap } from "../../net/addr.js";
import type { ClusterChange } from "../model.js";
import type { CalicoState } from "./observed.js";
import { desiredPools, type IpPoolManifest, ipPoolManifest, manifestOf, type ObservedPool } from "./pools.js";

export type KubeOp =
  | { verb: "apply"; manifest: IpPoolManifest; text: string }
  | { verb: "delete"; name: string; text: string };

export interface PoolChange extends ClusterChange {
  resource: "ippool";
  forward: KubeOp[];
  inverse: KubeOp[];
}

/** A pool meshctl wants exists and is not meshctl's; the message names the cluster. */
export class PoolConflict extends ConflictError {
  constructor(cluster: string, detail: string) {
    super(`${cluster}: ${detail}`);
  }
}

const applyOp = (m: IpPoolManifest): KubeOp => ({
  verb: "apply",
  manifest: m,
  text: `kubectl apply --server-side ippool ${m.metadata.name} (cidr ${m.spec.cidr}, natOutgoing ${m.spec.natOutgoing}, disabled ${m.spec.disabled})`,
});
const deleteOp = (name: string): KubeOp => ({ verb: "delete", name, text: `kubectl delete ippool ${name}` });

const describe = (p: { rawCidr?: string; cidr?: string; natOutgoing: boolean; disabled: boolean }) =>
  `cidr ${p.rawCidr ?? p.cidr} natOutgoing ${p.natOutgoing} disabled ${p.disabled}`;

function sameLabels(want: Record<string, string>, have: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

export function diffPools(
  cluster: ClusterModel,
  mesh: readonly ClusterModel[],
  observed: readonly ObservedPool[],
): PoolChange[] {
  const changes: PoolChange[] = [];
  const conflicts: string[] = [];
  const wanted = desiredPools(cluster, mesh).map(ipPoolManifest);
  for (const w of wanted) {
    const same = observed.find((o) => o.name === w.metadata.name);
    if (same && !same.managed) {
      conflicts.push(
        `IPPool ${same.name} (${describe(same)}) exists and is not meshctl's: delete it, or label it app.kubernetes.io/managed-by=meshctl to let meshctl own it`,
      );
      continue;
    }
    for (const o of observed) {
      if (o.managed || o.name === w.metadata.name || !o.cidr) continue;
      if (cidrsOverlap(o.cidr, w.spec.cidr as Cidr)) {
        conflicts.push(
          `IPPool ${o.name} (${describe(o)}) is not meshctl's and overlaps ${w.spec.cidr}, which meshctl needs for pool ${w.metadata.name}`,
        );
      }
    }
    if (!same) {
      changes.push({
        resource: "ippool",
        key: w.metadata.name,
        action: "create",
        after: describe(w.spec),
        forward: [applyOp(w)],
        inverse: [deleteOp(w.metadata.name)],
      });
    } else if (
      same.rawCidr !== w.spec.cidr ||
      same.natOutgoing !== w.spec.natOutgoing ||
      same.disabled !== w.spec.disabled ||
      !sameLabels(w.metadata.labels, same.labels)
    ) {
      changes.push({
        resource: "ippool",
        key: w.metadata.name,
        action: "update",
        before: describe(same),
        after: describe(w.spec),
        forward: [applyOp(w)],
        inverse: [applyOp(manifestOf(same))],
      });
    }
  }
  if (conflicts.length > 0) throw new PoolConflict(cluster.name, conflicts.join("; "));
  const names = new Set(wanted.map((w) => w.metadata.name));
  for (const o of observed) {
    if (!o.managed || names.has(o.name)) continue;
    changes.push(staleDelete(o));
  }
  return changes;
}

function staleDelete(o: ObservedPool): PoolChange {
  return {
    resource: "ippool",
    key: o.name,
    action: "delete",
    before: describe(o),
    destructive: true,
    forward: [deleteOp(o.name)],
    inverse: [applyOp(manifestOf(o))],
  };
}

/** Teardown: every pool meshctl owns goes; no other pool is touched. */
export function teardownPools(observed: readonly ObservedPool[]): PoolChange[] {
  return observed.filter((o) => o.managed).map(staleDelete);
}

/** Whether two reads agree on every pool (the rollback check). */
export function samePools(a: CalicoState, b: CalicoState): boolean {
  const key = (ps: readonly ObservedPool[]) =>
    JSON.stringify(ps.map((p) => [p.name, p.rawCidr, p.natOutgoing, p.disabled, p.managed]).sort());
  return key(a.pools) === key(b.pools);
}

/** Whether the cluster now shows the change's target state (how a partly failed apply is accounted for). */
export function reached(c: PoolChange, after: CalicoState): boolean {
  const pool = after.pools.find((p) => p.name === c.key);
  const op = c.forward[0];
  if (!op) return false;
  if (op.verb === "delete") return pool === undefined;
  const m = op.manifest;
  return (
    pool !== undefined &&
    pool.rawCidr === m.spec.cidr &&
    pool.natOutgoing === m.spec.natOutgoing &&
    pool.disabled === m.spec.disabled
  );
}
