/**
 * The facts scripts, assembled from the sections (src/facts/sections/): a read-only POSIX sh
 * (dash-compatible) script, run as root, that probes the node's iproute2 (`@@caps`), then prints every
 * section. It exits 0 whether or not the device exists; a command that fails unexpectedly leaves its error
 * text in its section, where `parseFacts` reports it by section name.
 *
 * Output (a section starts at a line `@@<name>`; blank lines are insignificant):
 *   @@meshctl-facts 2        format marker (anything before it, e.g. a login banner, is ignored)
 *   @@caps                   `ip -V`, `kernel <release>`, `mode json|text` (probed once per driver session)
 *   @@params                 JSON echo of the parameters
 *   every `ip` read in ONE process, `ip -d [-j] -batch -` (src/facts/batch.ts):
 *     @@ip-batch <names…>    json mode (iproute2 ≥ 5.5): one JSON array per named section, in order
 *     @@ip-text <names…>     text mode (older): the sections' plain text, between separators
 *     @@ip-stderr, @@ip-status <rc>   before them: ip's stderr and exit status
 *     @@<name> + `[]`        a guarded section whose interface does not exist
 *     @@<name>               a route listing run alone (iproute2 < 4.13 ends a batch after one)
 *   @@fdb, @@sysctl, @@udp   (bridge; shell built-ins only)
 *   @@end
 * Node-side processes: `ip -V` (not in the driver: it probes once, before the facts), `ip -batch`,
 * `bridge` — whatever the node carries; on iproute2 < 4.13 one `ip` more per route listing after the first.
 */
import { parseIfName, parseIpv4 } from "../net/addr.js";
import { ipBatch, notIp } from "./batch.js";
import { CAPS_PROBE, TOOLS_PATH } from "./caps.js";
import { READBACK_SECTIONS, SECTIONS } from "./sections/index.js";
import type { FactsScriptParams, FactsSection } from "./sections/types.js";

export type { FactsScriptParams } from "./sections/types.js";

/**
 * Keeps the SSH session's $SSH_CONNECTION that src/exec/ssh/quote.ts passes as $1: a script that wraps the
 * facts in a function (the driver, diagnose) runs this at its top level first, where $1 is still that.
 */
export const SESSION_ARG = `MESHCTL_SSH_CONNECTION=\${MESHCTL_SSH_CONNECTION-\${1:-}}`;

/** First line of the script's output; bump the number when the format changes. */
export const FACTS_MARKER = "@@meshctl-facts 2";

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

/**
 * $N: the links whose rp_filter and forwarding the sysctl section reads — the device and the named underlay
 * (known by name), plus those listed by the sections marked `names` (the holder of the local IP), found in
 * ip's output by `ifnames`. It looks only at those sections, `$hk` (their places in the batch, up to `$hm`):
 * one line each in JSON mode, the lines up to the next separator in text mode. Parameter expansions only
 * (no process), and never over the whole output: on a mesh of 60 nodes the neighbour and route lines are
 * 15 KB, and dash's `\${r#*pattern}` is quadratic in the length it skips (2 ms a run, measured).
 */
const IFNAMES = `name() { case " $N " in *" $1 "*) ;; *) N="$N $1" ;; esac; }
ifnames() {
  set -f; oifs=$IFS; IFS='
'; k=1
  for l in $1; do
    case "$hk " in *" $k "*)
      case $l in
        '['*) r=$l; while :; do case $r in *'"ifname":"'*) r=\${r#*'"ifname":"'}; name "\${r%%'"'*}" ;; *) break ;; esac; done ;;
        [0-9]*': '*': <'*) l=\${l#*: }; l=\${l%%: <*}; name "\${l%%@*}" ;;
      esac ;;
    esac
    case $l in '['*|'local 127.0.0.1 dev lo '*) k=$((k+1)); [ "$k" -le "$hm" ] || break ;; esac
  done
  IFS=$oifs; set +f
}`;
function script(params: FactsScriptParams, list: readonly FactsSection[], title: string): string {
  const p = checked(params);
  const [first, ...others] = list;
  const paramsPart = first?.name === "params" ? (notIp(first, p) ?? "") : "";
  const body = first?.name === "params" ? others : list;
  // Every interpolated value is an IfName ([A-Za-z0-9_.-]), an Ipv4 or an integer: no quote can occur.
  return `# meshctl ${title}: read-only, one exec, always exits 0
PATH=${TOOLS_PATH}
LC_ALL=C
export PATH LC_ALL
echo '${FACTS_MARKER}'
${SESSION_ARG}
${CAPS_PROBE}
${paramsPart}
has=; [ -e '/sys/class/net/${p.device}' ] && has=1
hasu=; ${p.underlayDev === undefined ? ":" : `[ -e '/sys/class/net/${p.underlayDev}' ] && hasu=1`}
${IFNAMES}
N=; name ${p.device}${p.underlayDev === undefined ? "" : `; name ${p.underlayDev}`}
${ipBatch(body, p)}
${body.flatMap((s) => notIp(s, p) ?? []).join("\n")}
printf '\\n@@end\\n'
`;
}

/** The full facts, plus any `extra` sections (diagnose adds its own reads; they join the `ip -batch`). */
export function factsScript(params: FactsScriptParams, extra: readonly FactsSection[] = []): string {
  return script(params, [...SECTIONS, ...extra], "facts");
}

/**
 * The read-back after a change set: only the sections about what meshctl manages (the device with its
 * addresses, its neighbours and FDB entries, meshctl's routes); the caller keeps the rest from the facts
 * read before the change (a change set touches none of it): see `mergeReadback`.
 */
export function readbackScript(params: FactsScriptParams): string {
  return script(params, READBACK_SECTIONS, "read-back");
}
