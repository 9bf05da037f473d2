/**
 * What one node's kernel state IS, as gathered by `factsScript` (src/facts/script.ts) in one remote exec
 * and parsed by `parseFacts` (src/facts/parse.ts). Nothing here is desired state: values the kernel
 * reports are kept as reported (normalised only in spelling), including entries meshctl never makes, so a
 * diff against the model (src/model/types.ts) can tell meshctl's objects from everything else.
 *
 * Conventions: MACs are lower-case; interface names are plain strings (the kernel's, not validated
 * `IfName`s); every IPv4 address is a validated `Ipv4`, every destination a `Cidr` (`default` → 0.0.0.0/0,
 * a host route → /32).
 */
import type { Cidr, Ipv4 } from "../net/addr.js";

/** The parameters the script was generated with, echoed by the node (so facts cannot be mixed up). */
export interface FactsParams {
  device: string;
  routeProtocol: number;
  localIp: Ipv4;
  underlayDev?: string;
}

export interface AddressFact {
  ip: Ipv4;
  prefixLen: number;
}

/** The device named `params.device`, whatever its kind. */
export interface DeviceFact {
  name: string;
  ifindex: number;
  /** rtnl link kind: `vxlan`, or a foreign kind (`veth`, `bridge`, …); `none` for a kind-less link (NIC, lo). */
  kind: string;
  /** VXLAN only (undefined for other kinds, or when the kernel did not report it). */
  vni?: number;
  port?: number;
  localIp?: Ipv4;
  /** Underlay device name, resolved from the link's ifindex when iproute2 printed a number or `ifN`. */
  underlayDev?: string;
  /** Raw underlay ifindex when iproute2 printed one (set even when resolved). */
  underlayIndex?: number;
  learning?: boolean;
  /** The interface alias (`ip link set dev X alias …`): meshctl marks its device with one (src/plan/ownership.ts). */
  alias?: string;
  /** Unicast `remote` or multicast `group` (meshctl sets neither: a static mesh has no default destination). */
  remote?: Ipv4;
  group?: Ipv4;
  /** Lower-case MAC as the kernel reports it now (udev may have rewritten it). */
  mac: string;
  mtu: number;
  /** Administratively up (`UP` flag); `lowerUp`/`operstate` say whether it carries traffic. */
  up: boolean;
  lowerUp: boolean;
  operstate: string;
  flags: string[];
  /** IPv4 addresses only (IPv6 link-local addresses are the kernel's, not meshctl's). */
  addresses: AddressFact[];
}

/** A non-meshctl interface the script looked at: the holder(s) of `localIp` and the named underlay. */
export interface InterfaceFact {
  name: string;
  ifindex: number;
  mtu: number;
  up: boolean;
  addresses: AddressFact[];
}

export interface NeighbourFact {
  ip: Ipv4;
  /** Absent for INCOMPLETE/FAILED entries. Lower-case. */
  mac?: string;
  /** As printed, upper-case: `PERMANENT`, `REACHABLE`, `STALE`, `FAILED`, `NOARP`, … */
  state: string[];
  /** `router`, `proxy`, `extern_learn`, … when iproute2 printed them. */
  flags: string[];
}

interface FdbFactBase {
  mac: string;
  /** IPv4 remote (`dst`) of a VXLAN entry. */
  dst?: Ipv4;
  /** A non-IPv4 `dst` (VXLAN over IPv6), kept so it is not mistaken for "no destination". */
  dstOther?: string;
  /** `self`, `master`, `extern_learn`, `offload`, `sticky`, … */
  flags: string[];
  /**
   * `permanent` (NUD_PERMANENT: what `bridge fdb replace … permanent` makes), `static` (NUD_NOARP),
   * `stale`, `reachable` (iproute2 prints an empty string for a learned, live entry), or `0x…`.
   */
  state: string;
  /** Per-entry overrides meshctl never sets: a mismatch if present. */
  port?: number;
  vni?: number;
  srcVni?: number;
  via?: string;
  nhid?: number;
  vlan?: number;
  master?: string;
}

/**
 * One FDB entry on the device. `kind` tells kernel/foreign entries from meshctl's:
 * - `unicast`: a peer MAC → underlay IP (what meshctl programs);
 * - `flood`: the all-zero MAC, the default destination list (`bridge fdb append 00:00:00:00:00:00 …`,
 *   or made by the kernel from `remote`/`group`);
 * - `multicast`: group bit set (`33:33:…`, `01:00:5e:…`): the device's own multicast list, `self permanent`.
 */
export type FdbFact = FdbFactBase & { kind: "unicast" | "flood" | "multicast" };

export interface NextHopFact {
  via?: Ipv4;
  dev?: string;
  weight?: number;
  flags: string[];
}

export interface RouteFact {
  dst: Cidr;
  /** `unicast` unless printed otherwise (`blackhole`, `unreachable`, `prohibit`, `local`, …). */
  type: string;
  via?: Ipv4;
  dev?: string;
  /** A number when numeric (e.g. 77), else the name iproute2 printed (`kernel`, `boot`, `bird`, …). */
  protocol: number | string;
  /** `main` when iproute2 omitted it; 253/254/255 are spelled `default`/`main`/`local`. */
  table: string;
  scope?: string;
  metric?: number;
  prefsrc?: Ipv4;
  /** `onlink`, `dead`, `linkdown`, … */
  flags: string[];
  /** Multipath routes: no top-level via/dev. */
  nexthops?: NextHopFact[];
}

export interface VxlanPortFact {
  device: string;
  port: number;
  vni?: number;
  localIp?: Ipv4;
  up: boolean;
}

/**
 * One of meshctl's persistence files as found: a regular file (with the SHA-256 of its bytes), a link, or
 * anything else. The text itself is not read: a rewrite or removal keeps a copy on the node for its undo.
 */
export interface PersistFileFact {
  path: string;
  kind: "file" | "link" | "other";
  /** Lowercase hex SHA-256 of the file's bytes (regular files only). */
  sha256?: string;
}

/** meshctl's boot persistence on the node (src/plan/persist.ts, read by src/facts/sections/persist.ts). */
export interface PersistFacts {
  /** /run/systemd/system is a directory, or systemctl is on the PATH. */
  systemd: boolean;
  /** The unit (undefined: absent). */
  unit?: PersistFileFact;
  /** The enablement link; `ours`: a link that resolves to the unit (undefined: absent). */
  wants?: { path: string; kind: "ours" | "link" | "other" };
  /** Every file of the device's replay files there (`<device>@…` in /var/lib/meshctl). */
  files: PersistFileFact[];
}

export interface NodeFacts {
  params: FactsParams;
  /** The device named `params.device`; undefined when absent. */
  device?: DeviceFact;
  /** The interface holding `params.localIp` (see `resolveUnderlay`); undefined when no interface does. */
  underlay?: InterfaceFact;
  /** Every interface looked at besides the device: holders of `localIp` and `params.underlayDev`. */
  interfaces: InterfaceFact[];
  /** IPv4 neighbours on the device (empty when it is absent). */
  neighbours: NeighbourFact[];
  /** FDB entries on the device (empty when it is absent). */
  fdb: FdbFact[];
  /** meshctl's own IPv4 routes: protocol `params.routeProtocol`, any table. */
  routes: RouteFact[];
  /**
   * Other routes that may conflict: the main table's `scope global` IPv4 routes (gateway routes, default,
   * blackholes; not the kernel's link-scope subnet routes nor per-pod /32s), minus meshctl's own.
   */
  foreignRoutes: RouteFact[];
  /**
   * The kernel's routes on the device in the main table (`proto kernel`: the overlay subnet of its
   * address). Undefined when not read (output of an older script).
   */
  connected?: RouteFact[];
  /**
   * Effective values read back from /proc/sys, keyed like sysctl(8) but with interface names verbatim:
   * `net.ipv4.ip_forward`, `net.ipv4.conf.{all,default,<device>,<underlay>}.rp_filter`,
   * `net.ipv4.conf.{<device>,<underlay>}.forwarding`. A key is absent
   * when the file is (e.g. the device does not exist).
   */
  sysctl: Record<string, number>;
  /** Every VXLAN device on the node and its UDP port (two devices with one VNI on one port collide). */
  vxlanPorts: VxlanPortFact[];
  /** Local UDP ports with a bound socket (IPv4 and IPv6; VXLAN devices that are up hold one too). */
  udpPorts: number[];
  /** meshctl's boot persistence; undefined when not read (output of an older script). */
  persist?: PersistFacts;
  /**
   * The address this node sees meshctl's SSH session come from ($SSH_CONNECTION: the controller, or the
   * bastion with a jump host): the node's path back, which no route of meshctl's may capture
   * (src/plan/lockout.ts). Undefined when unknown (not IPv4, not read, or facts of an older script).
   */
  sshClient?: Ipv4;
}
