/**
 * One cluster's conversation with meshctl: read IPPools and pod blocks (1 exec), apply the pool changes
 * and read back (1 exec), roll back what the read-back shows was applied (1 exec, only on failure).
 * kubectl runs per apply (#15): the read, then the server-side apply, whose `-o json` output is the
 * server's own record of every pool it applied — the read-back of a change that succeeded (the blocks
 * and nodes do not change with pools; a delete that succeeded leaves no pool). Only when something failed
 * does the exec read the whole cluster again (a third run). A change set with deletes and applies runs both.
 */
import { stringify } from "yaml";
import { InternalError } from "../../core/errors.js";
import type { Connection } from "../../exec/ssh/types.js";
import { KUBECTL_APPLY_ARGS, kubectlExec, kubeFailure } from "../../kube/kubectl.js";
import type { ClusterModel } from "../../model/types.js";
import type { ClusterApplyOutcome, ClusterChange, ClusterSession } from "../types.js";
import { type KubeOp, type PoolChange, reached } from "./diff.js";
import { type CalicoState, KubeParseError, parseCalicoState } from "./observed.js";
import type { ObservedPool } from "./pools.js";

const READ = "k get ippools.crd.projectcalico.org,blockaffinities.crd.projectcalico.org,nodes -o json";
const MARK = "@@after";
const APPLIED = "@@applied";

/**
 * Deletes (names on the 3rd stdin line), then one server-side apply of every manifest (rest of stdin),
 * printing what the server stored; only after a failure, a full read-back.
 */
const APPLY = `set -f
IFS= read -r dels || dels=
rc=0
if [ -n "$dels" ]; then k delete ippools.crd.projectcalico.org $dels --ignore-not-found >&2 || rc=1; fi
if [ "$1" = with-apply ]; then echo ${APPLIED}; k ${KUBECTL_APPLY_ARGS} -o json || rc=1; fi
[ "$rc" = 0 ] && exit 0
echo ${MARK}
${READ} || exit 3
exit $rc
`;

/** A change is only ever handed back to the CNI that planned it. */
const asPoolChanges = (cs: readonly ClusterChange[]) => cs as readonly PoolChange[];

export class CalicoSession implements ClusterSession<CalicoState> {
  /** The cluster as last read or changed by this session. */
  private now: CalicoState;

  private constructor(
    readonly cluster: ClusterModel,
    private readonly conn: Connection,
    readonly before: CalicoState,
  ) {
    this.now = before;
  }

  static async open(conn: Connection, cluster: ClusterModel): Promise<CalicoSession> {
    const r = await kubectlExec(conn, cluster, READ);
    if (r.code !== 0) throw kubeFailure(cluster, "reading IPPools and pod blocks", r);
    return new CalicoSession(cluster, conn, parse(cluster, r.stdout));
  }

  async apply(changes: readonly ClusterChange[]): Promise<ClusterApplyOutcome<CalicoState>> {
    const pools = asPoolChanges(changes);
    const { after, failure } = await this.run(pools.flatMap((c) => c.forward));
    return { applied: pools.filter((c) => reached(c, after)), ...(failure ? { failure } : {}), after };
  }

  /** Runs the inverses of `applied` (reverse order) and reads back. */
  async rollback(applied: readonly ClusterChange[]): Promise<{ after: CalicoState; errors: string[] }> {
    const { after, failure } = await this.run(
      [...asPoolChanges(applied)].reverse().flatMap((c) => c.inverse),
    );
    return { after, errors: failure ? [failure] : [] };
  }

  private async run(ops: KubeOp[]): Promise<{ after: CalicoState; failure?: string }> {
    const deletes = ops.flatMap((o) => (o.verb === "delete" ? [o.name] : []));
    const manifests = ops.flatMap((o) => (o.verb === "apply" ? [o.manifest] : []));
    for (const name of deletes) {
      if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name))
        throw new InternalError(`refusing to delete a pool named ${JSON.stringify(name)}`);
    }
    const input = `${deletes.join(" ")}\n${manifests.map((m) => stringify(m)).join("---\n")}`;
    const body = `set -- ${manifests.length > 0 ? "with-apply" : "no-apply"}\n${APPLY}`;
    const r = await kubectlExec(this.conn, this.cluster, body, input);
    if (r.code === 0) {
      const at = r.stdout.indexOf(`${APPLIED}\n`);
      const stored = at < 0 ? [] : parseApplied(this.cluster, r.stdout.slice(at + APPLIED.length + 1));
      this.now = afterSuccess(this.now, deletes, stored);
      return { after: this.now };
    }
    const at = r.stdout.indexOf(`${MARK}\n`);
    if (at < 0 || r.code === 3) throw kubeFailure(this.cluster, "changing IPPools", r);
    this.now = parse(this.cluster, r.stdout.slice(at + MARK.length + 1));
    return { after: this.now, failure: kubeFailure(this.cluster, "changing IPPools", r).message };
  }
}

/**
 * The cluster after a change set that succeeded: the pools deleted are gone, the pools applied are what the
 * server stored (kubectl's `-o json`), everything else is as read.
 */
export function afterSuccess(
  now: CalicoState,
  deleted: readonly string[],
  stored: readonly ObservedPool[],
): CalicoState {
  const replaced = new Set([...deleted, ...stored.map((p) => p.name)]);
  return { ...now, pools: [...now.pools.filter((p) => !replaced.has(p.name)), ...stored] };
}

/** `kubectl apply -o json`: one object for one manifest, a List for several. */
function parseApplied(cluster: ClusterModel, json: string): ObservedPool[] {
  let doc: { kind?: string; items?: unknown[] };
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new KubeParseError(
      `cluster ${cluster.name}: kubectl apply printed no JSON: ${(e as Error).message}`,
    );
  }
  const items = Array.isArray(doc.items) ? doc.items : [doc];
  return parse(cluster, JSON.stringify({ items })).pools;
}

function parse(cluster: ClusterModel, json: string): CalicoState {
  try {
    return parseCalicoState(json);
  } catch (e) {
    if (e instanceof KubeParseError) throw new KubeParseError(`cluster ${cluster.name}: ${e.message}`);
    throw e;
  }
}
