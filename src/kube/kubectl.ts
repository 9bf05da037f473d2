/**
 * Running kubectl on a cluster's control node over the SSH layer. The script text is fixed; the
 * kubeconfig path and context (free-form inventory strings) arrive first on stdin, length-prefixed,
 * and manifests after them — never spliced into shell text.
 */
import { MeshctlError } from "../core/errors.js";
import type { Connection, ExecResult } from "../exec/ssh/types.js";
import type { ClusterModel } from "../model/types.js";

/** A cluster-side failure: kubectl missing, API unreachable, RBAC, not a Calico cluster, … */
export class KubeError extends MeshctlError {
  constructor(
    readonly cluster: string,
    message: string,
  ) {
    super(`cluster ${cluster}: ${message}`, "remote");
  }
}

/**
 * Reads the framing: a header line `<bytes of kubeconfig> <bytes of context>`, then exactly that many bytes
 * of each (dd bs=1 reads no byte past them, unlike head -c on a pipe; the `x` keeps trailing newlines).
 * No byte of either value can move the boundary to the kubectl input that follows.
 */
export const KUBECTL_PRELUDE = `set -u
num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
IFS=' ' read -r nkc nctx rest && num "$nkc" && num "$nctx" && [ -z "$rest" ] ||
  { echo "meshctl: no valid framing header on stdin" >&2; exit 3; }
take() { if [ "$1" -gt 0 ]; then v=$(dd bs=1 count="$1" 2>/dev/null; echo x); else v=x; fi; v=\${v%x}; }
take "$nkc"; kc=$v
take "$nctx"; ctx=$v
[ -n "$kc" ] && export KUBECONFIG="$kc"
command -v kubectl >/dev/null 2>&1 || { echo "kubectl: not found" >&2; exit 127; }
k() { if [ -n "$ctx" ]; then kubectl --context "$ctx" "$@"; else kubectl "$@"; fi; }
`;

/** What kubectlExec writes to stdin: the framing header, both values length-prefixed in bytes, then `input`. */
export function kubectlStdin(cluster: Pick<ClusterModel, "kubeconfig" | "context">, input: string): string {
  const kc = cluster.kubeconfig ?? "";
  const ctx = cluster.context ?? "";
  return `${Buffer.byteLength(kc)} ${Buffer.byteLength(ctx)}\n${kc}${ctx}${input}`;
}

/** How meshctl applies a cluster's resources (the session runs `k ${…}`, plan prints `kubectl ${…}`). */
export const KUBECTL_APPLY_ARGS = "apply --server-side --field-manager=meshctl --force-conflicts -f -";

/** Runs `body` (fixed text using `k` for kubectl) with the cluster's kubeconfig/context and `input` on stdin. */
export async function kubectlExec(
  conn: Connection,
  cluster: ClusterModel,
  body: string,
  input = "",
): Promise<ExecResult> {
  const stdin = kubectlStdin(cluster, input);
  return conn.exec(`${KUBECTL_PRELUDE}${body}`, { stdin, timeoutMs: 60_000, label: "kubectl" });
}

/** Turns kubectl's failure output into what the user should do about it. */
export function kubeFailure(cluster: ClusterModel, what: string, r: ExecResult): KubeError {
  const err = `${r.stderr}\n${r.stdout}`.trim();
  const on = `on control node ${cluster.control}`;
  let why: string;
  if (r.code === 127 || /kubectl: not found/.test(err)) {
    why = `kubectl is not installed ${on}: install it there, or set the cluster's control to a node that has it`;
  } else if (
    /doesn't have a resource type "(ippools|blockaffinities)/.test(err) ||
    /no matches for kind "IPPool"/.test(err)
  ) {
    why = `the API has no Calico IPPool/BlockAffinity resources: is ${cluster.name} a Calico cluster (cni: calico)?`;
  } else if (/Forbidden|forbidden/.test(err)) {
    why = `RBAC denied it (${firstLine(err)}): the kubeconfig's user needs get/list/patch/create/delete on ippools.crd.projectcalico.org and get/list on blockaffinities and nodes`;
  } else if (
    /connection refused|Unable to connect|i\/o timeout|no such host|couldn't get current server API group list/i.test(
      err,
    )
  ) {
    why = `cannot reach the Kubernetes API ${on} (${firstLine(err)}): check kubeconfig ${cluster.kubeconfig ?? "(default)"}${cluster.context ? ` context ${cluster.context}` : ""}`;
  } else {
    why = `kubectl failed (exit ${r.code}): ${firstLine(err) || "no output"}`;
  }
  return new KubeError(cluster.name, `${what}: ${why}`);
}

/** kubectl's own message: its last line that is not a klog line (`E1124 21:35:14.078041 … memcache.go:265] …`). */
const firstLine = (s: string): string => {
  const lines = s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return [...lines].reverse().find((l) => !/^[IWEF]\d{4} \d\d:\d\d:\d\d/.test(l)) ?? lines[0] ?? "";
};
