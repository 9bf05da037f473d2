/**
 * Commands run inside a lab node as its own processes see it: its network namespace AND its sshd's mount
 * namespace (the node's private /run/lock, /run/meshctl, /root), optionally as an unprivileged user.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readState } from "../../../src/lab/state.js";

/** The PID of the lab node's sshd (its mount namespace is the node's). */
export function sshdPid(labDir: string, node: string): number {
  const p = readState(labDir)?.processes.find((x) => x.role === "sshd" && x.owner === node);
  if (!p) throw new Error(`no sshd recorded for lab node ${node}`);
  return p.pid;
}

function argv(labDir: string, node: string, cmd: string, user?: string): string[] {
  const who = user ? ["setpriv", `--reuid=${user}`, `--regid=${user === "nobody" ? "nogroup" : user}`] : [];
  return [
    "-t",
    String(sshdPid(labDir, node)),
    "-m",
    "-n",
    "--",
    ...who,
    ...(user ? ["--clear-groups"] : []),
    "sh",
    "-c",
    cmd,
  ];
}

/** `sh -c cmd` on the node (its namespaces), as root or as `user`. */
export function onNode(
  labDir: string,
  node: string,
  cmd: string,
  user?: string,
): { code: number; out: string } {
  const r = spawnSync("nsenter", argv(labDir, node, cmd, user), { encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Starts `sh -c cmd` on the node in the background (kill it when done). */
export function startOnNode(labDir: string, node: string, cmd: string, user?: string): ChildProcess {
  return spawn("nsenter", argv(labDir, node, cmd, user), { stdio: "ignore" });
}

/** Polls `cond` every 100 ms until it holds or `ms` passed; returns whether it held. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
