/**
 * The node-side half of meshctl: a fixed POSIX sh program run on one long-lived SSH channel per node.
 * It makes/checks its private state directory (/run/meshctl, 0700 root), takes meshctl's lock there,
 * prints the node's facts, then serves requests read from stdin, one header line each:
 *   `run|force <ip|bridge> <B> 0 <T>` + B bytes of batch lines → `<tool> [-force] -batch -`
 *   `run|force|check sh <B> <E> <T>` + E lines NAME=VALUE + a B-byte script → a playbook's site script,
 *                                  with those values in its environment (`check` answers `@@rc <exit code>`)
 *   `run|force file <B> 0 <T>` + a line `put PATH MODE|link PATH TARGET|remove PATH` + B bytes of content
 *                                → one of meshctl's own files, written atomically (src/exec/driver-files.ts)
 *   `facts` / `readback`         → prints the facts again, all of them / only what meshctl manages
 *   `journal - <B>` + B bytes    → keeps the undo of the coming change set (forced requests) in a file;
 *   `commit`                     → drops it. If stdin ends (the controller or its connection is gone) with
 *                                  a journal still there, the driver replays it: no half-done change set
 *                                  outlives a lost controller.
 *   `quit`                       → ends the session.
 * Replies: `@@ok`; `@@skipped`; `@@failed` or `@@timeout <T>`, then the output as `| ` lines, then `@@end`;
 * `@@rc N` (check); `@@facts-begin` … `@@facts-end`; `@@error <why>` (fatal, the driver exits).
 * Every run/force/check runs under `timeout` with its limit T (seconds): on expiry its whole process group
 * is killed (TERM, KILL 2 s later) and the request answers `@@timeout T`, like a failure.
 * Requests after a failed `run` are read but skipped, so the controller can pipeline a whole change set
 * plus its read-back in one round trip. Inventory values reach the node only as batch lines built from
 * typed values (src/plan/commands.ts) on stdin — the script text itself is constant but for typed values.
 */

import { SESSION_ARG } from "../facts/script.js";
import {
  type BatchCmd,
  batchLine,
  type Cmd,
  type FileCmd,
  type ShellCmd,
  type Tool,
} from "../plan/commands.js";
import { CAPS_CACHED, CAPS_FILE, IP_CANDIDATES } from "./caps-cache.js";
import { CONFIRM_CASES, REVERT_FUNCTIONS } from "./confirm.js";
import { FILE_CASE, FILE_FUNCTIONS, fileRequest } from "./driver-files.js";

/**
 * Everything meshctl keeps on a node lives here: a directory only root can enter (created 0700 by the
 * driver; refused if it is a link, not a directory or not owned by root). /run/lock is world-writable on
 * most distributions, so nothing of meshctl's lives there any more.
 */
export const STATE_DIR = "/run/meshctl";
export const LOCK_FILE = `${STATE_DIR}/lock`;
export const LOCK_WAIT_SECONDS = 30;
/** The undo of the change set in flight, kept on the node until the controller commits it. */
export const JOURNAL_FILE = `${STATE_DIR}/journal`;
/** Node-side limit of one `ip`/`bridge` batch (seconds): a batch of kernel calls never takes this long. */
export const BATCH_LIMIT_SECONDS = 30;
/** The controller's limit for one of meshctl's own files to be written (a few local file operations). */
export const FILE_LIMIT_SECONDS = 10;
/** Default node-side limit of a playbook's shell step (seconds); a step's `timeout:` overrides it. */
export const STEP_LIMIT_SECONDS = 60;

/**
 * `facts`: the full facts script (printed first, and on `facts`); `readback`: the lighter script printed
 * on `readback` (after a change set); both are fixed text built from typed values (src/facts/script.ts).
 */
export function driverScript(
  scripts: { facts: string; readback: string },
  lockWaitSeconds = LOCK_WAIT_SECONDS,
): string {
  // The frame is the same for every node: stripped of its comments once, not once per node (on the 17 KB
  // driver that cost ~0.5 ms a node, 28 ms of a 60-node diff's CPU).
  const [head, middle, tail] = framed(Math.max(0, Math.floor(lockWaitSeconds)));
  return `${head}${withoutComments(scripts.facts)}${middle}${withoutComments(scripts.readback)}${tail}`;
}

const FACTS_SLOT = "@@meshctl-facts-script@@";
const READBACK_SLOT = "@@meshctl-readback-script@@";
const frames = new Map<number, [string, string, string]>();

/** The driver without its two scripts, cut where they go: [before facts, between, after readback]. */
function framed(lockWait: number): [string, string, string] {
  const known = frames.get(lockWait);
  if (known) return known;
  const text = withoutComments(`${SESSION_ARG}
set -u
export LC_ALL=C
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
umask 077
MESHCTL_LIB=${sq(driverLib())}
eval "$MESHCTL_LIB"
for t in flock:util-linux timeout:coreutils setsid:util-linux; do
  command -v "\${t%%:*}" >/dev/null 2>&1 || fail "\${t%%:*} not found: install \${t#*:}"
done
${stateDirSetup()}
exec 9>>${LOCK_FILE} || fail "cannot open ${LOCK_FILE} (not root?)"
flock -w ${lockWait} 9 || { echo "@@error another meshctl run holds ${LOCK_FILE}"; exit 75; }
takeover
# Copies kept for the undo of a change set whose session is gone (hard-killed, never replayed): not ours.
[ ! -e "$D/saved" ] || rm -rf "$D/saved"
facts() (
${FACTS_SLOT}
)
readback() (
${READBACK_SLOT}
)
emit_facts() { echo "@@facts-begin"; "$1"; echo "@@facts-end"; }
# iproute2's capabilities, once per session (from the cache while ip is the same binary): the facts and the
# read-back (subshells) inherit them.
${CAPS_CACHED}
mine=0; tpid=; win=0
# A lost connection must not kill the driver half-way (SIGPIPE on the next reply, SIGHUP).
trap '' HUP PIPE
emit_facts facts
serve
# The controller left without committing (connection lost, controller killed): undo this run's changes,
# unless the commit-confirmed timer already has them. Only a journal this session wrote: a leftover of an
# earlier, hard-killed driver is never replayed here (a diff must change nothing; the next apply repairs
# the node from its facts) — but an armed one is (takeover, above).
if [ -n "$tpid" ] && ! disarm; then exit 0; fi
if [ "$mine" = 1 ] && [ -f "$J" ]; then serve <"$J" >/dev/null 2>&1; rm -rf "$J" "$D/saved"; fi
`);
  const [head = "", rest = ""] = text.split(FACTS_SLOT);
  const [middle = "", tail = ""] = rest.split(READBACK_SLOT);
  const frame: [string, string, string] = [head, middle, tail];
  frames.set(lockWait, frame);
  return frame;
}

/**
 * The script without its comment lines (a sixth of it): they are for the reader of this source, and every
 * byte is sent to, decrypted and parsed by every node on every run. Lines of a here-document are kept as
 * they are; a `#` anywhere but at the start of a line (after blanks) is left alone.
 */
export function withoutComments(script: string): string {
  const out: string[] = [];
  let heredoc: string | undefined;
  for (const line of script.split("\n")) {
    if (heredoc !== undefined) {
      out.push(line);
      if (line === heredoc) heredoc = undefined;
      continue;
    }
    if (/^\s*#/.test(line)) continue;
    const h = /<<-?\s*'?([A-Za-z_][A-Za-z0-9_]*)'?/.exec(line);
    if (h) heredoc = h[1];
    out.push(line);
  }
  return out.join("\n");
}

/** Single-quotes a constant for sh. */
const sq = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * The functions both the driver and its detached commit-confirmed timer run (the timer gets this text as
 * its `sh -c` program): request serving, step runners, revert.
 */
function driverLib(): string {
  return `D=${STATE_DIR}
J=${JOURNAL_FILE}
okd=
fail() { echo "@@error $*"; exit 3; }
# Payloads are framed by byte count and read with head -c, which reads exactly that many bytes from the
# pipe (the shell's read builtin would take one read(2) per byte). Every command runs under coreutils
# timeout (its own process group, TERM then KILL after 2 s): a step that never ends is killed with all
# its children, answers @@timeout, and the lock is free again. Children never get the lock's fd 9. The
# running step's process group is kept in $D/step (the revert timer kills it; emptied when it ends, which
# needs no process where \`rm\` would start one).
# run_sh NENV NBYTES LIMIT: NENV lines NAME=VALUE, then an NBYTES script; runs it with those in its environment
run_sh() {
  ne=$1; nb=$2; lim=$3; set --; i=0
  while [ "$i" -lt "$ne" ]; do IFS= read -r l; set -- "$@" "$l"; i=$((i+1)); done
  buf=$(head -c "$nb")
  timeout -k 2 "$lim" env "$@" sh -c "$buf" </dev/null 9>&- 2>&1 &
  echo $! >"$D/step"; wait $!; rc=$?; : >"$D/step"; return $rc
}
# run_batch TOOL FLAG NBYTES LIMIT: NBYTES of batch lines, read whole first (framing survives a kill)
run_batch() {
  buf=$(head -c "$3")
  printf '%s\\n' "$buf" | timeout -k 2 "$4" "$1" $2 -batch - 9>&- 2>&1 &
  echo $! >"$D/step"; wait $!; rc=$?; : >"$D/step"; return $rc
}
# excl FILE CMD…: CMD's output into FILE, created exclusively (noclobber: O_EXCL, never through a link)
excl() { f=$1; shift; set -C; if "$@" >"$f"; then set +C; return 0; fi; set +C; return 1; }
# block: the output of a failed or timed-out request, each line prefixed, then @@end
block() { [ -z "$1" ] || printf '%s\\n' "$1" | sed 's/^/| /'; echo "@@end"; }
# serve: answers requests read from stdin until quit or end of input.
serve() {
failed=0
while IFS= read -r req; do
  set -- $req
  mode=\${1:-}; tool=\${2:-}; n=\${3:-0}; nenv=\${4:-0}; lim=\${5:-${BATCH_LIMIT_SECONDS}}
  case "$mode" in
    journal)
      # The undo of the change set about to run: replayed below if the controller goes away before commit.
      # Written to a fresh file (created exclusively: noclobber, umask 077) in the private directory, then
      # renamed. A new journal ends the last change set's undo: the copies kept for it go too
      # (src/exec/driver-files.ts).
      [ ! -e "$D/saved" ] || rm -rf "$D/saved"
      t="$J.$$"; [ ! -e "$t" ] || rm -f "$t"
      if excl "$t" head -c "$n" && mv -f "$t" "$J"; then mine=1; echo "@@ok"
      else rm -f "$t"; fail "cannot write $J"; fi ;;
    commit) rm -rf "$J" "$D/saved"; mine=0; echo "@@ok" ;;
${CONFIRM_CASES}
    run|force|check)
      case "$tool" in
        ip|bridge)
          if [ "$failed" = 1 ] && [ "$mode" = run ]; then head -c "$n" >/dev/null; echo "@@skipped"; continue; fi
          if [ "$mode" = force ]; then flag=-force; else flag=; fi
          out=$(run_batch "$tool" "$flag" "$n" "$lim") ;;
        sh)
          if [ "$failed" = 1 ] && [ "$mode" = run ]; then
            i=0; while [ "$i" -lt "$nenv" ]; do IFS= read -r l; i=$((i+1)); done
            head -c "$n" >/dev/null; echo "@@skipped"; continue
          fi
          out=$(run_sh "$nenv" "$n" "$lim") ;;
${FILE_CASE}
        *) echo "@@error bad tool"; exit 3 ;;
      esac
      rc=$?
      if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        [ "$mode" = run ] && failed=1
        echo "@@timeout $lim"; block "$out"
      elif [ "$mode" = check ]; then echo "@@rc $rc"
      elif [ "$rc" = 0 ]; then echo "@@ok"
      else
        [ "$mode" = run ] && failed=1
        echo "@@failed"; block "$out"
      fi ;;
    facts) emit_facts facts ;;
    # The confirm window starts once the change set's read-back is on its way.
    readback) emit_facts readback; if [ -n "$tpid" ]; then echo "$win" >"$D/rearm"; fi ;;
    quit) return 0 ;;
    *) echo "@@error bad request"; exit 3 ;;
  esac
done
}
${FILE_FUNCTIONS}
${REVERT_FUNCTIONS}`;
}

/**
 * Creates or checks the state directory. /run is root's, so no other user can plant anything there; the
 * checks still refuse a link, a non-directory or a directory someone else owns instead of following it,
 * and the lock, journal and caps cache inside are never links (only root can create entries in a 0700
 * directory). The same `stat` gives `$ipkey`, the identity of the facts' `ip` (src/exec/caps-cache.ts):
 * the first candidate that exists is the one PATH finds.
 */
function stateDirSetup(): string {
  const d = STATE_DIR;
  return `[ -L ${d} ] && fail "${d} is a symbolic link: refusing to follow it (remove it; meshctl creates ${d} itself)"
[ -e ${d} ] || mkdir -m 700 ${d} 2>/dev/null || [ -d ${d} ] || fail "cannot create ${d} (not root?)"
[ ! -L ${d} ] && [ -d ${d} ] || fail "${d} is not a directory: refusing (remove it; meshctl creates ${d} itself)"
st=$(stat -L -c '%n %u %a %d:%i:%s:%Z' ${d} ${IP_CANDIDATES.join(" ")} 2>/dev/null)
set -- $st
[ "\${1-}" = ${d} ] || fail "cannot read ${d}"
[ "$2" = 0 ] || fail "${d} is owned by uid $2, not root: refusing (remove it; meshctl creates ${d} itself)"
[ "$3" = 700 ] || chmod 700 ${d} || fail "cannot make ${d} private (mode $3)"
ipkey=; [ "$#" -lt 8 ] || ipkey="$5 $8"
for f in ${LOCK_FILE} ${JOURNAL_FILE} ${CAPS_FILE}; do [ -L "$f" ] && fail "$f is a symbolic link: refusing to follow it"; done`;
}

/** One request: consecutive `ip`/`bridge` commands of one tool, or a single site script. */
export type Batch =
  | { tool: Tool; cmds: BatchCmd[] }
  | { tool: "sh"; cmds: [ShellCmd] }
  | { tool: "file"; cmds: [FileCmd] };

/** Groups commands into batches of consecutive commands of the same tool, preserving order. */
export function toBatches(cmds: readonly Cmd[]): Batch[] {
  const out: Batch[] = [];
  for (const c of cmds) {
    const last = out[out.length - 1];
    if (c.tool === "sh") out.push({ tool: "sh", cmds: [c] });
    else if (c.tool === "file") out.push({ tool: "file", cmds: [c] });
    else if (last && last.tool === c.tool) (last.cmds as BatchCmd[]).push(c);
    else out.push({ tool: c.tool, cmds: [c] });
  }
  return out;
}

/** The node-side time limit of a batch, in whole seconds. */
export function batchLimit(b: Batch): number {
  if (b.tool === "file") return FILE_LIMIT_SECONDS;
  return b.tool === "sh" ? (b.cmds[0].timeoutSec ?? STEP_LIMIT_SECONDS) : BATCH_LIMIT_SECONDS;
}

export function encodeBatch(b: Batch, mode: "run" | "force" | "check" = "run"): string {
  if (b.tool === "file") return fileRequest(b.cmds[0], mode, batchLimit(b));
  if (b.tool === "sh") {
    const c = b.cmds[0];
    const env = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
    for (const e of env) if (e.includes("\n")) throw new Error(`environment value with a newline: ${e}`);
    const script = `${c.script.replace(/\n$/, "")}\n`;
    return `${mode} sh ${Buffer.byteLength(script)} ${env.length} ${batchLimit(b)}\n${env.map((l) => `${l}\n`).join("")}${script}`;
  }
  const body = b.cmds.map((c) => `${batchLine(c)}\n`).join("");
  return `${mode} ${b.tool} ${Buffer.byteLength(body)} 0 ${batchLimit(b)}\n${body}`;
}

/** The undo of a change set, kept on the node until `commit` (see driverScript). */
export function encodeJournal(undo: readonly Cmd[]): string {
  const text = toBatches(undo)
    .map((b) => encodeBatch(b, "force"))
    .join("");
  return `journal - ${Buffer.byteLength(text)}\n${text}`;
}

export type BatchOutcome =
  | { status: "ok" }
  | { status: "skipped" }
  /**
   * `line` = 1-based number of the failing command in the batch (from "Command failed -:N");
   * `timedOutSec`: the node killed the batch (its whole process group) after that many seconds.
   */
  | { status: "failed"; output: string; line?: number; timedOutSec?: number };

export function failedLine(output: string): number | undefined {
  const m = /Command failed -:(\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}
