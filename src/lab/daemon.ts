/** Starting the lab's long-running processes (sshd per node, a fake Kubernetes API per cluster). */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { LabError } from "./errors.js";
import { isAlive, procStat, sleep, which } from "./sys.js";

const DAEMON_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface Started {
  pid: number;
  startTime: string;
}

/**
 * Start `args` detached (own session, so a Ctrl-C on meshctl's terminal does not reach it) with stdout and
 * stderr appended to `logFile`. The lab outlives the meshctl process that made it.
 */
export function startDetached(cmd: string, args: readonly string[], logFile: string): Started {
  const fd = openSync(logFile, "a", 0o644);
  try {
    // cwd / and a plain environment: a lab process must not pin meshctl's directory or inherit its
    // NODE_OPTIONS, test-runner variables and the like.
    const child = spawn(which(cmd) ?? cmd, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      cwd: "/",
      env: { PATH: DAEMON_PATH, LANG: "C.UTF-8" },
    });
    const pid = child.pid;
    if (pid === undefined) throw new LabError(`cannot start ${cmd}`);
    child.on("error", () => {});
    child.unref();
    const st = procStat(pid);
    if (!st) throw new LabError(`${cmd} ${args.join(" ")} exited at once; see ${logFile}`);
    return { pid, startTime: st.startTime };
  } finally {
    closeSync(fd);
  }
}

function tail(file: string, lines = 6): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** One attempt: connect to host:port and wait for an SSH banner. */
function probeSsh(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("data", (d) => done(d.toString("latin1").startsWith("SSH-")));
    sock.once("error", () => done(false));
    sock.once("close", () => done(false));
  });
}

/** Poll until the sshd at host:22 greets with a banner; fail early if the process died. */
export async function waitForSsh(
  host: string,
  port: number,
  proc: Started,
  logFiles: string[],
  deadlineMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await probeSsh(host, port, 500)) return;
    if (!isAlive(proc.pid, proc.startTime)) {
      const logs = logFiles.map((f) => tail(f)).filter(Boolean);
      throw new LabError(
        `sshd for ${host} exited before accepting connections${logs.length ? `:\n${logs.join("\n")}` : ""}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new LabError(
        `sshd for ${host} did not accept connections within ${deadlineMs / 1000}s (see ${logFiles.join(", ")})`,
      );
    }
    await sleep(25);
  }
}

/** Poll a log file until it contains `needle`; fail early if the process died. */
export async function waitForLog(
  what: string,
  logFile: string,
  needle: string,
  proc: Started,
  deadlineMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const text = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
    const line = text.split("\n").find((l) => l.includes(needle));
    if (line !== undefined) return line;
    if (!isAlive(proc.pid, proc.startTime)) {
      throw new LabError(`${what} exited before it was ready:\n${tail(logFile)}`);
    }
    if (Date.now() >= deadline) {
      throw new LabError(`${what} was not ready within ${deadlineMs / 1000}s:\n${tail(logFile)}`);
    }
    await sleep(25);
  }
}
