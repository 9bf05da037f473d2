/**
 * The one remote exec of `meshctl verify` on a node: a fixed, read-only POSIX sh (dash-compatible)
 * script that finds the source address for the pod probes, runs every ping of the node in parallel
 * (`&` + `wait`, at most PARALLEL at once), each bounded by a count (`-c`) and a reply timeout (`-W`),
 * and prints each ping's output under a marker. Only typed values are interpolated: the device name
 * (IfName), addresses (Ipv4), pod blocks (Cidr) and integers — each parsed again here.
 *
 * Output (blank lines insignificant):
 *   @@meshctl-verify 1
 *   @@device <mtu>|absent      MTU of the mesh device (the don't-fragment pings are sized from it)
 *   @@underlay <mtu>|absent    MTU of the interface holding the underlay address (direct peers' MTU probes)
 *   @@direct <id>              a probe sent to a peer directly, at its underlay address (#14)
 *   @@src <ip> pod-block|overlay   source address of the pod probes
 *   @@probe <id>               ping's stdout+stderr, then `@@rc <exit status>` (nothing if not run)
 *   …
 *   @@end
 */
import { type Cidr, type IfName, type Ipv4, parseCidr, parseIfName, parseIpv4 } from "../net/addr.js";
import type { NodePlan } from "./types.js";

export const VERIFY_MARKER = "@@meshctl-verify 1";
/** Pings running at once on one node. */
export const PARALLEL = 64;
/** Seconds between the pings of one probe. */
export const INTERVAL_S = 0.2;
/** IPv4 + ICMP headers: the payload of a don't-fragment probe is MTU − 28. */
export const ICMP_OVERHEAD = 28;

export interface VerifyScriptOptions {
  device: IfName;
  /** Echo requests per probe (`ping -c`). */
  count: number;
  /** How long to wait for a reply (`ping -W`, rounded up to whole seconds, at least 1). */
  timeoutMs: number;
}

export const replyWaitSeconds = (timeoutMs: number): number => Math.max(1, Math.ceil(timeoutMs / 1000));

/** An upper bound of the script's run time, for the exec timeout. */
export function scriptBudgetMs(plan: NodePlan, o: VerifyScriptOptions): number {
  const rounds = Math.max(1, Math.ceil(plan.probes.length / PARALLEL));
  const perRound = (o.count - 1) * INTERVAL_S + replyWaitSeconds(o.timeoutMs) + 1;
  return Math.ceil((rounds * perRound + 10) * 1000);
}

function refuse(what: string): never {
  throw new Error(`verifyScript: refusing to interpolate an unvalidated ${what}`);
}

const ip = (v: Ipv4): Ipv4 => (parseIpv4(v).ok ? v : refuse(`address ${JSON.stringify(v)}`));
const block = (v: Cidr): Cidr => (parseCidr(v).ok ? v : refuse(`pod block ${JSON.stringify(v)}`));
const int = (v: number, what: string, min: number, max: number): number =>
  Number.isInteger(v) && v >= min && v <= max ? v : refuse(`${what} ${String(v)} (${min}–${max})`);

export function verifyScript(plan: NodePlan, o: VerifyScriptOptions): string {
  if (!parseIfName(o.device).ok) refuse(`device name ${JSON.stringify(o.device)}`);
  const count = int(o.count, "count", 1, 100);
  const wait = replyWaitSeconds(int(o.timeoutMs, "timeout", 1, 600_000));
  const blocks = plan.podBlocks.map(block);
  const overlay = ip(plan.overlayIp);
  const base = `-n -c ${count} -i ${INTERVAL_S} -W ${wait}`;
  const lines: string[] = [];
  plan.probes.forEach((p, i) => {
    const id = int(p.id, "probe id", 0, 1_000_000);
    const dst = ip(p.dst);
    if (i > 0 && i % PARALLEL === 0) lines.push("wait");
    const tunnel =
      p.kind === "overlay"
        ? `p ${id} ${base} ${dst} &`
        : p.kind === "mtu"
          ? `if [ -n "$mtu" ]; then p ${id} ${base} -M do -s $((mtu - ${ICMP_OVERHEAD})) ${dst} & fi`
          : `p ${id} ${base} -I "$src" ${dst} &`;
    if (p.kind === "pod" || p.path === undefined || p.underlay === undefined) {
      lines.push(tunnel);
      return;
    }
    const u = ip(p.underlay);
    const direct =
      p.kind === "overlay"
        ? `echo ${id} >>"$t/direct"; p ${id} ${base} ${u} &`
        : `echo ${id} >>"$t/direct"; if [ -n "$umtu" ]; then p ${id} ${base} -M do -s $((umtu - ${ICMP_OVERHEAD})) ${u} & fi`;
    // `&` ends a command as `;` does: either is followed directly by the next keyword.
    const end = (c: string) => (c.endsWith("&") ? `${c} ` : `${c}; `);
    lines.push(p.path === "direct" ? direct : `if onlink ${u}; then ${end(direct)}else ${end(tunnel)}fi`);
  });
  lines.push("wait");
  const ids = plan.probes.map((p) => p.id).join(" ");
  return `# meshctl verify: pings only, one exec, always exits 0
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL
D='${o.device}'
echo '${VERIFY_MARKER}'
command -v ping >/dev/null 2>&1 || { echo '@@error ping not found: install iputils-ping'; echo '@@end'; exit 0; }
mtu=
if l=$(ip -o link show dev "$D" 2>/dev/null); then mtu=\${l#* mtu }; mtu=\${mtu%% *}; fi
case $mtu in ''|*[!0-9]*) mtu= ;; esac
echo "@@device \${mtu:-absent}"
umtu=
if a=$(ip -o -4 addr show to '${ip(plan.underlayIp)}/32' 2>/dev/null) && [ -n "$a" ]; then
  set -- $a; if l=$(ip -o link show dev "\${2%%@*}" 2>/dev/null); then umtu=\${l#* mtu }; umtu=\${umtu%% *}; fi
fi
case $umtu in ''|*[!0-9]*) umtu= ;; esac
echo "@@underlay \${umtu:-absent}"
onlink() { case $(ip -o route get "$1" 2>/dev/null) in *' via '*|'') return 1 ;; esac; return 0; }
src=
for b in ${blocks.length > 0 ? blocks.join(" ") : ""}; do
  a=$(ip -4 -o addr show to "$b" 2>/dev/null) || continue
  case $a in *' inet '*) a=\${a#*' inet '}; src=\${a%%/*}; break ;; esac
done
if [ -n "$src" ]; then echo "@@src $src pod-block"; else src='${overlay}'; echo "@@src $src overlay"; fi
t=$(mktemp -d 2>/dev/null) || { echo '@@error cannot create a temporary directory (mktemp -d)'; echo '@@end'; exit 0; }
trap 'rm -rf "$t"' EXIT
p() { i=$1; shift; ping "$@" >"$t/$i" 2>&1; echo "@@rc $?" >>"$t/$i"; }
${lines.join("\n")}
[ -f "$t/direct" ] && while read -r i; do echo "@@direct $i"; done <"$t/direct"
for i in ${ids}; do
  echo "@@probe $i"
  [ -f "$t/$i" ] && cat "$t/$i"
done
echo '@@end'
`;
}
