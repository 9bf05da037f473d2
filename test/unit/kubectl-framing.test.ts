/**
 * The kubectl runner's stdin framing (#10.7): kubeconfig and context travel length-prefixed, so no byte in
 * either can shift what kubectl gets. The real prelude runs under /bin/sh with a stand-in kubectl.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KUBECTL_PRELUDE, kubectlStdin } from "../../src/kube/kubectl.js";

const dir = mkdtempSync(join(tmpdir(), "meshctl-kubectl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Prints what it was given: KUBECONFIG, each argument, and the rest of stdin, each bracketed.
writeFileSync(
  join(dir, "kubectl"),
  `#!/bin/sh
printf 'KUBECONFIG=[%s]\\n' "\${KUBECONFIG-unset}"
for a in "$@"; do printf 'arg=[%s]\\n' "$a"; done
printf 'stdin=['; cat; printf ']\\n'
`,
);
chmodSync(join(dir, "kubectl"), 0o755);

function run(stdin: string | Buffer) {
  const r = spawnSync("/bin/sh", ["-c", `${KUBECTL_PRELUDE}k apply -f -`], {
    input: stdin,
    encoding: "utf8",
    cwd: dir,
    env: { PATH: `${dir}:/usr/bin:/bin` },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const expected = (kc: string | undefined, ctx: string | undefined, input: string) =>
  [
    `KUBECONFIG=[${kc ? kc : "unset"}]`,
    ...(ctx ? ["arg=[--context]", `arg=[${ctx}]`] : []),
    "arg=[apply]",
    "arg=[-f]",
    "arg=[-]",
    `stdin=[${input}]`,
    "",
  ].join("\n");

const MANIFEST = "apiVersion: v1\nkind: List\nitems: []\n";
const HOSTILE: [string, string | undefined, string | undefined][] = [
  ["a newline that once became the context", "/etc/kube/config\nevil-context", "prod"],
  ["newlines in both, and trailing ones", "/a\n\n", "\nctx\n"],
  ["a value that looks like a framing header", "0 0\n", "3 4\nabc"],
  ["shell syntax", "$(touch pwned)`touch pwned2`", "'; touch pwned3; '"],
  ["carriage return, tab, backslashes and quotes", 'C:\\kube\r\tconf"ig', "it's \\n"],
  ["multi-byte UTF-8 (lengths are bytes)", "/home/é☃/kubeconfig", "ctx-日本"],
  ["only a context", undefined, "staging\n"],
  ["neither", undefined, undefined],
];

describe("kubeconfig and context reach kubectl exactly, whatever their bytes", () => {
  it.each(HOSTILE)("%s", (_what, kubeconfig, context) => {
    const cluster = {
      ...(kubeconfig === undefined ? {} : { kubeconfig }),
      ...(context === undefined ? {} : { context }),
    };
    const r = run(kubectlStdin(cluster, MANIFEST));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe(expected(kubeconfig, context, MANIFEST));
    for (const f of ["pwned", "pwned2", "pwned3"]) expect(existsSync(join(dir, f))).toBe(false);
  });

  it("the header counts bytes, not characters", () => {
    expect(kubectlStdin({ kubeconfig: "é", context: "☃" }, "")).toBe("2 3\né☃");
  });

  it.each([
    ["no header", ""],
    ["a word for a length", "a 0\n"],
    ["a negative length", "-1 0\n"],
    ["a third field", "0 0 0\n"],
    ["one field", "5\n"],
  ])("a bad header (%s) runs no kubectl: exit 3", (_what, stdin) => {
    const r = run(stdin);
    expect(r.code).toBe(3);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/no valid framing header/);
  });
});
