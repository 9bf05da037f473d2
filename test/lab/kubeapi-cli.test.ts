/**
 * The lab kube-apiserver's entry point as a process (run from source with tsx, as dist/lab/kubeapi/main.js
 * runs after `npm run build`): startup line, --verbose request log, clean exit on signals, usage errors.
 * It listens on 198.18.253.1 (a lab-range address the test adds to lo) with an ephemeral port only.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeKubeconfig } from "../../src/lab/kubeapi/kubeconfig.js";
import { TEST_IP, useTestAddress } from "../support/test-address.js";

useTestAddress();

const MAIN = join(import.meta.dirname, "../../src/lab/kubeapi/main.ts");

let dir: string;
let child: ChildProcess | undefined;

function start(args: string[]): { proc: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, stderr: () => err, exit };
}

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
    });
    proc.on("exit", () => reject(new Error(`exited before listening; stdout: ${out}`)));
  });
}

function kubectl(url: string, args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: join(dir, "kubeconfig") };
  return writeKubeconfig(join(dir, "kubeconfig"), url, "lab-cli").then(
    () =>
      new Promise((resolve, reject) => {
        execFile(
          "kubectl",
          ["--cache-dir", join(dir, "cache"), ...args],
          { env, timeout: 20_000 },
          (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
        );
      }),
  );
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeapi-cli-"));
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("kubeapi main", { timeout: 30_000 }, () => {
  it("prints where it listens, serves kubectl, logs with --verbose and exits 0 on SIGTERM", async () => {
    const state = join(dir, "state.json");
    const { proc, stderr, exit } = start([
      "--listen",
      `${TEST_IP}:0`,
      "--state",
      state,
      "--verbose",
      "--no-calico",
    ]);
    const line = await firstLine(proc);
    expect(line).toMatch(/^listening on http:\/\/198\.18\.253\.1:\d+$/);
    const url = line.replace("listening on ", "");
    expect(await kubectl(url, ["version", "-o", "json"])).toContain('"gitVersion": "v1.32.0-meshctl-lab"');
    expect(stderr()).toContain("GET /version");
    expect(JSON.parse(await readFile(state, "utf8"))).toEqual({ items: [] });
    proc.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("exits 0 on SIGINT and is quiet without --verbose", async () => {
    const { proc, stderr, exit } = start(["--listen", `${TEST_IP}:0`, "--state", join(dir, "s.json")]);
    const url = (await firstLine(proc)).replace("listening on ", "");
    await fetch(`${url}/version`, { signal: AbortSignal.timeout(5000) });
    proc.kill("SIGINT");
    expect(await exit).toBe(0);
    expect(stderr()).toBe("");
  });

  it("exits 64 on a usage error and 1 when the state file is unusable", async () => {
    const usage = start(["--listen", `${TEST_IP}:0`, "--state", join(dir, "s.json"), "--deny", "nope"]);
    expect(await usage.exit).toBe(64);
    expect(usage.stderr()).toContain("expected VERB:RESOURCE");
    const bad = start(["--listen", `${TEST_IP}:0`, "--state", join(dir, "missing-dir", "s.json")]);
    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toContain("kubeapi: ");
  });
});
