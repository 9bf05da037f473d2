/**
 * desired IPPools × observed IPPools → changes, each with its inverse. Pure.
 * Only pools labelled as meshctl's are ever changed or deleted; a foreign pool in the way is a conflict.
 */

import { ConflictError } from "../core/errors.js";
import type { ClusterModel } from "../model/types.js";
import { type Cidr, cidrsOverlap } from "../net/addr.js";
import type { ChangeBase } from "../plan/change.js";
import { ipPoolManifest } from "../plan/ippool.js";
import type { ObservedPool } from "./observed.js";

export interface PoolManifest {
  apiVersion: "crd.projectcalico.org/v1";
  kind: "IPPool";
  metadata: { name: string; labels: Record<string, string> };
  spec: { cidr: string; natOutgoing: boolean; disabled: boolean };
}

export type KubeOp =
  | { verb: "apply"; manifest: PoolManifest; text: string }
  | { verb: "delete"; name: string; text: string };

export interface PoolChange extends ChangeBase {
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

const applyOp = (m: PoolManifest): KubeOp => ({
  verb: "apply",
  manifest: m,
  text: `kubectl apply --server-side ippool ${m.metadata.name} (cidr ${m.spec.cidr}, natOutgoing ${m.spec.natOutgoing}, disabled ${m.spec.disabled})`,
});
const deleteOp = (name: string): KubeOp => ({ verb: "delete", name, text: `kubectl delete ippool ${name}` });

export function manifestOf(p: ObservedPool): PoolManifest {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name: p.name, labels: { ...p.labels } },
    spec: { cidr: p.rawCidr, natOutgoing: p.natOutgoing, disabled: p.disabled },
  };
}

const describe = (p: { rawCidr?: string; cidr?: string; natOutgoing: boolean; disabled: boolean }) =>
  `cidr ${p.rawCidr ?? p.cidr} natOutgoing ${p.natOutgoing} disabled ${p.disabled}`;

function sameLabels(want: Record<string, string>, have: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

export function diffPools(cluster: ClusterModel, observed: readonly ObservedPool[]): PoolChange[] {
  const changes: PoolChange[] = [];
  const conflicts: string[] = [];
  const wanted = cluster.ippools.map(ipPoolManifest);
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
