/**
 * The one remote exec that gathers a node's facts: a read-only POSIX sh (dash-compatible) script, run as
 * root, that prints marked sections of `ip -j` / `bridge -j` JSON and /proc/sys values. It exits 0
 * whether or not the device exists; a command that fails unexpectedly leaves its error text in its
 * section, where `parseFacts` reports it by section name.
 *
 * Output, in order (a section starts at a line `@@<name>`; blank lines are insignificant):
 *   @@meshctl-facts 1      format marker (anything before it, e.g. a login banner, is ignored)
 *   @@params               JSON echo of the parameters below
 *   @@vxlan                ip -j -d link show type vxlan          every VXLAN device (ports, VNIs)
 *   @@device               ip -j -d addr show dev DEV             link + linkinfo + addresses, or []
 *   @@addrs-local          ip -j addr show to LOCAL/32            interface(s) holding the local IP
 *   @@addrs-underlay       ip -j addr show dev UNDERLAY           only when underlayDev is given, or []
 *   @@neigh                ip -4 -j neigh show dev DEV            or [] when the device is absent
 *   @@fdb                  bridge -j fdb show dev DEV             or [] when the device is absent
 *   @@routes               ip -4 -j -d route show table all proto N
 *   @@routes-main          ip -4 -j -d route show table main scope global
 *   @@sysctl               `key value` lines read from /proc/sys
 *   @@udp                  hex local port of every UDP socket (/proc/net/udp, udp6)
 *   @@end
 *
 * Output stays small on a busy Kubernetes node: no full link or address dump (hundreds of cali* veths,
 * kube-ipvs0 with an address per Service), no per-pod /32 link-scope routes.
 */
import { type IfName, type Ipv4, parseIfName, parseIpv4 } from "../net/addr.js";

export interface FactsScriptParams {
  /** The VXLAN device meshctl manages. */
  device: IfName;
  /** Route protocol id that marks meshctl's routes (1–255). */
  routeProtocol: number;
  /** Underlay source address of the tunnel: the script finds the interface holding it. */
  localIp: Ipv4;
  /** Underlay device, when the inventory names one. */
  underlayDev?: IfName;
}

/** First line of the script's output; bump the number when the format changes. */
export const FACTS_MARKER = "@@meshctl-facts 1";

/** The sections in the order the script prints them. */
export const FACTS_SECTIONS = [
  "params",
  "links",
  "neigh",
  "fdb",
  "routes",
  "routes-main",
  "sysctl",
  "udp",
  "end",
] as const;
export type FactsSection = (typeof FACTS_SECTIONS)[number];

/**
 * The brand types already guarantee shell-safe values; parse them again anyway, since a cast can forge a
 * brand, and these are the only values interpolated into a script run as root.
 */
function checked(p: FactsScriptParams): FactsScriptParams {
  const fail = (what: string): never => {
    throw new Error(`factsScript: refusing to interpolate an unvalidated ${what}`);
  };
  const device = parseIfName(p.device);
  if (!device.ok) fail(`device name (${device.error})`);
  const localIp = parseIpv4(p.localIp);
  if (!localIp.ok) fail(`local IP (${localIp.error})`);
  if (!Number.isInteger(p.routeProtocol) || p.routeProtocol < 1 || p.routeProtocol > 255) {
    fail(`route protocol ${String(p.routeProtocol)} (an integer 1–255)`);
  }
  if (p.underlayDev !== undefined) {
    const u = parseIfName(p.underlayDev);
    if (!u.ok) fail(`underlay device name (${u.error})`);
  }
  return p;
}

/** The parameters as the `@@params` section echoes them (parseFacts checks the output is for them). */
function paramsJson(p: FactsScriptParams): string {
  return JSON.stringify({
    device: p.device,
    routeProtocol: p.routeProtocol,
    localIp: p.localIp,
    ...(p.underlayDev === undefined ? {} : { underlayDev: p.underlayDev }),
  });
}

export function factsScript(params: FactsScriptParams): string {
  const p = checked(params);
  const echo = paramsJson(p);
  // Every interpolated value is an IfName ([A-Za-z0-9_.-]), an Ipv4 or an integer: no quote can occur.
  return `# meshctl facts: read-only, one exec, always exits 0
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL
D='${p.device}'
L='${p.localIp}'
P='${p.routeProtocol}'
U='${p.underlayDev ?? ""}'
echo '${FACTS_MARKER}'
echo '@@params'
echo '${echo}'
printf '\\n@@links\\n'
# Every link with its details and addresses in one process: the device, every VXLAN device, the holder
# of the local IP and the named underlay are picked out by the parser (one process instead of four).
ip -j -d addr show 2>&1
has=
[ -e "/sys/class/net/$D" ] && has=1
printf '\\n@@neigh\\n'
if [ -n "$has" ]; then ip -4 -j neigh show dev "$D" 2>&1; else echo '[]'; fi
printf '\\n@@fdb\\n'
if [ -n "$has" ]; then bridge -j fdb show dev "$D" 2>&1; else echo '[]'; fi
printf '\\n@@routes\\n'
ip -4 -j -d route show table all proto "$P" 2>&1
printf '\\n@@routes-main\\n'
ip -4 -j -d route show table main scope global 2>&1
printf '\\n@@sysctl\\n'
# (sysctl files answer EOF to a second read(2), so dash's byte-wise read returns 1 with v set)
s() { v=; read -r v 2>/dev/null <"/proc/sys/net/ipv4/$1"; if [ -n "$v" ]; then printf 'net.ipv4.%s %s\\n' "$2" "$v"; fi; }
s ip_forward ip_forward
s conf/all/rp_filter conf.all.rp_filter
s conf/default/rp_filter conf.default.rp_filter
# every interface's (the parser keeps the device's and the underlay's; reads are shell built-ins)
for f in /proc/sys/net/ipv4/conf/*/rp_filter; do
  n=\${f%/rp_filter}; n=\${n##*/}
  case $n in all|default) ;; *) s "conf/$n/rp_filter" "conf.$n.rp_filter" ;; esac
done
printf '\\n@@udp\\n'
for f in /proc/net/udp /proc/net/udp6; do
  [ -r "$f" ] || continue
  while read -r _ a _; do case $a in *:*) printf '%s\\n' "\${a##*:}" ;; esac; done <"$f"
done
printf '\\n@@end\\n'
`;
}

/**
 * The read-back after a change set: only what meshctl manages — the device (with its addresses), its
 * neighbours and FDB entries, and meshctl's routes — in the same sections, so parseFacts reads it; the
 * sections about the rest of the node (other links, foreign routes, sysctls, UDP ports) are left empty,
 * and the caller keeps them from the facts read before the change (a change set does not touch them).
 * Less than half the bytes and processes of factsScript.
 */
export function readbackScript(params: FactsScriptParams): string {
  const p = checked(params);
  const echo = paramsJson(p);
  return `D='${p.device}'
P='${p.routeProtocol}'
echo '${FACTS_MARKER}'
echo '@@params'
echo '${echo}'
echo '@@links'
if [ -e "/sys/class/net/$D" ]; then
  ip -j -d addr show dev "$D" 2>&1
  echo '@@neigh'; ip -4 -j neigh show dev "$D" 2>&1
  echo '@@fdb'; bridge -j fdb show dev "$D" 2>&1
else
  echo '[]'; echo '@@neigh'; echo '[]'; echo '@@fdb'; echo '[]'
fi
echo '@@routes'
ip -4 -j -d route show table all proto "$P" 2>&1
printf '@@routes-main\\n[]\\n@@sysctl\\n@@udp\\n@@end\\n'
`;
}
