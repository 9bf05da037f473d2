/**
 * The one remote exec of `meshctl diagnose` on a node: the facts script (src/facts/script.ts, run in a
 * subshell) with diagnose's route reads added as fact sections (src/diagnose/roots.ts: `@@root-…`, the
 * main table's routes inside each other cluster's pod CIDR, in the same `ip -batch`), followed by a few
 * read-only sections of its own. Only typed values are interpolated (IfName, port number, Cidr), each
 * parsed again here.
 *
 * Output after the facts' `@@end` (blank lines insignificant):
 *   @@meshctl-diagnose 1
 *   @@iptables          `iptables -S FORWARD`, or `!absent`, or `!rc N` + error text
 *   @@nft               table/chain headers, forward hooks and rules naming the device from `nft list ruleset`
 *   @@udp-port          `<udp|udp6> <local hex> <uid> <inode>` for every socket bound to the mesh port
 *   @@end
 */
import { type FactsScriptParams, factsScript, SESSION_ARG } from "../facts/script.js";
import { type Cidr, type IfName, parseCidr, parseIfName } from "../net/addr.js";
import { rootSections } from "./roots.js";

export const DIAGNOSE_MARKER = "@@meshctl-diagnose 1";

export interface DiagnoseScriptParams {
  facts: FactsScriptParams;
  device: IfName;
  /** The mesh's VXLAN UDP port. */
  port: number;
  /** Pod CIDRs of the other clusters: routes inside them may steal the mesh's traffic. */
  remoteCidrs: Cidr[];
}

function refuse(what: string): never {
  throw new Error(`diagnoseScript: refusing to interpolate an unvalidated ${what}`);
}

/** The port as /proc/net/udp prints it: 4 upper-case hex digits. */
export const hexPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");

export function diagnoseScript(p: DiagnoseScriptParams): string {
  if (!parseIfName(p.device).ok) refuse(`device name ${JSON.stringify(p.device)}`);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) refuse(`port ${String(p.port)}`);
  for (const c of p.remoteCidrs) if (!parseCidr(c).ok) refuse(`CIDR ${JSON.stringify(c)}`);
  return `# meshctl diagnose: read-only, one exec, always exits 0
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LC_ALL=C
export PATH LC_ALL
${SESSION_ARG}
facts() (
${factsScript(p.facts, rootSections(p.remoteCidrs))}
)
facts
D='${p.device}'
echo '${DIAGNOSE_MARKER}'
printf '\\n@@iptables\\n'
if command -v iptables >/dev/null 2>&1; then
  out=$(iptables -S FORWARD 2>&1); rc=$?
  if [ "$rc" -ne 0 ]; then echo "!rc $rc"; fi
  printf '%s\\n' "$out"
else echo '!absent'; fi
printf '\\n@@nft\\n'
if command -v nft >/dev/null 2>&1; then
  out=$(nft list ruleset 2>&1); rc=$?
  if [ "$rc" -ne 0 ]; then echo "!rc $rc"; printf '%s\\n' "$out" | head -n 5
  else printf '%s\\n' "$out" | grep -e '^table ' -e '^[[:space:]]*chain ' -e 'hook forward' -e "\\"$D\\"" ; fi
else echo '!absent'; fi
printf '\\n@@udp-port\\n'
for f in /proc/net/udp /proc/net/udp6; do
  [ -r "$f" ] || continue
  while read -r _ a _ _ _ _ _ u _ n _; do
    case $a in *:${hexPort(p.port)}) printf '%s %s %s %s\\n' "\${f##*/}" "\${a%:*}" "$u" "$n" ;; esac
  done <"$f"
done
printf '\\n@@end\\n'
`;
}
