/**
 * `meshctl lab reboot NODE`: what a reboot does to a lab node, as far as meshctl is concerned. The node's
 * runtime state that meshctl made is lost — its devices (marked with meshctl's alias; their addresses,
 * neighbours, FDB entries and routes go with them), routes of meshctl's protocol elsewhere (direct paths;
 * the protocol its boot files name) and /run/meshctl (a tmpfs on a real node) — then boot
 * runs the units enabled in the node's multi-user.target.wants that are meshctl's (`meshctl-*.service`)
 * as systemd would: their `ConditionPathExists=` checked, then every `ExecStart=` in order, stopping at the
 * first failure (a `-` prefix ignores one), each inside the node's network and mount namespaces (its own
 * /etc/systemd/system, /var/lib/meshctl and, with --os, its release's `ip` and `bridge`).
 * Nothing else of the node (its sshd, pod veth, Calico-like load) is touched: kubelet and the CNI would
 * bring those back on a real node, and they are not meshctl's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LabError } from "./errors.js";
import { DEFAULT_LAB_DIR } from "./host.js";
import { readState } from "./state.js";
import { isAlive, run } from "./sys.js";

/** The alias meshctl marks its device with (src/plan/ownership.ts). */
const DEVICE_MARK = "meshctl";
const WANTS = "/etc/systemd/system/multi-user.target.wants";
const UNITS = "/etc/systemd/system";
const BOOT_DIR = "/var/lib/meshctl";

export interface BootUnit {
  name: string;
  /** `ran`: every ExecStart line succeeded; `skipped`: a condition failed; `failed`: a line failed. */
  status: "ran" | "skipped" | "failed";
  lines: { command: string; code: number; output: string }[];
  detail?: string;
}

export interface LabRebootResult {
  node: string;
  /** meshctl's devices removed (with everything on them). */
  devices: string[];
  /** Routes of meshctl's protocol left after its devices went (direct paths), removed. */
  routes: number;
  /** Entries of /run/meshctl removed. */
  runFiles: number;
  units: BootUnit[];
}

/** A unit file's `Key=value` lines of one section, in order. */
export function unitEntries(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      current = s[1] as string;
      continue;
    }
    const eq = line.indexOf("=");
    if (current === section && eq > 0) out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

export async function labReboot(opts: { dir?: string; node: string }): Promise<LabRebootResult> {
  const dir = resolve(opts.dir ?? DEFAULT_LAB_DIR);
  const st = readState(dir);
  if (!st) throw new LabError(`no lab in ${dir}`);
  const node = st.info.nodes.find((n) => n.name === opts.node);
  if (!node) {
    throw new LabError(
      `no node ${opts.node} in the lab in ${dir} (nodes: ${st.info.nodes.map((n) => n.name).join(", ")})`,
    );
  }
  const sshd = st.processes.find((p) => p.role === "sshd" && p.owner === node.name);
  if (!sshd || !isAlive(sshd.pid, sshd.startTime)) {
    throw new LabError(`${node.name}: its sshd is not running (lab status says more)`);
  }
  // The node's namespaces are its sshd's: its network namespace and its own mount namespace.
  const inNode = (args: string[], ns: string[] = ["-n", "-m"]) =>
    run("nsenter", ["-t", String(sshd.pid), ...ns, "--", ...args], { allowFail: true });
  const root = `/proc/${sshd.pid}/root`;

  // 1. What the reboot loses.
  const links = await inNode(["ip", "-j", "link", "show"], ["-n"]);
  if (links.code !== 0) throw new LabError(`${node.name}: cannot list links: ${links.stderr.trim()}`);
  const devices = (JSON.parse(links.stdout || "[]") as { ifname: string; ifalias?: string }[])
    .filter((l) => l.ifalias === DEVICE_MARK)
    .map((l) => l.ifname);
  for (const d of devices) {
    const r = await inNode(["ip", "link", "del", d], ["-n"]);
    if (r.code !== 0) throw new LabError(`${node.name}: cannot delete ${d}: ${r.stderr.trim()}`);
  }
  // Routes of meshctl's protocol off its device (direct paths on the underlay) go too: a reboot loses
  // every runtime route; the protocol is the one its boot files use.
  const protocols = bootProtocols(root);
  let routes = 0;
  for (const p of protocols) {
    const shown = await inNode(["ip", "-o", "route", "show", "table", "all", "proto", String(p)], ["-n"]);
    routes += shown.stdout.split("\n").filter((l) => l.trim() !== "").length;
    const r = await inNode(["ip", "route", "flush", "table", "all", "proto", String(p)], ["-n"]);
    if (r.code !== 0) throw new LabError(`${node.name}: cannot flush proto ${p} routes: ${r.stderr.trim()}`);
  }
  const runFiles = readdirSync(join(root, "run/meshctl")).length;
  const wipe = await inNode(["find", "/run/meshctl", "-mindepth", "1", "-delete"], ["-m"]);
  if (wipe.code !== 0) throw new LabError(`${node.name}: cannot empty /run/meshctl: ${wipe.stderr.trim()}`);

  // 2. Boot: meshctl's enabled units, in name order.
  let enabled: string[] = [];
  try {
    enabled = readdirSync(join(root, WANTS)).filter((n) => /^meshctl-.+\.service$/.test(n));
  } catch {
    enabled = [];
  }
  const units: BootUnit[] = [];
  for (const name of enabled.sort()) units.push(await boot(name, readUnit(root, name), inNode));
  return { node: node.name, devices, routes, runFiles, units };
}

/** The route protocols named in the node's boot files (`… proto N …`): meshctl's. */
function bootProtocols(root: string): number[] {
  const dir = join(root, BOOT_DIR);
  const found = new Set<number>();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.includes("@"));
  } catch {
    return [];
  }
  for (const n of names) {
    for (const m of readFileSync(join(dir, n), "utf8").matchAll(/\bproto (\d+)\b/g)) found.add(Number(m[1]));
  }
  return [...found].filter((p) => p > 4 && p < 255);
}

function readUnit(root: string, name: string): string | undefined {
  try {
    return readFileSync(join(root, UNITS, name), "utf8");
  } catch {
    return undefined;
  }
}

type InNode = (args: string[], ns?: string[]) => ReturnType<typeof run>;

async function boot(name: string, text: string | undefined, inNode: InNode): Promise<BootUnit> {
  if (text === undefined)
    return { name, status: "failed", lines: [], detail: "enabled, but the unit file is missing" };
  for (const [key, value] of unitEntries(text, "Unit")) {
    if (key !== "ConditionPathExists") continue;
    const negate = value.startsWith("!");
    const path = negate ? value.slice(1) : value;
    const exists = (await inNode(["test", "-e", path])).code === 0;
    if (exists === negate) return { name, status: "skipped", lines: [], detail: `condition ${value} failed` };
  }
  const lines: BootUnit["lines"] = [];
  for (const [key, value] of unitEntries(text, "Service")) {
    if (key !== "ExecStart") continue;
    const ignore = value.startsWith("-");
    const argv = value
      .replace(/^[-@+!:]+/, "")
      .split(/\s+/)
      .filter(Boolean);
    const r = await inNode(argv);
    lines.push({ command: argv.join(" "), code: r.code, output: (r.stderr + r.stdout).trim() });
    if (r.code !== 0 && !ignore) return { name, status: "failed", lines };
  }
  return { name, status: "ran", lines };
}
