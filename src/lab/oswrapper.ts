/**
 * The sh wrapper that `lab up --os` binds over a node's real `ip` or `bridge`: it execs the real binary with the
 * arguments unchanged, except what the release (see osrelease.ts) did differently with respect to JSON.
 */
import type { OptSpec, OsRelease } from "./osrelease.js";

const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** sh `case` arms that resolve option $o to k=<kind>, in the release's order; unknown options leave k=unknown. */
function optionCase(options: readonly OptSpec[]): string[] {
  const lines = ["classify() {", "  k=unknown"];
  for (const s of options) {
    const kind = s.kind ?? "ok";
    // matches(opt, name): opt is a non-empty prefix of name; strcmp for the exact ones.
    const test = s.exact
      ? `[ "$1" = ${sq(s.name)} ]`
      : `case ${sq(s.name)} in "$1"*) true ;; *) false ;; esac`;
    lines.push(`  if ${test}; then k=${kind}; return; fi`);
  }
  lines.push("}");
  return lines;
}

/** sh function: `honours OBJ` succeeds when the release prints JSON for the object OBJ resolves to. */
function objectCase(objects: readonly string[], json: readonly string[]): string[] {
  const lines = ["honours() {"];
  for (const obj of objects) {
    lines.push(`  case ${sq(obj)} in "$1"*) ${json.includes(obj) ? "return 0" : "return 1"} ;; esac`);
  }
  lines.push("  return 1", "}");
  return lines;
}

/**
 * The wrapper for one tool of one release: an sh script that execs `real` with the arguments unchanged,
 * except that it refuses options the release does not know, answers -V as the release did, and drops -json
 * (plain text) for the objects the release did not print as JSON, also line by line in -batch input.
 */
export function wrapperScript(tool: "ip" | "bridge", release: OsRelease, real: string): string | undefined {
  const t = tool === "ip" ? release.ip : release.bridge;
  if (!t) return undefined;
  return [
    "#!/bin/sh",
    `# meshctl lab: ${tool} as iproute2 ${release.iproute2} (${release.description}) behaves with respect to JSON;`,
    `# every other argument goes unchanged to the real ${tool}.`,
    `REAL=${sq(real)}`,
    ...optionCase(t.options),
    ...objectCase(t.objects, t.jsonObjects),
    ...WRAPPER_BODY(sq(t.version), sq(t.help)),
  ].join("\n");
}

const WRAPPER_BODY = (version: string, help: string): string[] => [
  // Pass 1: walk the options as main() does; refuse, answer -V, or find -json, -batch and the object.
  "json=0 batch= force=0 obj= skip= opts=1 n=0",
  'for a in "$@"; do',
  "  n=$((n + 1))",
  '  if [ -n "$skip" ]; then [ "$skip" = batch ] && batch=$a && bi=$n; skip=; continue; fi',
  '  [ "$opts" = 1 ] || continue',
  "  case $a in",
  "  --) opts=0 ;;",
  '  -*) o=$a; case $o in --*) o=${o#-} ;; esac; classify "$o"',
  "    case $k in",
  `    unknown) printf 'Option "%s" is unknown, try "%s".\\n' "$o" ${help} >&2; exit 255 ;;`,
  `    version) printf '%s\\n' ${version}; exit 0 ;;`,
  "    json) json=1 ;;",
  "    value) skip=value ;;",
  "    batch) skip=batch ;;",
  "    force) force=1 ;;",
  "    esac ;;",
  "  *) opts=0; obj=$a ;;",
  "  esac",
  "done",
  'if [ "$json" = 0 ]; then exec "$REAL" "$@"; fi',
  // Pass 2: the same arguments without the -json options (the old release's own JSON is pretty-printed).
  "n=$#; i=0; opts=1; skip=",
  'while [ "$i" -lt "$n" ]; do',
  "  a=$1; shift; i=$((i + 1))",
  '  if [ -n "$skip" ]; then skip=; [ "$i" = "$bi" ] && a=-; set -- "$@" "$a"; continue; fi',
  '  if [ "$opts" = 1 ]; then',
  "    case $a in",
  "    --) opts=0 ;;",
  '    -*) o=$a; case $o in --*) o=${o#-} ;; esac; classify "$o"',
  "      case $k in json) continue ;; value|batch) skip=1 ;; esac ;;",
  "    *) opts=0 ;;",
  "    esac",
  "  fi",
  '  set -- "$@" "$a"',
  "done",
  'if [ -z "$batch" ]; then',
  '  if honours "$obj"; then exec "$REAL" -json -pretty "$@"; fi',
  '  exec "$REAL" "$@"',
  "fi",
  // -batch with -json: runs of lines whose object prints JSON go to one real process with -j, the others to
  // one without; earlier lines are blank so the real one's "Command failed -:N" keeps the line number.
  "lineclass() { set -f; set -- $1; set +f",
  '  case ${1-} in "" | "#"*) c= ;; *) if honours "$1"; then c=j; else c=t; fi ;; esac; }',
  "total=0",
  'readall() { while IFS= read -r line || [ -n "$line" ]; do total=$((total + 1)); eval "L$total=\\$line"; done; }',
  'if [ "$batch" = - ]; then readall; elif [ -r "$batch" ]; then readall < "$batch"; else',
  `  printf 'Cannot open file "%s" for reading: No such file or directory\\n' "$batch" >&2; exit 1; fi`,
  "rc=0 s=1",
  'while [ "$s" -le "$total" ]; do',
  "  cls= e=$s",
  '  while [ "$e" -le "$total" ]; do',
  '    eval "line=\\$L$e"; lineclass "$line"',
  '    if [ -n "$c" ]; then [ -z "$cls" ] && cls=$c; [ "$c" = "$cls" ] || break; fi',
  "    e=$((e + 1))",
  "  done",
  "  e=$((e - 1))",
  '  if [ -n "$cls" ]; then',
  '    { i=1; while [ "$i" -lt "$s" ]; do echo; i=$((i + 1)); done',
  '      while [ "$i" -le "$e" ]; do eval "printf \'%s\\n\' \\"\\$L$i\\""; i=$((i + 1)); done; } |',
  '      if [ "$cls" = j ]; then "$REAL" -json -pretty "$@"; else "$REAL" "$@"; fi',
  "    r=$?",
  '    if [ "$r" != 0 ]; then rc=$r; [ "$force" = 1 ] || exit "$rc"; fi',
  "  fi",
  "  s=$((e + 1))",
  "done",
  'exit "$rc"',
  "",
];
