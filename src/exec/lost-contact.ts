/**
 * After contact with a node was lost once a change set had been sent: the node undoes the change set by
 * itself (its commit-confirmed timer, or its driver at end of input); meshctl waits for that, then checks it
 * over a NEW connection and says what happened — never "0 planned … end of stream".
 */
import type { NodeFacts } from "../facts/types.js";
import type { LostContactError } from "./errors.js";

/** Between two attempts to reach the node again. */
const RETRY_MS = 3_000;
/** Without commit-confirmed, how long the node may take to notice the cut and undo (sshd, keepalives). */
const UNARMED_WAIT_MS = 60_000;

export interface RevertCheck {
  restored: boolean;
  /** One line for the recap: what the node did. */
  detail: string;
  /** The node's error line. */
  error: string;
}

/**
 * Polls the node over new connections (`reopen`: connect, read facts, close) until its managed state is
 * back at `before` (`same`), or the node's revert deadline (plus margin) has passed.
 */
export async function checkRevert(
  lost: LostContactError,
  before: NodeFacts,
  reopen: () => Promise<NodeFacts>,
  same: (a: NodeFacts, b: NodeFacts) => boolean,
  onWait: (text: string) => void = () => undefined,
): Promise<RevertCheck> {
  const armed = lost.armed;
  const giveUp = armed ? armed.sentAt + armed.initialSec * 1000 + 30_000 : Date.now() + UNARMED_WAIT_MS;
  const by = armed ? `within ${armed.windowSec} s (commit-confirmed)` : "when its session ends";
  onWait(`lost contact: waiting for the node to revert ${by}`);
  let last = "";
  for (;;) {
    try {
      const now = await reopen();
      if (same(before, now)) {
        return {
          restored: true,
          detail: `reverted by the node ${by}: back at its prior state (checked over a new connection)`,
          error: `lost contact after the change; reverted by the node (${lost.why})`,
        };
      }
      last = "it answers again but still differs from its prior state";
    } catch (e) {
      last = `no new session: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (Date.now() + RETRY_MS > giveUp) break;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
  return {
    restored: false,
    detail: `the node should have reverted the change set ${by}, but ${last}`,
    error: `lost contact after the change (${lost.why}); could not confirm the node reverted it`,
  };
}
