import type { Cmd } from "./commands.js";

export type Resource =
  | "device"
  | "address"
  | "mac"
  | "mtu"
  | "link-state"
  | "fdb"
  | "neighbour"
  | "route"
  | "ippool"
  | "shell"
  | "persist";
export type Action = "create" | "update" | "delete" | "recreate";

/**
 * One difference between desired and actual state, with the commands that fix it and the commands that
 * undo the fix. Rollback is data: the inverses of the changes a run made, in reverse order.
 */
/** What every change has, whatever it is applied with. */
export interface ChangeBase {
  resource: Resource;
  /** What the change is about, e.g. a route's destination, a peer's MAC. */
  key: string;
  action: Action;
  before?: string;
  after?: string;
  /** Destroys state (device recreate, deleting entries meshctl no longer wants). */
  destructive?: boolean;
}

/** A change on a node, applied with `ip`/`bridge` batches. */
export interface Change extends ChangeBase {
  /**
   * Which batch the commands go in. Phases run in order: device (links) → prune (stale routes and
   * neighbours) → fdb → program (neighbours, routes). FDB before neighbour before route (Flannel's
   * order), so the kernel never has to resolve a next hop it cannot reach.
   */
  phase: Phase;
  /**
   * A mode switch across nodes (make-before-break, #14), applied after every node's earlier stages:
   * `switch` — a route moved onto the tunnel, once every peer's device can take it; `retire` — tunnel
   * entries and the device no path uses any more, once no peer still sends through it. Unset: first.
   */
  stage?: "switch" | "retire";
  forward: Cmd[];
  inverse: Cmd[];
}

/** `site`: a playbook's shell step, run where the playbook puts it; `persist`: the boot files (src/plan/persist-diff.ts). */
export type Phase = "device" | "prune" | "fdb" | "program" | "site" | "persist";

export const changeSymbol = (a: Action): string =>
  a === "create" ? "+" : a === "delete" ? "-" : a === "recreate" ? "!" : "~";
