/** Host snapshots and command helpers for the lab tests (which run as root on a real kernel). */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const pexec = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command without a shell; never throws (the caller asserts on `code`). */
export async function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<Result> {
  try {
    const r = await pexec(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof err.code === "number" ? err.code : 255,
      stdout: err.stdout ?? "",
      stderr: err.stderr || err.message,
    };
  }
}

export const isLabName = (n: string) => n.startsWith("mshlab") || n.startsWith("mshpod");

export interface Snapshot {
  netns: string[];
  links: string[];
  unreachable: string;
  sudoers: string[];
  passwd: string;
  group: string;
  /** pid -> command line of every process. */
  procs: Map<number, string>;
  neigh: string[];
}

function processes(): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.set(
        Number(e),
        readFileSync(join("/proc", e, "cmdline"), "utf8")
          .replaceAll("\0", " ")
          .trim(),
      );
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export async function snapshot(): Promise<Snapshot> {
  const netns = (await sh("ip", ["netns", "list"])).stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean)
    .sort();
  const links = (await sh("ip", ["-o", "link"])).stdout
    .split("\n")
    .map((l) => (l.split(": ")[1] ?? "").split("@")[0] ?? "")
    .filter(Boolean)
    .sort();
  return {
    netns,
    links,
    unreachable: (await sh("ip", ["route", "show", "type", "unreachable"])).stdout,
    sudoers: existsSync("/etc/sudoers.d") ? readdirSync("/etc/sudoers.d").sort() : [],
    passwd: readFileSync("/etc/passwd", "utf8"),
    group: readFileSync("/etc/group", "utf8"),
    procs: processes(),
    neigh: [1, 2, 3].map((i) =>
      readFileSync(`/proc/sys/net/ipv4/neigh/default/gc_thresh${i}`, "utf8").trim(),
    ),
  };
}

/**
 * What is in `after` but not in `before` that belongs to the lab. Other engineers may create their own
 * namespaces or processes on the same machine meanwhile, so netns/links are compared on the lab's
 * prefixes and processes on the lab directory in their command line; everything else must be identical.
 */
export function leftovers(before: Snapshot, after: Snapshot, labDir: string): string[] {
  const out: string[] = [];
  const added = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
  for (const n of added(before.netns, after.netns)) if (isLabName(n)) out.push(`namespace ${n}`);
  for (const l of added(before.links, after.links)) if (isLabName(l)) out.push(`link ${l}`);
  if (after.unreachable !== before.unreachable) out.push(`unreachable routes: ${after.unreachable.trim()}`);
  for (const f of added(before.sudoers, after.sudoers)) out.push(`sudoers file ${f}`);
  if (after.passwd !== before.passwd) out.push("/etc/passwd changed");
  if (after.group !== before.group) out.push("/etc/group changed");
  if (after.neigh.join() !== before.neigh.join()) out.push(`gc_thresh ${after.neigh} (was ${before.neigh})`);
  for (const [pid, cmd] of after.procs) {
    if (!before.procs.has(pid) && cmd.includes(labDir)) out.push(`process ${pid}: ${cmd}`);
  }
  return out;
}

/** Lab PIDs recorded in lab.json that are still running (not gone, not a zombie). */
export function liveRecordedPids(labDir: string): number[] {
  const f = join(labDir, "lab.json");
  if (!existsSync(f)) return [];
  const st = JSON.parse(readFileSync(f, "utf8")) as { processes: { pid: number }[] };
  return st.processes
    .map((p) => p.pid)
    .filter((pid) => procState(pid) !== undefined && procState(pid) !== "Z");
}

export function recordedPids(labDir: string): number[] {
  const f = join(labDir, "lab.json");
  if (!existsSync(f)) return [];
  return (JSON.parse(readFileSync(f, "utf8")) as { processes: { pid: number }[] }).processes.map(
    (p) => p.pid,
  );
}

export function procState(pid: number): string | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, "utf8");
    return t.slice(t.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** The real OpenSSH client against a lab node, with strict host-key checking against the lab's known_hosts. */
export function sshArgs(dir: string, user: string, host: string, command: string): string[] {
  return [
    "-F",
    "/dev/null",
    "-i",
    join(dir, "id_ed25519"),
    "-o",
    `UserKnownHostsFile=${join(dir, "known_hosts")}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    `${user}@${host}`,
    command,
  ];
}

export function requireRootOrFail(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the lab tests need root (network namespaces, veths, sshd): run `npm run test:lab` as root, as CI does",
    );
  }
  for (const [tool, pkg] of [
    ["/usr/sbin/sshd", "openssh-server"],
    ["/usr/bin/ssh", "openssh-client"],
    ["/usr/bin/sudo", "sudo"],
    ["/usr/bin/ping", "iputils-ping"],
  ] as const) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: apt-get install ${pkg}`);
  }
}

/** PIDs of live processes whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const [pid, cmd] of processes()) {
    if (cmd.includes(needle) && procState(pid) !== "Z") out.push(pid);
  }
  return out;
}
