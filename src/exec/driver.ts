/**
 * The node-side half of meshctl: a fixed POSIX sh program run on one long-lived SSH channel per node.
 * It takes meshctl's lock on the node, prints the node's facts, then serves requests read from stdin:
 *   `run <ip|bridge> <N>` / `force <ip|bridge> <N>` + N batch lines → runs them with `<tool> [-force] -batch -`
 *   `facts`                                                        → prints the facts again (read-back)
 * Requests after a failed `run` are read but skipped, so the controller can pipeline a whole change set
 * plus its read-back in one round trip. Inventory values reach the node only as batch lines built from
 * typed values (src/plan/commands.ts) on stdin — the script text itself is constant but for typed values.
 */
import { batchLine, type Cmd, type Tool } from "../plan/commands.js";

export const LOCK_FILE = "/run/lock/meshctl.lock";
export const LOCK_WAIT_SECONDS = 30;

export function driverScript(factsScript: string): string {
  return `set -u
export LC_ALL=C
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
command -v flock >/dev/null 2>&1 || { echo "@@error flock not found: install util-linux"; exit 3; }
mkdir -p /run/lock 2>/dev/null
exec 9>>${LOCK_FILE} || { echo "@@error cannot open ${LOCK_FILE} (not root?)"; exit 3; }
flock -w ${LOCK_WAIT_SECONDS} 9 || { echo "@@error another meshctl run holds ${LOCK_FILE}"; exit 75; }
facts() (
${factsScript}
)
emit_facts() { echo "@@facts-begin"; facts; echo "@@facts-end"; }
emit_facts
failed=0
while IFS= read -r req; do
  set -- $req
  case "\${1:-}" in
    run|force)
      mode=$1; tool=\${2:-}; n=\${3:-0}
      case "$tool" in ip|bridge) ;; *) echo "@@error bad tool"; exit 3 ;; esac
      buf=""; i=0
      while [ "$i" -lt "$n" ]; do IFS= read -r l; buf="$buf$l
"; i=$((i+1)); done
      if [ "$failed" = 1 ] && [ "$mode" = run ]; then echo "@@skipped"; continue; fi
      if [ "$mode" = force ]; then flag=-force; else flag=; fi
      if out=$(printf '%s' "$buf" | "$tool" $flag -batch - 2>&1); then echo "@@ok"
      else
        [ "$mode" = run ] && failed=1
        echo "@@failed"; printf '%s\\n' "$out" | sed 's/^/| /'; echo "@@end"
      fi ;;
    facts) emit_facts ;;
    reset) failed=0; echo "@@ok" ;;
    quit) exit 0 ;;
    *) echo "@@error bad request"; exit 3 ;;
  esac
done
`;
}

/** One batch request: consecutive commands of one tool. */
export interface Batch {
  tool: Tool;
  cmds: Cmd[];
}

/** Groups commands into batches of consecutive commands of the same tool, preserving order. */
export function toBatches(cmds: readonly Cmd[]): Batch[] {
  const out: Batch[] = [];
  for (const c of cmds) {
    const last = out[out.length - 1];
    if (last && last.tool === c.tool) last.cmds.push(c);
    else out.push({ tool: c.tool, cmds: [c] });
  }
  return out;
}

export function encodeBatch(b: Batch, force = false): string {
  return `${force ? "force" : "run"} ${b.tool} ${b.cmds.length}\n${b.cmds.map((c) => `${batchLine(c)}\n`).join("")}`;
}

export type BatchOutcome =
  | { status: "ok" }
  | { status: "skipped" }
  /** `line` = 1-based number of the failing command in the batch (from "Command failed -:N"). */
  | { status: "failed"; output: string; line?: number };

export function failedLine(output: string): number | undefined {
  const m = /Command failed -:(\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}
