/**
 * `plan` prints the kubectl command meshctl really runs: the command line it prints, run by `sh` with a
 * stand-in kubectl on PATH, makes the same call (arguments, KUBECONFIG, manifests on stdin) as the script
 * apply sends to the control node (kubectlExec's prelude with the cluster's kubeconfig and context on stdin).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kubectlApply } from "../../src/cli/plan.js";
import type { Connection, ExecOptions } from "../../src/exec/ssh/types.js";
import { KUBECTL_APPLY_ARGS, kubectlExec } from "../../src/kube/kubectl.js";
import type { ClusterModel } from "../../src/model/types.js";

const dir = mkdtempSync(join(tmpdir(), "meshctl-plan-kubectl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Prints how it was called: each argument on its own line, KUBECONFIG, and what came on stdin.
writeFileSync(
  join(dir, "kubectl"),
  '#!/bin/sh\nfor a in "$@"; do printf "arg=%s\\n" "$a"; done\nenv | grep "^KUBECONFIG=" || echo "KUBECONFIG=<unset>"\nsed "s/^/stdin=/"\n',
);
chmodSync(join(dir, "kubectl"), 0o755);
const env = { PATH: `${dir}:/usr/bin:/bin` };

/** A Connection that runs the script with the local sh, as the control node would. */
const local = {
  async exec(script: string, opts: ExecOptions = {}) {
    const r = spawnSync("sh", ["-c", script], { input: opts.stdin ?? "", env, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  },
} as unknown as Connection;

const MANIFEST = "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\n";

describe("plan's kubectl line is the call apply makes", () => {
  it.each([
    [
      "kubeconfig and a context with a space",
      { kubeconfig: "/etc/kubernetes/admin.conf", context: "prod a" },
    ],
    ["a kubeconfig with a quote", { kubeconfig: "/home/o'brien/.kube/c" }],
    ["neither (kubectl's default)", {}],
  ])("%s", async (_what, kube) => {
    const cluster = { name: "c1", control: "a1", ...kube } as unknown as ClusterModel;
    const applied = await kubectlExec(local, cluster, `k ${KUBECTL_APPLY_ARGS}`, MANIFEST);
    const printed = spawnSync("sh", ["-c", kubectlApply(cluster)], {
      input: MANIFEST,
      env,
      encoding: "utf8",
    });
    expect(applied.code).toBe(0);
    expect(printed.stdout).toBe(applied.stdout);
    expect(applied.stdout).toContain("arg=--server-side");
    expect(applied.stdout).toContain(`KUBECONFIG=${"kubeconfig" in kube ? kube.kubeconfig : "<unset>"}`);
    expect(applied.stdout).toContain("stdin=kind: IPPool");
  });
});
