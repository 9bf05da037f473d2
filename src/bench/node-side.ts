/**
 * What a run costs on the node side, measured from outside meshctl (nothing in meshctl reports it):
 * - processes: `strace -f -e trace=execve` attached to ONE node's sshd for the run: every program any
 *   process of that node's sessions execs (sshd's own re-exec excluded), by name;
 * - SSH logins: `Accepted …` lines added to every node's sshd log (`sshd -E`, LogLevel INFO); the
 *   commit-confirmed TCP probes show there as `kex_exchange_identification: …` (closed or, when sshd's
 *   banner was already there, reset);
 * - bytes: the lab bridge's rx + tx counters (every byte between the controller and the nodes crosses it);
 * - CPU: what every node's sshd listener spent and reaped (/proc/PID/stat: utime, stime, cutime, cstime):
 *   each session's sshd, the login shell, the driver and every program it ran, kernel time included. A
 *   process's CPU reaches its parent's cutime/cstime when it is reaped, so it is read once the sessions
 *   have ended; commit-confirmed's detached timer (setsid, reparented) is not counted.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export function bridgeBytes(bridge: string): number {
  const read = (f: string) => Number(readFileSync(`/sys/class/net/${bridge}/statistics/${f}`, "utf8"));
  return read("rx_bytes") + read("tx_bytes");
}

let tick: number | undefined;
/** Milliseconds per clock tick (/proc/PID/stat's unit). */
function msPerTick(): number {
  if (tick === undefined) {
    const hz = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim());
    tick = 1000 / (Number.isFinite(hz) && hz > 0 ? hz : 100);
  }
  return tick;
}

/** CPU (ms) spent by these processes and the children they reaped, so far. */
export function reapedCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    let stat = "";
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // After the command name (in parentheses, which may hold spaces): field 3 is the state; utime, stime,
    // cutime and cstime are fields 14 to 17.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    for (const i of [11, 12, 13, 14]) ticks += Number(f[i] ?? 0);
  }
  return ticks * msPerTick();
}

export interface SshdCounts {
  logins: number;
  /** TCP connections that ended before any SSH exchange: commit-confirmed's probes. */
  preauth: number;
}

export function sshdCounts(labDir: string, nodes: readonly string[]): SshdCounts {
  let logins = 0;
  let preauth = 0;
  for (const n of nodes) {
    let text = "";
    try {
      text = readFileSync(join(labDir, "nodes", n, "sshd.log"), "utf8");
    } catch {
      continue;
    }
    for (const l of text.split("\n")) {
      if (/\bAccepted \S+ for /.test(l)) logins++;
      else if (/^kex_exchange_identification: /.test(l)) preauth++;
    }
  }
  return { logins, preauth };
}

export const diffCounts = (a: SshdCounts, b: SshdCounts): SshdCounts => ({
  logins: b.logins - a.logins,
  preauth: b.preauth - a.preauth,
});

/** Programs exec'd on one node during a run, by name (sshd excluded). */
export type Execs = Map<string, number>;

/** Attaches strace to `pid` (a node's sshd) and all it forks; stop() detaches and counts the execs. */
export async function traceExecs(pid: number, file: string): Promise<() => Promise<Execs>> {
  const st = spawn("strace", ["-f", "-qq", "-z", "-e", "trace=execve", "-o", file, "-p", String(pid)], {
    stdio: "ignore",
  });
  await sleep(500); // attached (strace -p attaches at once; this leaves room on a loaded machine)
  return async () => {
    const done = new Promise((r) => st.on("close", r));
    st.kill("SIGINT");
    await Promise.race([done, sleep(5000)]);
    return countExecs(readFileSync(file, "utf8"));
  };
}

export function countExecs(trace: string): Execs {
  const out: Execs = new Map();
  for (const l of trace.split("\n")) {
    const m = /execve\("([^"]*)"/.exec(l);
    if (!m) continue;
    const name = (m[1] as string).split("/").pop() as string;
    if (name === "sshd") continue;
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

export const total = (e: Execs) => [...e.values()].reduce((a, b) => a + b, 0);
export const iproute2 = (e: Execs) => (e.get("ip") ?? 0) + (e.get("bridge") ?? 0);
export const describe = (e: Execs) =>
  [...e.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}×${v}`)
    .join(" ");
