/**
 * The `persist` section: meshctl's boot persistence on the node (src/plan/persist.ts) — whether systemd
 * is there, its unit, the unit's enablement link and every file the unit replays, with their contents.
 * Shell built-ins only (no process): the contents are read line by line by `read`.
 *   systemd 1|0                 /run/systemd/system is a directory, or systemctl is on the PATH
 *   @ unit|wants|boot STATE PATH   STATE: file, link (wants: ours = a link to the unit), other, absent
 *   |LINE                       a line of the file above
 *   ~LINE                       its last line, when that has no newline
 */

import { FactsParseError, preview } from "../errors.js";
import { bootFilePrefix, unitPath, wantsPath } from "../persist-paths.js";
import type { PersistFacts, PersistFileFact } from "../types.js";
import type { FactsSection } from "./types.js";

// No command substitution (each would fork): `st` sets $s.
const PERSIST_SH = (
  unit: string,
  wants: string,
  prefix: string,
) => `st() { if [ -L "$1" ]; then s=link; elif [ -f "$1" ]; then s=file; elif [ -e "$1" ]; then s=other; else s=absent; fi; }
body() { [ -f "$1" ] && [ ! -L "$1" ] || return 0; l=; while IFS= read -r l; do printf '|%s\\n' "$l"; done <"$1" 2>/dev/null; [ -z "$l" ] || printf '~%s\\n' "$l"; }
if [ -d /run/systemd/system ] || command -v systemctl >/dev/null 2>&1; then echo 'systemd 1'; else echo 'systemd 0'; fi
st '${unit}'; echo "@ unit $s ${unit}"; body '${unit}'
st '${wants}'; [ "$s" = link ] && [ '${wants}' -ef '${unit}' ] && s=ours; echo "@ wants $s ${wants}"
for f in '${prefix}'*; do [ -e "$f" ] || [ -L "$f" ] || continue; st "$f"; echo "@ boot $s $f"; body "$f"; done`;

const ENTRY = /^@ (unit|wants|boot) (file|link|ours|other|absent) (\/\S+)$/;

export function parsePersist(text: string): PersistFacts {
  const out: PersistFacts = { systemd: false, files: [] };
  let current: { fact: PersistFileFact; lines: string[]; partial?: string } | undefined;
  const close = () => {
    if (current && current.fact.kind === "file")
      current.fact.content = current.lines.map((l) => `${l}\n`).join("") + (current.partial ?? "");
    current = undefined;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("|") || line.startsWith("~")) {
      if (!current || current.partial !== undefined)
        throw new FactsParseError("persist", `file content outside a file: ${preview(line)}`);
      if (line.startsWith("|")) current.lines.push(line.slice(1));
      else current.partial = line.slice(1);
      continue;
    }
    close();
    const s = /^systemd ([01])$/.exec(line);
    if (s) {
      out.systemd = s[1] === "1";
      continue;
    }
    const m = ENTRY.exec(line);
    if (!m) throw new FactsParseError("persist", `unexpected line ${preview(line)}`);
    const [, role, state, path] = m as unknown as [string, string, string, string];
    if (role === "wants") {
      out.wants = state === "absent" ? undefined : { path, kind: state as "ours" | "link" | "other" };
      if (out.wants === undefined) delete out.wants;
      continue;
    }
    if (state === "absent") continue;
    const fact: PersistFileFact = { path, kind: state as PersistFileFact["kind"] };
    if (role === "unit") out.unit = fact;
    else out.files.push(fact);
    current = { fact, lines: [] };
  }
  close();
  return out;
}

export const persistSection: FactsSection = {
  name: "persist",
  command: (p) => ({ sh: PERSIST_SH(unitPath(p.device), wantsPath(p.device), bootFilePrefix(p.device)) }),
  parse(text, d) {
    d.persist = parsePersist(text);
  },
  readback: true,
  // Output captured before the section existed still parses (persist stays unset).
  optional: true,
  fields: ["persist"],
};
