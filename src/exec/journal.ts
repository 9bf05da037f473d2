/**
 * The undo journal of a change set (what the node replays by itself if the controller goes away before
 * committing): every change's inverse, last change first — less what deleting a device this change set
 * creates takes with it anyway. The kernel removes a link's addresses, neighbour and FDB entries and the
 * routes through it with the link, so on a fresh node the journal is one `link del` and the boot files'
 * removals instead of a deletion per peer entry (~10 KB less per node at 60 nodes, sent on every fresh
 * apply). The controller's own rollback still runs every inverse (src/exec/node-session.ts). Pure.
 */
import type { Change } from "../plan/change.js";
import type { BatchCmd, Cmd } from "../plan/commands.js";

const ON_LINK = new Set(["route", "neigh", "fdb", "addr"]);

/** `… del … dev NAME …` of an entry that lives on a link. */
function entryDelOn(c: BatchCmd): string | undefined {
  if (!ON_LINK.has(c.args[0] ?? "") || c.args[1] !== "del") return undefined;
  const i = c.args.indexOf("dev");
  return i > 0 ? c.args[i + 1] : undefined;
}

export function journalUndo(changes: readonly Change[]): Cmd[] {
  const undo = [...changes].reverse().flatMap((c) => c.inverse);
  // Devices this change set creates, undone by deleting them.
  const created = new Set(
    changes
      .filter((c) => c.resource === "device" && c.action === "create")
      .flatMap((c) => c.inverse)
      .filter((c): c is BatchCmd => c.tool === "ip" && c.args[0] === "link" && c.args[1] === "del")
      .map((c) => c.args[2] as string),
  );
  if (created.size === 0) return undo;
  return undo.filter((c) => {
    if (c.tool !== "ip" && c.tool !== "bridge") return true;
    const dev = entryDelOn(c);
    return dev === undefined || !created.has(dev);
  });
}
