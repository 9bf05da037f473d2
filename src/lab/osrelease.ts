/**
 * `lab up --os`: which iproute2 a lab node pretends to run, and the wrapper scripts that make the real
 * `ip` and `bridge` behave, with respect to JSON, as that release did. Pure data and text; up.ts installs the
 * scripts in each node's private mount namespace (bind-mounted over the real binaries).
 *
 * From iproute2's history (git tags v4.11.0, v4.15.0, v4.17.0 of github.com/iproute2/iproute2):
 *   - `ip -json` appeared in 4.14 for `link` and `address` only (ipaddress.c); `route`, `neigh` and every other
 *     object print plain text under `-j` until 4.17. Before 4.14 ip.c refuses the option:
 *     `Option "-json" is unknown, try "ip -help".`, exit(-1) = 255.
 *   - `bridge -json` exists since 4.7 (fdb, vlan; mdb since 4.12); `bridge link` prints text until 4.17.
 *   - `-pretty` is unknown to both before 4.17, where old JSON was always pretty-printed (jsonw_pretty).
 *   - `ip -V`: `ip utility, iproute2-ss<SNAPSHOT>` (170501 for 4.11, 180129 for 4.15);
 *     `bridge -V`: `bridge utility, 0.0` in every 4.x.
 *   - Options are parsed with matches() (any prefix of the option's name), `--x` counts as `-x`, and the first
 *     non-option argument is the object, resolved by prefix in the order of the command table.
 */
import { LabError } from "./errors.js";

/** One option of a release's option table: its name (prefix-matched, or exact) and what it does. */
export interface OptSpec {
  name: string;
  exact?: boolean;
  kind?: "value" | "version" | "json" | "batch" | "force";
}

export interface ToolRelease {
  version: string;
  /** Options in the order main() tests them. */
  options: OptSpec[];
  /** Objects in the order do_cmd() tests them. */
  objects: string[];
  /** Objects that honour -json; every other object prints plain text under it. */
  jsonObjects: string[];
  /** The object name in `Option "x" is unknown, try "<help>".` */
  help: string;
}

export interface OsRelease {
  name: string;
  description: string;
  iproute2: string;
  /**
   * rp_filter of all/default as the distribution's sysctl defaults leave it: 1 on CentOS 7 (50-default.conf)
   * and Ubuntu 18.04 (10-network-security.conf); Debian 12 sets none (the kernel's 0).
   */
  rpFilter: number;
  /** Undefined: the host's own binaries, unwrapped. */
  ip?: ToolRelease;
  bridge?: ToolRelease;
}

const o = (name: string, kind?: OptSpec["kind"]): OptSpec => (kind ? { name, kind } : { name });
const exact = (name: string): OptSpec => ({ name, exact: true });

/** ip.c's main() of 4.11; 4.14-4.16 add -json after -brief. */
function ipOptions(json: boolean): OptSpec[] {
  return [
    o("-loops", "value"),
    o("-family", "value"),
    ...["-4", "-6", "-0", "-I", "-D", "-M", "-B"].map(exact),
    o("-human"),
    o("-human-readable"),
    o("-iec"),
    o("-stats"),
    o("-statistics"),
    o("-details"),
    o("-resolve"),
    o("-oneline"),
    o("-timestamp"),
    o("-tshort"),
    o("-Version", "version"),
    o("-force", "force"),
    o("-batch", "batch"),
    o("-brief"),
    ...(json ? [o("-json", "json")] : []),
    o("-rcvbuf", "value"),
    o("-color"),
    o("-help"),
    o("-netns", "value"),
    o("-all"),
  ];
}

const IP_OBJECTS = [
  "address",
  "addrlabel",
  "maddress",
  "route",
  "rule",
  "neighbor",
  "neighbour",
  "ntable",
  "ntbl",
  "link",
  "l2tp",
  "fou",
  "ila",
  "macsec",
  "tunnel",
  "tunl",
  "tuntap",
  "tap",
  "token",
  "tcpmetrics",
  "tcp_metrics",
  "monitor",
  "xfrm",
  "mroute",
  "mrule",
  "netns",
  "netconf",
  "vrf",
  "sr",
  "help",
];

/** bridge.c's main() of 4.x. */
const BRIDGE_OPTIONS: OptSpec[] = [
  o("-help"),
  o("-Version", "version"),
  o("-stats"),
  o("-statistics"),
  o("-details"),
  o("-oneline"),
  o("-timestamp"),
  o("-family", "value"),
  exact("-4"),
  exact("-6"),
  o("-netns", "value"),
  o("-compressvlans"),
  o("-force", "force"),
  o("-json", "json"),
  o("-batch", "batch"),
];
const BRIDGE_OBJECTS = ["link", "fdb", "mdb", "vlan", "monitor", "help"];

export const OS_RELEASES: Record<string, OsRelease> = {
  centos7: {
    name: "centos7",
    description: "CentOS 7.9 (iproute 4.11)",
    iproute2: "4.11",
    rpFilter: 1,
    ip: {
      version: "ip utility, iproute2-ss170501",
      options: ipOptions(false),
      objects: IP_OBJECTS,
      jsonObjects: [],
      help: "ip -help",
    },
    bridge: {
      version: "bridge utility, 0.0",
      options: BRIDGE_OPTIONS,
      objects: BRIDGE_OBJECTS,
      jsonObjects: ["fdb", "vlan"],
      help: "bridge help",
    },
  },
  ubuntu1804: {
    name: "ubuntu1804",
    description: "Ubuntu 18.04 (iproute2 4.15)",
    iproute2: "4.15",
    rpFilter: 1,
    ip: {
      version: "ip utility, iproute2-ss180129",
      options: ipOptions(true),
      objects: IP_OBJECTS,
      jsonObjects: ["address", "link"],
      help: "ip -help",
    },
    bridge: {
      version: "bridge utility, 0.0",
      options: BRIDGE_OPTIONS,
      objects: BRIDGE_OBJECTS,
      jsonObjects: ["fdb", "mdb", "vlan"],
      help: "bridge help",
    },
  },
  debian12: {
    name: "debian12",
    description: "Debian 12 (iproute2 6.1, the host's own binaries)",
    iproute2: "6.1",
    rpFilter: 0,
  },
};

/** The default: this machine's own `ip` and `bridge`, unwrapped. */
export const HOST_OS = "host";
const HOST_RELEASE: OsRelease = {
  name: HOST_OS,
  description: "this machine's own iproute2",
  iproute2: "host",
  rpFilter: 0,
};

export function osRelease(name: string): OsRelease {
  if (name === HOST_OS) return HOST_RELEASE;
  const r = OS_RELEASES[name];
  if (!r) {
    throw new LabError(
      `unknown --os value "${name}": expected ${[...Object.keys(OS_RELEASES), HOST_OS].join(", ")}`,
    );
  }
  return r;
}

/** `--os a,b,c`: one value per cluster, cycling. */
export function parseOsList(spec: string | undefined): string[] {
  if (spec === undefined || spec.trim() === "") return [HOST_OS];
  const list = spec.split(",").map((s) => s.trim());
  for (const s of list) osRelease(s);
  return list;
}

export const osForCluster = (list: readonly string[], clusterIndex: number): string =>
  list[(clusterIndex - 1) % list.length] ?? HOST_OS;
