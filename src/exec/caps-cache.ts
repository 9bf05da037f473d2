/**
 * iproute2's capabilities, probed once per node while its `ip` stays the same binary (#15). `ip -V` is a
 * process (~1.1 ms of a node's CPU, plus the shell's fork) on every run, for an answer that changes only
 * when iproute2 is upgraded. The driver keeps `ip -V`'s line in its private state directory
 * (/run/meshctl/caps, 0600, gone at reboot), keyed by the identity of the `ip` the facts run: its path (the
 * first of TOOLS_PATH that exists) and `stat -L`'s device, inode, size and change time of it — read by the
 * `stat` the driver runs anyway (the state directory's owner and mode), so a warm node starts no process
 * for it. A package upgrade writes a new file (new inode and ctime), so the key changes and the driver
 * probes again. A cache file cut short (no `end` line) or another key is ignored, and a line that is not
 * iproute2's is never kept.
 *
 * Were it ever stale (a binary rewritten in place, same size, within the second of the probe), the text path
 * still reads a newer ip correctly, and an older ip's JSON or batch quirks fail the facts loudly
 * (FactsParseError) or read the same; the next upgrade or reboot probes again.
 */
import { CAPS_FROM_IP, TOOLS_PATH } from "../facts/caps.js";

/** The cache: the key line, `ip -V`'s line, `end`. */
export const CAPS_FILE = "/run/meshctl/caps";

/** Every place the facts' `ip` can be, in the order the facts' PATH searches them. */
export const IP_CANDIDATES = TOOLS_PATH.split(":").map((d) => `${d}/ip`);

/**
 * Sets `$caps_ip` from the cache when its key is `$ipkey` (set by the driver's state-directory check), else
 * from `ip -V` run with the facts' PATH, and keeps it; then `$caps_kernel` and `$caps_mode`
 * (CAPS_FROM_IP). Runs under the driver's lock; `$D` is its state directory (CAPS_FILE's).
 */
export const CAPS_CACHED = `caps_ip=
if [ -n "$ipkey" ] && [ -f "$D/caps" ] && [ ! -L "$D/caps" ]; then
  caps_k=; caps_c=; caps_e=
  { IFS= read -r caps_k; IFS= read -r caps_c; IFS= read -r caps_e; } <"$D/caps" 2>/dev/null
  [ "$caps_k" = "$ipkey" ] && [ "$caps_e" = end ] && caps_ip=$caps_c
fi
if [ -z "$caps_ip" ]; then
  caps_ip=$(PATH=${TOOLS_PATH}; ip -V 2>&1)
  case $caps_ip in
    *'
'*) ;;
    *iproute2-*) [ -z "$ipkey" ] || [ -L "$D/caps" ] || printf '%s\\n%s\\nend\\n' "$ipkey" "$caps_ip" >"$D/caps" ;;
  esac
fi
${CAPS_FROM_IP}`;
