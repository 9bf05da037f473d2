/** Running the built meshctl CLI and commands inside lab namespaces, for end-to-end lab tests. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { parseDocument } from "yaml";
import { type LabInfo, type LabUpOptions, labDown, labUp } from "../../../src/lab/index.js";
import { requireRootOrFail } from "./host.js";

export const ROOT = join(import.meta.dirname, "..", "..", "..");
export const BIN = join(ROOT, "bin", "meshctl.js");
const BIN_TARGET = join(ROOT, "dist", "cli", "main.js");
const BUNDLE = join(ROOT, "dist", "bundle", "main.js");

export interface HostJson {
  name: string;
  status: string;
  changed: number;
  commandsSent: number;
  error?: string;
  rollback?: { restored: boolean; detail: string };
  changes: { resource: string; key: string; action: string }[];
}

export interface CliRun {
  code: number;
  json: { mode: string; exitCode: number; nodes: HostJson[]; clusters: HostJson[] };
  stdout: string;
  stderr: string;
}

/** `meshctl … --output json`, parsed. */
export function meshctl(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args, "--output", "json"], {
    encoding: "utf8",
    timeout: 90_000,
    // A 60-node teardown prints about 1 MB of JSON: above spawnSync's default 1 MiB buffer.
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status === null) {
    throw new Error(`meshctl ${args.join(" ")} did not exit (${r.error?.message ?? `signal ${r.signal}`})`);
  }
  let json: CliRun["json"];
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`meshctl ${args.join(" ")} printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.status, json, stdout: r.stdout, stderr: r.stderr };
}

/** `sh -c cmd` inside a network namespace. */
export function ns(namespace: string, cmd: string, stdin?: string): { code: number; out: string } {
  const r = spawnSync("ip", ["netns", "exec", namespace, "sh", "-c", cmd], {
    encoding: "utf8",
    timeout: 30_000,
    ...(stdin === undefined ? {} : { input: stdin }),
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export const ping = (fromPodNs: string, ip: string): boolean =>
  ns(fromPodNs, `ping -c 1 -W 1 ${ip}`).code === 0;

/**
 * Builds dist/ (the CLI and the lab's Kubernetes API server run from it). tsc emits despite type errors,
 * which `npm run typecheck` reports on its own; only a missing output stops the lab tests here.
 */
export function buildDist(): void {
  const b = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 240_000,
  });
  if (!existsSync(BIN_TARGET)) throw new Error(`build failed: ${b.stdout}${b.stderr}`);
  // bin/meshctl.js runs the bundle (scripts/bundle.mjs): without this a lab test would run the CLI as it
  // was at the last `npm run build`, not the source under test.
  const u = spawnSync(process.execPath, ["scripts/bundle.mjs"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (u.status !== 0 || !existsSync(BUNDLE)) throw new Error(`bundling failed: ${u.stdout}${u.stderr}`);
}

export interface LabHandle {
  /** Set once beforeAll has run. */
  info: LabInfo;
  dir: string;
  node(name: string): LabInfo["nodes"][number];
}

/**
 * A lab for one test file: built (with dist/) before its tests, in a temp dir, and always taken down.
 * Only one lab can be up on a machine, so lab test files run one at a time.
 */
export function useLab(name: string, opts: Omit<LabUpOptions, "dir">): LabHandle {
  const handle = {
    dir: "",
    info: undefined as unknown as LabInfo,
    node(n: string) {
      const found = handle.info.nodes.find((x) => x.name === n);
      if (!found) throw new Error(`no lab node ${n}`);
      return found;
    },
  };
  beforeAll(async () => {
    requireRootOrFail();
    buildDist();
    handle.dir = mkdtempSync(join(tmpdir(), `meshctl-${name}-test-`));
    handle.info = await labUp({ ...opts, dir: handle.dir });
  }, 300_000);
  afterAll(async () => {
    if (!handle.dir) return;
    await labDown({ dir: handle.dir });
    rmSync(handle.dir, { recursive: true, force: true });
  }, 120_000);
  return handle;
}

/**
 * A copy of `inventory` (in `dir`) with one more node, c3-ghost at 198.18.0.250: inside the lab's bridge
 * subnet, where nothing answers. Returns the copy's path.
 */
export function withGhostNode(inventory: string, dir: string): string {
  const doc = parseDocument(readFileSync(inventory, "utf8"));
  const nodes = doc.getIn(["clusters", 2, "nodes"]) as { add: (v: unknown) => void };
  nodes.add(
    doc.createNode({
      name: "c3-ghost",
      host: "198.18.0.250",
      pod_blocks: ["198.18.48.192/26"],
      ssh: { connect_timeout: 2 },
    }),
  );
  const path = join(dir, "ghost.yaml");
  writeFileSync(path, doc.toString());
  return path;
}
