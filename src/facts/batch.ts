/**
 * Every `ip` read of a facts script in ONE `ip -batch` process, on every iproute2 meshctl supports (#11):
 * what differs between versions is a capability of the node (shell variables set on the node), not a
 * second script. The script builds the batch (`queue NAME 'args'`), runs `ip $ipo -batch -` once, and prints
 *
 *   @@ip-batch <names…>     JSON (iproute2 ≥ 5.5, `ipo='-d -j'`): one JSON array per name, in order
 *   @@ip-text <names…>      plain text (older, `ipo=-d`): each section's text, separated by the output of
 *                           TEXT_SEPARATOR (plain-text batch output has no delimiters of its own)
 *   @@ip-stderr             before them: whatever ip wrote on stderr (nothing when all went well)
 *   @@ip-status <rc>        ip's exit status
 *
 * stderr is kept apart from the captured stdout (`2>&3`, fd 3 the script's own output): ip's stdout into
 * a pipe is block-buffered (flushed at exit, and by some print functions) while stderr is not, so `2>&1`
 * could put an error message ahead of, or inside, the sections' output.
 *
 * iproute2 before 4.13 (`iproute2-ss` < 170905: CentOS 7's 4.11) `exit()`s at the end of `ip route show`,
 * even in a batch (fixed by iproute2 commit 2f406f2d, "ip route: replace exits with returns", in 4.13):
 * there the batch takes every other read and ONE route listing, last; the other route listings run as
 * `ip -d route show …` processes of their own (`$caps_rb` empty: a capability of the node, detected
 * from `ip -V` with the mode, src/facts/caps.ts).
 */
import type { FactsScriptParams, FactsSection, SectionCommand } from "./sections/types.js";

/**
 * The separator command of a plain-text batch. `ip route get 127.0.0.1` prints (4.11 to 6.4 read here;
 * `table` and `uid` depend on the kernel):
 *   local 127.0.0.1 dev lo table main src 127.0.0.1 uid 0
 *       cache <local>
 * No section prints that: link listings print `N: name: <…>` blocks, neighbour lines start with their
 * address, route listings print routes of meshctl's protocol (never 2, kernel: refused by the inventory)
 * or of the main table, and a listed local route would carry `scope host`; none prints a `cache` line.
 */
export const TEXT_SEPARATOR = "route get 127.0.0.1";

/** The separator's first line; the indented lines right after it (`cache …`) belong to it too. */
export const SEPARATOR_LINE =
  /^local 127\.0\.0\.1 dev lo (?:table [a-z0-9]+ )?src 127\.0\.0\.1(?: uid \d+)? *$/;

/** Sets the batch's options from the node's mode. */
export const BATCH_CAPS = `if [ "$caps_mode" = json ]; then ipo='-d -j' bo=-j hdr=ip-batch sep=
else ipo=-d bo= hdr=ip-text sep='${TEXT_SEPARATOR}'; fi`;

/**
 * `queue NAME ARGS`: one more read in the batch (after a separator in text mode). `queue_route`: a route listing,
 * which joins the batch unless one already did on a version where it ends the batch.
 */
const BATCH_FNS = `n=; b=; rl=; qn=0; hk=; hm=0
queue() { [ -z "$n" ] || [ -z "$sep" ] || b="$b$sep
"; n="$n $1"; b="$b$2
"; qn=$((qn+1)); }
queue_route() { if [ -n "$rl" ] && [ -z "\${caps_rb-}" ]; then printf '\\n@@%s\\n' "$1"; ip $ipo $2 2>&1; else rl=1; queue "$1" "$2"; fi; }`;

// ip's stderr goes straight to the output under @@ip-stderr while its stdout is captured (for `ifnames`,
// which reads the link names of the sections marked `names`, `$hk`, for the sysctl section);
// the brace group's redirection forks nothing, and the command substitution execs ip: one process.
const RUN = `if [ -n "$n" ]; then
printf '\\n@@ip-stderr\\n'
{ o=$(ip $ipo -batch - 2>&3 3>&- <<EOF
$b
EOF
); rc=$?; } 3>&1
printf '\\n@@ip-status %s\\n\\n@@%s%s\\n%s\\n' "$rc" "$hdr" "$n" "$o"
[ -z "$hk" ] || ifnames "$o"
fi`;

export const GUARD = { device: '[ -n "$has" ]', underlay: '[ -n "$hasu" ]' } as const;
export const header = (name: string) => `printf '\\n@@${name}\\n'`;

type ToolCommand = Extract<SectionCommand, { tool: string }>;
const isIpRead = (c: SectionCommand): c is ToolCommand => "tool" in c && c.tool === "ip";
const isRouteList = (c: ToolCommand) => c.args.startsWith("route ");

/** A guarded command runs only when its interface exists; else the section is an empty list. */
function guarded(name: string, c: ToolCommand, run: string): string {
  return c.when === undefined ? run : `if ${GUARD[c.when]}; then ${run}; else ${header(name)}; echo '[]'; fi`;
}

/**
 * The shell that reads every `ip` section of `list` in one `ip -batch` process (route listings last),
 * whatever the node's mode. Every value in `args` is a typed name, address or number: no quote can occur.
 */
export function ipBatch(list: readonly FactsSection[], p: FactsScriptParams): string {
  const reads = list.flatMap((s) => {
    const c = s.command(p);
    return isIpRead(c) ? [{ name: s.name, c }] : [];
  });
  const ordered = [...reads.filter((r) => !isRouteList(r.c)), ...reads.filter((r) => isRouteList(r.c))];
  const adds = ordered.map(({ name, c }) =>
    guarded(
      name,
      c,
      isRouteList(c)
        ? `queue_route ${name} '${c.args}'`
        : `queue ${name} '${c.args}'${c.names ? '; hk="$hk $qn"; hm=$qn' : ""}`,
    ),
  );
  return [BATCH_CAPS, BATCH_FNS, ...adds, RUN].join("\n");
}

/** A section that is not an `ip` read, as its own process (bridge) or shell built-ins. */
export function notIp(s: FactsSection, p: FactsScriptParams): string | undefined {
  const c = s.command(p);
  if ("sh" in c) return `${header(s.name)}\n${c.sh}`;
  if (c.tool === "ip") return undefined;
  const run = `bridge $bo ${c.args} 2>&1`;
  return `${header(s.name)}\n${c.when === undefined ? run : `if ${GUARD[c.when]}; then ${run}; else echo '[]'; fi`}`;
}
