/**
 * The driver's `file` requests: meshctl's own files on the node (its boot persistence, src/plan/persist.ts),
 * written by the driver itself so their content travels as data on stdin, never as script text.
 *   run|force file <B> 0 <T>, then one line, then B bytes of content:
 *     put PATH MODE      → B bytes to a new file created exclusively (noclobber: O_EXCL) beside PATH with
 *                          MODE (by the umask: no chmod), then renamed over PATH (`mv -T`: a link or anything
 *                          at PATH is replaced, never followed)
 *     link PATH TARGET   → a symbolic link made beside PATH, renamed over it (as `systemctl enable` makes it)
 *     remove PATH        → unlinks PATH (a link is removed, not followed)
 *     restore PATH       → puts back the copy `put`/`remove` kept of the regular file they replaced (the undo;
 *                          nothing when there is none: the forward never ran)
 * `put` and `remove` keep that copy in $D/saved (the driver's private directory, 0700) under PATH's name,
 * once per change set (the first copy is the one before it); `commit` and every replay of the journal
 * delete the copies, and a driver starting clears any left by one that was killed.
 * Only meshctl's paths are accepted (the unit, its enablement link, `/var/lib/meshctl/<device>@…`), each
 * directly in its directory, and only when that directory is a real directory owned by root that no one
 * else can write (/var/lib/meshctl is created 0700 and kept so).
 */

import { BOOT_DIR, UNIT_DIR, WANTS_DIR } from "../facts/persist-paths.js";
import type { FileCmd } from "../plan/commands.js";

/** Shell functions of the driver's library (`file_dir`, `file_ok`, `run_file`). */
export const FILE_FUNCTIONS = `# file_dir DIR MODE: DIR is a real directory owned by root that only root can write (made with MODE)
file_dir() {
  [ -L "$1" ] && { echo "$1 is a symbolic link: refusing to follow it"; return 1; }
  [ -e "$1" ] || mkdir -m "$2" "$1" 2>/dev/null || [ -d "$1" ] || { echo "cannot create $1"; return 1; }
  [ ! -L "$1" ] && [ -d "$1" ] || { echo "$1 is not a directory: refusing"; return 1; }
  fst=$(stat -c '%u %a' "$1") || return 1
  set -- "$1" "$2" $fst
  [ "$3" = 0 ] || { echo "$1 is owned by uid $3, not root: refusing"; return 1; }
  case "$4" in *[2367]?|*[2367]) echo "$1 can be written by others than root (mode $4): refusing"; return 1 ;; esac
  [ "$2" != 700 ] || [ "$4" = 700 ] || chmod 700 "$1"
}
# file_ok OP PATH ARG: the path is one of meshctl's, its directories are safe; sets fd (PATH's directory)
file_ok() {
  case "$2$3" in *..*|*//*|*[!A-Za-z0-9@_./-]*) echo "refusing $2 $3: not a plain path"; return 1 ;; esac
  case "$1:$2" in
    put:${UNIT_DIR}/meshctl-*.service|remove:${UNIT_DIR}/meshctl-*.service|restore:${UNIT_DIR}/meshctl-*.service) fd=${UNIT_DIR} ;;
    link:${WANTS_DIR}/meshctl-*.service|remove:${WANTS_DIR}/meshctl-*.service) fd=${WANTS_DIR} ;;
    put:${BOOT_DIR}/?*@?*|remove:${BOOT_DIR}/?*@?*|restore:${BOOT_DIR}/?*@?*) fd=${BOOT_DIR} ;;
    *) echo "refusing to $1 $2: not one of meshctl's files"; return 1 ;;
  esac
  [ "\${2%/*}" = "$fd" ] || { echo "refusing $2: not directly in $fd"; return 1; }
  case "$1:$3" in put:644|put:600|remove:|restore:|link:${UNIT_DIR}/meshctl-*.service) ;; *) echo "refusing to $1 $2 $3"; return 1 ;; esac
  # Each directory is checked once per session ($okd), and again after meshctl removed it.
  case "$fd" in
    ${BOOT_DIR}) ok_dir "$fd" 700 ;;
    ${WANTS_DIR}) ok_dir ${UNIT_DIR} 755 && ok_dir "$fd" 755 ;;
    *) ok_dir "$fd" 755 ;;
  esac
}
ok_dir() { case " $okd " in *" $1 "*) return 0 ;; esac; file_dir "$1" "$2" && okd="$okd $1"; }
# skip NBYTES: reads past a payload the request does not use (none, for link, remove and restore)
skip() { [ "$1" = 0 ] || head -c "$1" >/dev/null; }
# keep PATH: a copy of the regular file at PATH in $D/saved, for \`restore\` (the first copy of a change set)
keep() {
  [ -f "$1" ] && [ ! -L "$1" ] || return 0
  [ ! -e "$D/saved/\${1##*/}" ] || return 0
  [ -d "$D/saved" ] || mkdir -m 700 "$D/saved" || return 1
  cp -p "$1" "$D/saved/\${1##*/}"
}
# run_file NBYTES: a line \`put PATH MODE\`, \`link PATH TARGET\`, \`remove PATH\` or \`restore PATH\`, then NBYTES
run_file() {
  nb=$1; IFS= read -r fl; set -f; set -- $fl; set +f
  op=\${1:-}; p=\${2:-}; a=\${3:-}
  if ! file_ok "$op" "$p" "$a"; then head -c "$nb" >/dev/null; return 1; fi
  # The new file or link is made beside PATH under a name of this driver's, then renamed over it; only
  # root can write these directories, so a name left by a killed driver is all that can be there.
  t="$fd/.meshctl.$$.new"; [ ! -e "$t" ] && [ ! -L "$t" ] || rm -f "$t"
  case "$op" in
    put)
      keep "$p" || { head -c "$nb" >/dev/null; return 1; }
      if [ "$a" = 644 ]; then umask 022; fi
      excl "$t" head -c "$nb"; r=$?; umask 077
      [ "$r" = 0 ] && mv -fT "$t" "$p" || { rm -f "$t"; return 1; } ;;
    link)
      skip "$nb"
      ln -s "$a" "$t" && mv -fT "$t" "$p" || { rm -f "$t"; return 1; } ;;
    remove)
      skip "$nb"; keep "$p" && rm -f "$p" || return 1
      [ "$fd" != ${BOOT_DIR} ] || ! rmdir "$fd" 2>/dev/null || okd= ;;
    restore)
      skip "$nb"; k="$D/saved/\${p##*/}"
      [ -f "$k" ] || return 0
      cp -p "$k" "$t" && mv -fT "$t" "$p" && rm -f "$k" || { rm -f "$t"; return 1; } ;;
  esac
}`;

/** The serve() case for `file` (request words: mode, tool, n). */
export const FILE_CASE = `        file)
          if [ "$failed" = 1 ] && [ "$mode" = run ]; then IFS= read -r l; head -c "$n" >/dev/null; echo "@@skipped"; continue; fi
          # In the driver's own shell, not a $(…) subshell, so the directories it checked stay checked ($okd);
          # what it prints goes through $D/out (read back only when there is something).
          run_file "$n" >"$D/out" 2>&1; fr=$?; out=
          [ ! -s "$D/out" ] || out=$(cat "$D/out")
          [ "$fr" = 0 ] ;;`;

const PLAIN_PATH = /^(\/[A-Za-z0-9@_.-]+)+$/;

/** Encodes one file request; a path that is not plain (it never is, being built from typed values) throws. */
export function fileRequest(c: FileCmd, mode: "run" | "force" | "check", limit: number): string {
  const words = c.op === "put" ? [c.path, c.mode] : c.op === "link" ? [c.path, c.target] : [c.path];
  for (const w of [c.path, ...(c.op === "link" ? [c.target] : [])]) {
    if (!PLAIN_PATH.test(w) || w.includes(".."))
      throw new Error(`file request: refusing a path that is not plain: ${JSON.stringify(w)}`);
  }
  const body = c.op === "put" ? c.content : "";
  return `${mode} file ${Buffer.byteLength(body)} 0 ${limit}\n${c.op} ${words.join(" ")}\n${body}`;
}
