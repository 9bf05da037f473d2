/**
 * The `persist` section: meshctl's boot persistence on the node (src/plan/persist.ts) — whether systemd
 * is there, its unit, the unit's enablement link and every file the unit replays, each regular file with
 * the SHA-256 of its bytes. The text itself is not printed (it grows with the mesh: every peer's entries);
 * a rewrite or removal keeps a copy on the node for its undo (src/exec/driver-files.ts). One process
 * (`sha256sum`, coreutils), and only when there is a regular file to hash.
 *   systemd 1|0                    /run/systemd/system is a directory, or systemctl is on the PATH
 *   @ unit|wants|boot STATE PATH   STATE: file, link (wants: ours = a link to the unit), other, absent
 *   HEX  PATH                      `sha256sum`'s line for each regular file above
 */

import { FactsParseError, preview } from "../errors.js";
import { BOOT_DIR, bootFilePrefix, unitPath, wantsPath } from "../persist-paths.js";
import type { PersistFacts, PersistFileFact } from "../types.js";
import type { FactsSection } from "./types.js";

// No command substitution (each would fork): `st` sets $s; the regular files are collected in "$@".
const PERSIST_SH = (
  unit: string,
  wants: string,
  prefix: string,
) => `st() { if [ -L "$1" ]; then s=link; elif [ -f "$1" ]; then s=file; elif [ -e "$1" ]; then s=other; else s=absent; fi; }
if [ -d /run/systemd/system ] || command -v systemctl >/dev/null 2>&1; then echo 'systemd 1'; else echo 'systemd 0'; fi
set --
st '${unit}'; echo "@ unit $s ${unit}"; [ "$s" != file ] || set -- '${unit}'
st '${wants}'; [ "$s" = link ] && [ '${wants}' -ef '${unit}' ] && s=ours; echo "@ wants $s ${wants}"
for f in '${prefix}'*; do [ -e "$f" ] || [ -L "$f" ] || continue; st "$f"; echo "@ boot $s $f"; [ "$s" != file ] || set -- "$@" "$f"; done
[ "$#" = 0 ] || sha256sum -- "$@" 2>&1`;

const ENTRY = /^@ (unit|wants|boot) (file|link|ours|other|absent) (\/\S+)$/;
const HASH = /^([0-9a-f]{64}) [ *](\/\S+)$/;
/** An entry whose path has blanks in it: not a name meshctl writes. */
const ODD_NAME = /^@ (?:unit|wants|boot) (?:file|link|ours|other|absent) (\/.*\s.*)$/;

export function parsePersist(text: string): PersistFacts {
  const out: PersistFacts = { systemd: false, files: [] };
  const hashes = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const h = HASH.exec(line);
    if (h) {
      hashes.set(h[2] as string, h[1] as string);
      continue;
    }
    const s = /^systemd ([01])$/.exec(line);
    if (s) {
      out.systemd = s[1] === "1";
      continue;
    }
    const m = ENTRY.exec(line);
    const odd = m ? undefined : ODD_NAME.exec(line);
    if (odd) {
      // A name the glob matched that meshctl never writes (a space in it: a copy someone made by hand).
      throw new FactsParseError(
        "persist",
        `${preview(odd[1] as string)} is named like meshctl's boot files but is not one (meshctl writes <device>@<n>.ip and .bridge, plain names only): move it out of ${BOOT_DIR}`,
      );
    }
    if (!m) throw new FactsParseError("persist", `unexpected line ${preview(line)}`);
    const [, role, state, path] = m as unknown as [string, string, string, string];
    if (role === "wants") {
      if (state !== "absent") out.wants = { path, kind: state as "ours" | "link" | "other" };
      continue;
    }
    if (state === "absent") continue;
    const fact: PersistFileFact = { path, kind: state as PersistFileFact["kind"] };
    if (role === "unit") out.unit = fact;
    else out.files.push(fact);
  }
  for (const f of [...(out.unit ? [out.unit] : []), ...out.files]) {
    if (f.kind !== "file") continue;
    const h = hashes.get(f.path);
    if (h === undefined)
      throw new FactsParseError("persist", `no SHA-256 of ${f.path} (sha256sum, from coreutils, is needed)`);
    f.sha256 = h;
  }
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
