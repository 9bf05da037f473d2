/** Small system helpers for the lab: running commands, finding tools, and tracking processes safely. */
import { spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { LabError } from "./errors.js";

export interface RunOptions {
  input?: string;
  /** Kill the command after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller looks at `code`. */
  allowFail?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command (no shell) and collect its output. Throws a LabError naming the command on failure. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(which(cmd) ?? cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new LabError(`cannot run ${cmd}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const rc = code ?? 128;
      if (rc !== 0 && !opts.allowFail) {
        const what = signal ? `killed by ${signal}` : `exit ${rc}`;
        const shown = [cmd, ...args].join(" ");
        const detail = (stderr.trim() || stdout.trim()).split("\n").slice(-8).join("\n");
        reject(
          new LabError(
            `${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown} failed (${what})\n${detail}`,
          ),
        );
        return;
      }
      resolve({ code: rc, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** `ip -batch -` with the given lines; `force` keeps going past errors (used on teardown). */
export async function ipBatch(lines: readonly string[], force = false): Promise<RunResult> {
  if (lines.length === 0) return { code: 0, stdout: "", stderr: "" };
  return run("ip", force ? ["-force", "-batch", "-"] : ["-batch", "-"], {
    input: `${lines.join("\n")}\n`,
    allowFail: force,
  });
}

const SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Absolute path of an executable on PATH (or in the usual sbin directories), or undefined. */
export function which(name: string): string | undefined {
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Quote a string for /bin/sh. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface ProcStat {
  state: string;
  ppid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot (stable across exec). */
  startTime: string;
}

export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ")".
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = rest[0];
  const ppid = rest[1];
  const start = rest[19];
  if (state === undefined || ppid === undefined || start === undefined) return undefined;
  return { state, ppid: Number(ppid), startTime: start };
}

/** True while the process with this PID and start time exists and is not a zombie (or dead). */
export function isAlive(pid: number, startTime: string): boolean {
  const st = procStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== "Z" && st.state !== "X";
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface TrackedProcess {
  pid: number;
  startTime: string;
}

/**
 * Stop the given processes: SIGTERM those that are still the recorded process (PID and start time match),
 * wait until each is gone or a zombie, then SIGKILL the stragglers. Never signals a reused PID.
 * Returns the processes that could not be stopped.
 */
export async function stopProcesses(
  procs: readonly TrackedProcess[],
  graceMs = 5000,
): Promise<TrackedProcess[]> {
  const signal = (sig: NodeJS.Signals) => {
    for (const p of procs) {
      if (!isAlive(p.pid, p.startTime)) continue;
      try {
        process.kill(p.pid, sig);
      } catch {
        // gone already
      }
    }
  };
  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = procs.filter((p) => isAlive(p.pid, p.startTime));
      if (left.length === 0 || Date.now() >= deadline) return left;
      await sleep(20);
    }
  };
  signal("SIGTERM");
  if ((await waitGone(graceMs)).length === 0) return [];
  signal("SIGKILL");
  return waitGone(3000);
}
