/**
 * One cluster's conversation with meshctl: read IPPools and pod blocks (1 exec), apply the pool changes
 * and read back (1 exec), roll back what the read-back shows was applied (1 exec, only on failure).
 */
import { stringify } from "yaml";
import { InternalError } from "../../core/errors.js";
import type { Connection } from "../../exec/ssh/types.js";
import { KUBECTL_APPLY_ARGS, kubectlExec, kubeFailure } from "../../kube/kubectl.js";
import type { ClusterModel } from "../../model/types.js";
import type { ClusterApplyOutcome, ClusterChange, ClusterSession } from "../types.js";
import { type KubeOp, type PoolChange, reached } from "./diff.js";
import { type CalicoState, KubeParseError, parseCalicoState } from "./observed.js";

const READ = "k get ippools.crd.projectcalico.org,blockaffinities.crd.projectcalico.org,nodes -o json";
const MARK = "@@after";

/** Deletes (names on the 3rd stdin line), then one server-side apply of every manifest (rest of stdin), then a read-back. */
const APPLY = `set -f
IFS= read -r dels || dels=
rc=0
if [ -n "$dels" ]; then k delete ippools.crd.projectcalico.org $dels --ignore-not-found >&2 || rc=1; fi
if [ "$1" = with-apply ]; then k ${KUBECTL_APPLY_ARGS} >&2 || rc=1; fi
echo ${MARK}
${READ} || exit 3
exit $rc
`;

/** A change is only ever handed back to the CNI that planned it. */
const asPoolChanges = (cs: readonly ClusterChange[]) => cs as readonly PoolChange[];

export class CalicoSession implements ClusterSession<CalicoState> {
  private constructor(
    readonly cluster: ClusterModel,
    private readonly conn: Connection,
    readonly before: CalicoState,
  ) {}

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
    const at = r.stdout.indexOf(`${MARK}\n`);
    if (at < 0 || r.code === 3) throw kubeFailure(this.cluster, "changing IPPools", r);
    const after = parse(this.cluster, r.stdout.slice(at + MARK.length + 1));
    return r.code === 0
      ? { after }
      : { after, failure: kubeFailure(this.cluster, "changing IPPools", r).message };
  }
}

function parse(cluster: ClusterModel, json: string): CalicoState {
  try {
    return parseCalicoState(json);
  } catch (e) {
    if (e instanceof KubeParseError) throw new KubeParseError(`cluster ${cluster.name}: ${e.message}`);
    throw e;
  }
}
