/**
 * What a run costs on the node side, measured from outside meshctl (nothing in meshctl reports it):
 * - processes: `strace -f -e trace=execve` attached to ONE node's sshd for the run: every program any
 *   process of that node's sessions execs (sshd's own re-exec excluded), by name;
 * - SSH logins: `Accepted …` lines added to every node's sshd log (`sshd -E`, LogLevel INFO); the
 *   commit-confirmed TCP probes show there as `kex_exchange_identification: …` (closed or, when sshd's
 *   banner was already there, reset);
 * - bytes: the lab bridge's rx + tx counters (every byte between the controller and the nodes crosses it).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export function bridgeBytes(bridge: string): number {
  const read = (f: string) => Number(readFileSync(`/sys/class/net/${bridge}/statistics/${f}`, "utf8"));
  return read("rx_bytes") + read("tx_bytes");
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
