/**
 * Runs the meshctl CLI (from source, through tsx: no build needed) the way a user does, inside a fresh
 * empty network namespace (`unshare -rn`, no root needed): nothing it does can leave the machine, and
 * every TCP connection it makes to port 22 of the `listen` addresses is recorded.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export const ROOT = join(import.meta.dirname, "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");
const IN_NETNS = join(import.meta.dirname, "in-netns.mjs");

export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Addresses (of `listen`) that received a connection. */
  connections: string[];
}

export interface CliOptions {
  /** 198.18.0.0/15 addresses to put on the namespace's `lo`, each with a listener on port 22. */
  listen?: string[];
  /** Node options before the script (e.g. `--import` of a test preload). */
  node?: string[];
  env?: Record<string, string>;
}

export function meshctl(args: string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(
    "unshare",
    [
      "-rn",
      process.execPath,
      IN_NETNS,
      JSON.stringify(opts.listen ?? []),
      process.execPath,
      "--import",
      "tsx",
      ...(opts.node ?? []),
      MAIN,
      ...args,
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
      env: cleanEnv(opts.env),
    },
  );
  if (r.status !== 0) throw new Error(`unshare -rn failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CliResult;
}

/** The caller's environment without what would force or forbid colours (vitest may set them). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ["FORCE_COLOR", "NO_COLOR", "CI"]) delete env[k];
  return { ...env, ...extra };
}

/** The stack frame lines Node prints with an error (`    at f (file:1:2)`). */
export const STACK_FRAME = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

/** Each CLI test starts the CLI (through tsx) once or twice; on a busy machine that takes seconds. */
export const SLOW = { timeout: 120_000 };

/**
 * A temporary directory for one CLI test file, removed after it, with an SSH key (`key`) and an empty
 * `known_hosts`; `file` writes another file into it (returns its path); `ssh` is the mesh's `ssh:` line of
 * an inventory using both, with a 5 s connect timeout.
 */
export function cliWorkdir(prefix: string): {
  dir: string;
  file: (name: string, text: string) => string;
  ssh: string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
  writeFileSync(join(dir, "known_hosts"), "");
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const ssh = `ssh: { identity_file: ${join(dir, "key")}, known_hosts: ${join(dir, "known_hosts")}, connect_timeout: 5 }`;
  return { dir, file, ssh };
}
