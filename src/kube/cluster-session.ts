/**
 * One cluster's conversation with meshctl: read IPPools and pod blocks (1 exec), apply the pool changes
 * and read back (1 exec), roll back what the read-back shows was applied (1 exec, only on failure).
 */
import { stringify } from "yaml";
import type { Connection } from "../exec/ssh/types.js";
import type { ClusterModel } from "../model/types.js";
import { kubectlExec, kubeFailure } from "./kubectl.js";
import { type ClusterFacts, KubeParseError, parseClusterFacts } from "./observed.js";
import type { KubeOp, PoolChange } from "./pool-diff.js";

const READ = "k get ippools.crd.projectcalico.org,blockaffinities.crd.projectcalico.org,nodes -o json";
const MARK = "@@after";

/** Deletes (names on the 3rd stdin line), then one server-side apply of every manifest (rest of stdin), then a read-back. */
const APPLY = `set -f
IFS= read -r dels || dels=
rc=0
if [ -n "$dels" ]; then k delete ippools.crd.projectcalico.org $dels --ignore-not-found >&2 || rc=1; fi
if [ "$1" = with-apply ]; then k apply --server-side --field-manager=meshctl --force-conflicts -f - >&2 || rc=1; fi
echo ${MARK}
${READ} || exit 3
exit $rc
`;

export interface ClusterApplyOutcome {
  applied: PoolChange[];
  failure?: string;
  after: ClusterFacts;
}

export class ClusterSession {
  private constructor(
    readonly cluster: ClusterModel,
    private readonly conn: Connection,
    readonly before: ClusterFacts,
  ) {}

  static async open(conn: Connection, cluster: ClusterModel): Promise<ClusterSession> {
    const r = await kubectlExec(conn, cluster, READ);
    if (r.code !== 0) throw kubeFailure(cluster, "reading IPPools and pod blocks", r);
    return new ClusterSession(cluster, conn, parse(cluster, r.stdout));
  }

  async apply(changes: readonly PoolChange[]): Promise<ClusterApplyOutcome> {
    const { after, failure } = await this.run(changes.flatMap((c) => c.forward));
    return { applied: changes.filter((c) => reached(c, after)), ...(failure ? { failure } : {}), after };
  }

  /** Runs the inverses of `applied` (reverse order) and reads back. */
  async rollback(applied: readonly PoolChange[]): Promise<{ after: ClusterFacts; errors: string[] }> {
    const { after, failure } = await this.run([...applied].reverse().flatMap((c) => c.inverse));
    return { after, errors: failure ? [failure] : [] };
  }

  private async run(ops: KubeOp[]): Promise<{ after: ClusterFacts; failure?: string }> {
    const deletes = ops.flatMap((o) => (o.verb === "delete" ? [o.name] : []));
    const manifests = ops.flatMap((o) => (o.verb === "apply" ? [o.manifest] : []));
    for (const name of deletes) {
      if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name))
        throw new Error(`refusing to delete a pool named ${JSON.stringify(name)}`);
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

function parse(cluster: ClusterModel, json: string): ClusterFacts {
  try {
    return parseClusterFacts(json);
  } catch (e) {
    if (e instanceof KubeParseError) throw new KubeParseError(`cluster ${cluster.name}: ${e.message}`);
    throw e;
  }
}

/** Whether the cluster now shows the change's target state (how a partly failed apply is accounted for). */
function reached(c: PoolChange, after: ClusterFacts): boolean {
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
