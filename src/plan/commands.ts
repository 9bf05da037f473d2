/**
 * Remote commands as data. A command is a tool plus typed arguments; it is rendered into one line of an
 * `ip -batch` / `bridge -batch` stream (never into shell text). Every argument comes from a typed value
 * (src/net/addr.ts) or a literal keyword, so a batch line cannot contain shell or batch metacharacters.
 */
import type { Cidr, IfName, Ipv4, Mac } from "../net/addr.js";
import { memoText } from "./memo-text.js";

export type Tool = "ip" | "bridge";

/** An `ip`/`bridge` command: one line of a batch. */
export interface BatchCmd {
  tool: Tool;
  args: string[];
}

/**
 * A playbook's site script (check/apply/undo of a `shell` step): the script text and the node's values
 * travel on stdin; the values reach the script as environment variables, never as script text.
 */
export interface ShellCmd {
  tool: "sh";
  /** `<step name>: apply` — how the command is shown. */
  label: string;
  script: string;
  env: Record<string, string>;
  /** Node-side time limit in seconds (the playbook step's `timeout:`); the driver's default otherwise. */
  timeoutSec?: number;
}

/**
 * One of meshctl's own files on the node (the boot persistence of src/plan/persist.ts), written by the
 * driver itself: `put` writes `content` to a fresh temporary file in the same root-only directory and
 * renames it over `path`; `link` makes `path` a symbolic link to `target` the same way; `remove` unlinks it.
 * `put` and `remove` first keep a copy of a regular file already at `path` on the node, for the change set's
 * undo: `restore` puts that copy back (and does nothing when there is none: the forward never ran), so an
 * undo needs no file text from the controller. The copies live until the change set is committed.
 * The path and target are built from typed values only; the content travels as data on stdin.
 */
export type FileCmd =
  | { tool: "file"; op: "put"; path: string; content: string; mode: "644" | "600" }
  | { tool: "file"; op: "link"; path: string; target: string }
  | { tool: "file"; op: "remove"; path: string }
  | { tool: "file"; op: "restore"; path: string };

export type Cmd = BatchCmd | ShellCmd | FileCmd;

const texts = new WeakMap<Cmd, string>();

/** One line per command (a shared, frozen command's line is made once: src/plan/shared.ts). */
export function renderCmd(c: Cmd): string {
  return memoText(texts, c, renderText);
}

function renderText(c: Cmd): string {
  if (c.tool === "sh") return `sh (${c.label})`;
  if (c.tool === "file") {
    if (c.op === "put") return `write ${c.path} (${Buffer.byteLength(c.content)} bytes, mode ${c.mode})`;
    if (c.op === "restore") return `restore ${c.path} (as it was before this change set)`;
    return c.op === "link" ? `link ${c.path} -> ${c.target}` : `remove ${c.path}`;
  }
  return `${c.tool} ${c.args.join(" ")}`;
}
const lines = new WeakMap<BatchCmd, string>();
const joinArgs = (c: BatchCmd): string => c.args.join(" ");

/**
 * The command as a line of an `ip`/`bridge` batch. Made once per shared, frozen command: the boot files of
 * every node in a diff hold a line per peer entry (~11 k lines at 60 nodes), most of them the same
 * commands (#15).
 */
export const batchLine = (c: BatchCmd): string => memoText(lines, c, joinArgs);

const ip = (...args: string[]): BatchCmd => ({ tool: "ip", args });
const bridge = (...args: string[]): BatchCmd => ({ tool: "bridge", args });

export interface VxlanParams {
  name: IfName;
  vni: number;
  port: number;
  localIp: Ipv4;
  underlayDev?: string;
  mac: Mac;
  mtu?: number;
  learning?: boolean;
}

export const cmd = {
  linkAdd(p: VxlanParams): BatchCmd {
    return ip(
      "link",
      "add",
      p.name,
      "address",
      p.mac,
      ...(p.mtu === undefined ? [] : ["mtu", String(p.mtu)]),
      "type",
      "vxlan",
      "id",
      String(p.vni),
      "dstport",
      String(p.port),
      "local",
      p.localIp,
      ...(p.underlayDev === undefined ? [] : ["dev", p.underlayDev]),
      p.learning ? "learning" : "nolearning",
    );
  },
  linkDel: (dev: string): BatchCmd => ip("link", "del", dev),
  linkSetMac: (dev: string, mac: string): BatchCmd => ip("link", "set", "dev", dev, "address", mac),
  linkSetMtu: (dev: string, mtu: number): BatchCmd => ip("link", "set", "dev", dev, "mtu", String(mtu)),
  linkSetUp: (dev: string, up: boolean): BatchCmd => ip("link", "set", "dev", dev, up ? "up" : "down"),
  /** `alias`: meshctl's mark (src/plan/ownership.ts) or "" (written literally as `""`), which clears it. */
  linkSetAlias: (dev: string, alias: string): BatchCmd =>
    ip("link", "set", "dev", dev, "alias", alias === "" ? '""' : alias),
  addrAdd: (dev: string, addr: Ipv4, len: number): BatchCmd =>
    ip("addr", "add", `${addr}/${len}`, "dev", dev),
  addrDel: (dev: string, addr: Ipv4, len: number): BatchCmd =>
    ip("addr", "del", `${addr}/${len}`, "dev", dev),
  fdbReplace: (dev: string, m: Mac, dst: Ipv4): BatchCmd =>
    bridge("fdb", "replace", m, "dev", dev, "dst", dst, "self", "permanent"),
  fdbDel: (dev: string, m: Mac, dst: Ipv4): BatchCmd =>
    bridge("fdb", "del", m, "dev", dev, "dst", dst, "self"),
  neighReplace: (dev: string, addr: Ipv4, m: Mac): BatchCmd =>
    ip("neigh", "replace", addr, "lladdr", m, "dev", dev, "nud", "permanent"),
  neighDel: (dev: string, addr: Ipv4): BatchCmd => ip("neigh", "del", addr, "dev", dev),
  routeAdd: (r: RouteArgs): BatchCmd => ip("route", "add", ...routeArgs(r)),
  routeReplace: (r: RouteArgs): BatchCmd => ip("route", "replace", ...routeArgs(r)),
  routeDel: (r: RouteArgs): BatchCmd => ip("route", "del", ...routeArgs(r)),
  /** The kernel's connected route of an address (what `ip addr add` makes), put back by hand. */
  connectedAdd: (dev: string, net: Cidr, src: Ipv4): BatchCmd =>
    ip("route", "add", net, "dev", dev, "proto", "kernel", "scope", "link", "src", src),
  connectedDel: (dev: string, net: Cidr): BatchCmd =>
    ip("route", "del", net, "dev", dev, "proto", "kernel", "scope", "link"),
};

export interface RouteArgs {
  dst: Cidr;
  via?: Ipv4;
  dev?: string;
  proto: number;
  table?: string;
  /** Route priority (`metric`); meshctl's direct routes carry DIRECT_METRIC (src/plan/ownership.ts). */
  metric?: number;
  /** The next hop is on the device whatever its addresses (no dependence on its connected route). */
  onlink?: boolean;
}

function routeArgs(r: RouteArgs): string[] {
  return [
    r.dst,
    ...(r.via === undefined ? [] : ["via", r.via]),
    ...(r.dev === undefined ? [] : ["dev", r.dev]),
    "proto",
    String(r.proto),
    ...(r.table === undefined || r.table === "main" ? [] : ["table", r.table]),
    ...(r.metric ? ["metric", String(r.metric)] : []),
    ...(r.onlink ? ["onlink"] : []),
  ];
}
