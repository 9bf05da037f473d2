/**
 * One timed child process of the bench: meshctl or the floor process, with its wall time (process start
 * included) and its own CPU and peak memory (its `@@rusage` line, from process.resourceUsage at exit).
 * Bounded: killed after `timeoutMs`. A run that reports a host unreachable (exit 4) on this loaded machine
 * is run again (up to `attempts` times) and the retries are counted, never hidden.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MESHCTL = fileURLToPath(new URL("../../bin/meshctl.js", import.meta.url));
export const FLOOR = fileURLToPath(new URL("./ssh-floor.js", import.meta.url));
/**
 * The same CLI from tsc's per-module output, for the CPU profiles: the bundle (what bin/meshctl.js runs)
 * would show as one file, this attributes the time to src/ folders. The work is the same code; only
 * module loading differs.
 */
export const MESHCTL_MODULES = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface Sample {
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  code: number | null;
  /** Runs that exited 4 (a host unreachable) before this one. */
  retried: number;
  /** The child's own `@@stages` line, if it printed one. */
  stages?: string;
}

/** Children still running, so an interrupted bench can kill them before taking its lab down. */
export const running = new Set<ReturnType<typeof spawn>>();

function once(
  script: string,
  args: string[],
  timeoutMs: number,
  nodeArgs: string[] = [],
): Promise<Omit<Sample, "retried">> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      env: { ...process.env, MESHCTL_RUSAGE: "1", NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    running.add(child);
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      const wallMs = performance.now() - started;
      const m = /@@rusage (.*)/.exec(stderr);
      if (!m)
        return reject(
          new Error(
            `${args.slice(0, 1).join(" ")} exited ${code} without its usage line (killed after ${timeoutMs / 1000} s?): ${stderr.slice(-2000)}`,
          ),
        );
      const u = JSON.parse(m[1] as string) as { maxRssKb: number; userUs: number; systemUs: number };
      const stages = /@@stages (.*)/.exec(stderr)?.[1];
      resolve({
        wallMs,
        maxRssMb: u.maxRssKb / 1024,
        cpuMs: (u.userUs + u.systemUs) / 1000,
        code,
        ...(stages ? { stages } : {}),
      });
      if (code !== 0 && code !== 2)
        process.stderr.write(`  (${args[0]} exited ${code}: ${lastLines(stderr)})\n`);
    });
  });
}

const lastLines = (s: string) =>
  s
    .split("\n")
    .filter((l) => l && !l.startsWith("@@rusage"))
    .slice(-3)
    .join(" | ");

export interface RunOptions {
  timeoutMs: number;
  /** Total runs allowed when one exits 4 (unreachable). */
  attempts: number;
  /** Exit codes that count as success (default [0]). */
  ok?: number[];
  /** Options for node itself (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** Runs `script args` until it exits with an accepted code; exit 4 is retried, anything else fails. */
export async function timed(script: string, args: string[], o: RunOptions): Promise<Sample> {
  const ok = o.ok ?? [0];
  for (let retried = 0; ; retried++) {
    const s = await once(script, args, o.timeoutMs, o.nodeArgs);
    if (ok.includes(s.code ?? -1)) return { ...s, retried };
    if (s.code !== 4 || retried + 1 >= o.attempts)
      throw new Error(`${args.slice(0, 1).join(" ")} exited ${s.code} (after ${retried} retries)`);
  }
}
