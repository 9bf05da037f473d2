/** Facts about the host that up, down and status share: the root check, links, namespaces, the bridge owner. */
import { readFileSync } from "node:fs";
import { LabError } from "./errors.js";
import { LAB_BRIDGE } from "./plan.js";
import { run, shq } from "./sys.js";

export const DEFAULT_LAB_DIR = "/run/meshctl-lab";
export const SUDOERS_FILE = "/etc/sudoers.d/meshctl-lab";
/** The bridge's alias names the lab directory that owns it (`meshctl lab <dir>`). */
export const BRIDGE_ALIAS_PREFIX = "meshctl lab ";

/** `meshctl lab down` with the --dir flag when it is not the default. */
export function downCommand(dir: string): string {
  return dir === DEFAULT_LAB_DIR ? "meshctl lab down" : `meshctl lab down --dir ${shq(dir)}`;
}

export function requireRoot(what: string): void {
  if (process.platform !== "linux") throw new LabError(`${what} needs Linux network namespaces`);
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new LabError(
      `${what} needs root (it creates network namespaces, veths, a bridge and sshd processes): run it with sudo`,
    );
  }
}

export async function listNamespaces(): Promise<string[]> {
  const r = await run("ip", ["netns", "list"], { allowFail: true });
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);
}

export interface LinkJson {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Root-namespace links with their addresses (`ip -j address show`). */
export async function listLinks(): Promise<LinkJson[]> {
  const r = await run("ip", ["-j", "address", "show"]);
  return JSON.parse(r.stdout || "[]") as LinkJson[];
}

/** Whether the lab bridge exists, and the lab directory recorded in its alias. */
export function bridgeOwner(links: LinkJson[]): { exists: boolean; dir?: string } {
  if (!links.some((l) => l.ifname === LAB_BRIDGE)) return { exists: false };
  let alias = "";
  try {
    // `ip -j address` leaves the alias out; sysfs has it (the root mount namespace's /sys is the root netns).
    alias = readFileSync(`/sys/class/net/${LAB_BRIDGE}/ifalias`, "utf8").trim();
  } catch {
    // no alias
  }
  return alias.startsWith(BRIDGE_ALIAS_PREFIX)
    ? { exists: true, dir: alias.slice(BRIDGE_ALIAS_PREFIX.length) }
    : { exists: true };
}
