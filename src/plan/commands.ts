/**
 * Remote commands as data. A command is a tool plus typed arguments; it is rendered into one line of an
 * `ip -batch` / `bridge -batch` stream (never into shell text). Every argument comes from a typed value
 * (src/net/addr.ts) or a literal keyword, so a batch line cannot contain shell or batch metacharacters.
 */
import type { Cidr, IfName, Ipv4, Mac } from "../net/addr.js";

export type Tool = "ip" | "bridge";

export interface Cmd {
  tool: Tool;
  args: string[];
}

export const renderCmd = (c: Cmd): string => `${c.tool} ${c.args.join(" ")}`;
export const batchLine = (c: Cmd): string => c.args.join(" ");

const ip = (...args: string[]): Cmd => ({ tool: "ip", args });
const bridge = (...args: string[]): Cmd => ({ tool: "bridge", args });

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
  linkAdd(p: VxlanParams): Cmd {
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
  linkDel: (dev: string): Cmd => ip("link", "del", dev),
  linkSetMac: (dev: string, mac: string): Cmd => ip("link", "set", "dev", dev, "address", mac),
  linkSetMtu: (dev: string, mtu: number): Cmd => ip("link", "set", "dev", dev, "mtu", String(mtu)),
  linkSetUp: (dev: string, up: boolean): Cmd => ip("link", "set", "dev", dev, up ? "up" : "down"),
  addrAdd: (dev: string, addr: Ipv4, len: number): Cmd => ip("addr", "add", `${addr}/${len}`, "dev", dev),
  addrDel: (dev: string, addr: Ipv4, len: number): Cmd => ip("addr", "del", `${addr}/${len}`, "dev", dev),
  fdbReplace: (dev: string, m: Mac, dst: Ipv4): Cmd =>
    bridge("fdb", "replace", m, "dev", dev, "dst", dst, "self", "permanent"),
  fdbDel: (dev: string, m: Mac, dst: Ipv4): Cmd => bridge("fdb", "del", m, "dev", dev, "dst", dst, "self"),
  neighReplace: (dev: string, addr: Ipv4, m: Mac): Cmd =>
    ip("neigh", "replace", addr, "lladdr", m, "dev", dev, "nud", "permanent"),
  neighDel: (dev: string, addr: Ipv4): Cmd => ip("neigh", "del", addr, "dev", dev),
  routeAdd: (r: RouteArgs): Cmd => ip("route", "add", ...routeArgs(r)),
  routeReplace: (r: RouteArgs): Cmd => ip("route", "replace", ...routeArgs(r)),
  routeDel: (r: RouteArgs): Cmd => ip("route", "del", ...routeArgs(r)),
};

export interface RouteArgs {
  dst: Cidr;
  via?: Ipv4;
  dev?: string;
  proto: number;
  table?: string;
}

function routeArgs(r: RouteArgs): string[] {
  return [
    r.dst,
    ...(r.via === undefined ? [] : ["via", r.via]),
    ...(r.dev === undefined ? [] : ["dev", r.dev]),
    "proto",
    String(r.proto),
    ...(r.table === undefined || r.table === "main" ? [] : ["table", r.table]),
  ];
}
