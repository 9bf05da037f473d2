/**
 * One node's conversation with meshctl for a whole run, on one SSH channel holding the node's lock:
 *   1. open → the driver prints facts                                  (round trip 1)
 *   2. apply(changes) → all batches + a read-back, pipelined           (round trip 2)
 *   3. rollback() → the inverses of what ran, forced, + a read-back    (round trip 3, only on failure)
 * The round trips do not grow with the number of peers: a batch carries any number of commands.
 */
import { MeshctlError } from "../core/errors.js";
import { parseFacts, parseReadback } from "../facts/parse.js";
import { factsScript, readbackScript } from "../facts/script.js";
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import type { Change } from "../plan/change.js";
import { type Cmd, renderCmd, type ShellCmd } from "../plan/commands.js";
import {
  type Batch,
  type BatchOutcome,
  batchLimit,
  driverScript,
  encodeBatch,
  encodeJournal,
  LOCK_WAIT_SECONDS,
  STEP_LIMIT_SECONDS,
  toBatches,
} from "./driver.js";
import { LostContactError, NodeRunError } from "./errors.js";
import { factsParamsOf } from "./facts-params.js";
import { journalUndo } from "./journal.js";
import { inMs, REPLY_SLACK_MS, Replies } from "./replies.js";
import type { Connection } from "./ssh/types.js";

/** How long the facts may take on the node, once the lock is taken. */
export const FACTS_LIMIT_MS = 60_000;
const factsDeadline = () => inMs(FACTS_LIMIT_MS + REPLY_SLACK_MS);
/** The controller's wait for one request's reply: the node's own limit, plus the slack. */
const replyDeadline = (b: Batch) => inMs(batchLimit(b) * 1000 + REPLY_SLACK_MS);
/** How long close() waits for the node to commit and quit before cutting the channel. */
const CLOSE_WAIT_MS = 10_000;

export interface ApplyOutcome {
  /** Changes that ran completely, in order. */
  applied: Change[];
  /** The change whose command failed, with the command and the kernel's message. */
  failure?: { change: Change; command: string; message: string; timedOut?: true };
  /** Facts read back after the batches. */
  after: NodeFacts;
}

/** Commit-confirmed for a change set: the node's revert window, and the new-connection check. */
export interface ConfirmOptions {
  windowSec: number;
  /** True when a NEW connection to the node's SSH port succeeds (after the read-back). */
  probe: () => Promise<boolean>;
}

export class NodeSession {
  /** Commands sent to the node that change it (0 for a node already in sync). */
  commandsSent = 0;

  private constructor(
    readonly node: NodeModel,
    private readonly replies: Replies,
    readonly before: NodeFacts,
    /** Exit codes of the playbook's shell-step checks, in the order given to open(). */
    readonly checks: number[],
  ) {}

  /** Opens the node's session; `checks` (site scripts) run under the lock right after the facts. */
  static async open(
    conn: Connection,
    node: NodeModel,
    checks: readonly ShellCmd[] = [],
  ): Promise<NodeSession> {
    const params = factsParamsOf(node);
    const script = driverScript({ facts: factsScript(params), readback: readbackScript(params) });
    const session = await conn.session(script);
    const replies = new Replies(session, node.name);
    try {
      if (checks.length > 0)
        session.write(checks.map((c) => encodeBatch({ tool: "sh", cmds: [c] }, "check")).join(""));
      const before = parseFacts(
        await readOutput(
          replies,
          "gathering facts",
          inMs(LOCK_WAIT_SECONDS * 1000 + FACTS_LIMIT_MS + REPLY_SLACK_MS),
        ),
      );
      const codes: number[] = [];
      for (const c of checks) {
        const stage = `checking ${c.label}`;
        const deadline = inMs((c.timeoutSec ?? STEP_LIMIT_SECONDS) * 1000 + REPLY_SLACK_MS);
        const line = await replies.line(stage, deadline);
        const m = /^@@rc (\d+)$/.exec(line ?? "");
        if (m) {
          codes.push(Number(m[1]));
          continue;
        }
        const t = /^@@timeout (\d+)$/.exec(line ?? "");
        if (t)
          throw new NodeRunError(
            node.name,
            stage,
            `timed out after ${t[1]} s (killed on the node)`,
            "timeout",
          );
        throw new NodeRunError(node.name, stage, `unexpected reply: ${line ?? "end of stream"}`);
      }
      return new NodeSession(node, replies, before, codes);
    } catch (e) {
      session.kill();
      throw e;
    }
  }

  /**
   * Runs the changes' commands in batches and reads the node back, in one round trip. With `confirm`, the
   * node first arms its own revert (see confirm.ts); after the read-back a new connection to its SSH port
   * must succeed before the confirm is sent. Contact lost once the change set is sent: LostContactError.
   */
  async apply(changes: readonly Change[], confirm?: ConfirmOptions): Promise<ApplyOutcome> {
    const cmds: { cmd: Cmd; change: number }[] = changes.flatMap((c, i) =>
      c.forward.map((cmd) => ({ cmd, change: i })),
    );
    const batches = toBatches(cmds.map((c) => c.cmd));
    this.commandsSent += cmds.length;
    // The undo of the whole change set goes first: if this controller or its connection is lost from
    // here on, the node replays it by itself (inverses are idempotent, so undoing what never ran is harmless).
    const journal = encodeJournal(journalUndo(changes));
    this.journaled = true;
    // Armed: the timer counts the window plus the change set's own limits until the read-back restarts it.
    const initial = confirm
      ? confirm.windowSec + batches.reduce((n, b) => n + batchLimit(b) + 2, 0) + FACTS_LIMIT_MS / 1000
      : 0;
    const arm = confirm ? `arm ${initial} ${confirm.windowSec}\n` : "";
    this.replies.session.write(`${journal}${arm}${batches.map((b) => encodeBatch(b)).join("")}readback\n`);
    if (confirm) this.armed = { windowSec: confirm.windowSec, initialSec: initial, sentAt: Date.now() };
    const outcomes: BatchOutcome[] = [];
    let after: NodeFacts;
    try {
      for (const what of ["keeping the undo journal", ...(confirm ? ["arming the revert"] : [])]) {
        const kept = await this.replies.outcome(what, inMs(REPLY_SLACK_MS));
        if (kept.status !== "ok") throw new NodeRunError(this.node.name, what, "the node refused it");
      }
      for (const b of batches)
        outcomes.push(await this.replies.outcome("applying changes", replyDeadline(b)));
      after = await this.readBack("reading back");
    } catch (e) {
      throw this.lost(e);
    }

    // Which commands ran: all of every ok batch; in the failed batch, those before the failing line.
    let ran = 0;
    let failure: ApplyOutcome["failure"];
    for (const [i, b] of batches.entries()) {
      const o = outcomes[i] as BatchOutcome;
      if (o.status === "ok") ran += b.cmds.length;
      else if (o.status === "failed") {
        const line = o.line ?? 1;
        const failedAt = cmds[ran + line - 1];
        ran += line - 1;
        if (failedAt) {
          failure = {
            change: changes[failedAt.change] as Change,
            command: renderCmd(failedAt.cmd),
            message: o.output.replace(/\n?Command failed -:\d+\s*$/, "").trim(),
            ...(o.timedOutSec === undefined ? {} : { timedOut: true }),
          };
        }
        break;
      }
    }
    // A change is applied when all its commands ran; partial when some (not all) did — only possible for
    // multi-command changes such as a device create. A change none of whose commands ran is not undone.
    const applied: Change[] = [];
    this.partial = [];
    let pos = 0;
    for (const c of changes) {
      const end = pos + c.forward.length;
      if (end <= ran) applied.push(c);
      else if (pos < ran) this.partial.push(c);
      pos = end;
    }
    if (confirm && !failure) {
      if (!(await confirm.probe())) {
        failure = {
          change: changes[changes.length - 1] as Change,
          command: `a new connection to ${this.node.ssh.host}:${this.node.ssh.port}`,
          message: "failed after the change (commit-confirmed): rolling back",
        };
      } else {
        await this.confirm();
      }
    }
    return { applied, ...(failure ? { failure } : {}), after };
  }

  /** The revert armed on the node for the change set in flight (until confirmed). */
  armed: { windowSec: number; initialSec: number; sentAt: number } | undefined;

  /** Disarms the node's revert: the change set stands. */
  private async confirm(): Promise<void> {
    this.replies.session.write("confirm\n");
    try {
      const o = await this.replies.outcome("confirming", inMs(REPLY_SLACK_MS));
      if (o.status !== "ok") throw new NodeRunError(this.node.name, "confirming", "the node refused it");
    } catch (e) {
      throw this.lost(e);
    }
    this.armed = undefined;
  }

  /** An error once a change set was sent: contact is lost; the node reverts (armed) or undoes it (EOF). */
  private lost(e: unknown): Error {
    const gone =
      e instanceof MeshctlError &&
      (e.kind === "timeout" ||
        e.kind === "unreachable" ||
        /closed the session|end of stream/.test(e.message));
    if (!gone) return e as Error;
    const why = e instanceof Error ? e.message.replace(`${this.node.name}: `, "") : String(e);
    return new LostContactError(this.node.name, why, this.armed);
  }

  /** Changes a failed apply left half-done (their inverse is run too on rollback: inverses are idempotent). */
  private partial: Change[] = [];

  /**
   * Undoes `applied` (and any half-applied change) in reverse order, forcing through errors so every
   * inverse is tried, then reads the node back. Returns the facts after.
   */
  async rollback(applied: readonly Change[]): Promise<{ after: NodeFacts; errors: string[] }> {
    const undo = [...this.partial, ...[...applied].reverse()].flatMap((c) => c.inverse);
    this.partial = [];
    const batches = toBatches(undo);
    this.commandsSent += undo.length;
    this.replies.session.write(`${batches.map((b) => encodeBatch(b, "force")).join("")}readback\n`);
    const errors: string[] = [];
    let after: NodeFacts;
    try {
      for (const b of batches) {
        const o = await this.replies.outcome("rolling back", replyDeadline(b));
        if (o.status === "failed") errors.push(o.output);
      }
      after = await this.readBack("reading back after rollback");
    } catch (e) {
      throw this.lost(e);
    }
    // Back at the state the node was reached in: its own revert is no longer needed.
    if (this.armed) await this.confirm();
    return { after, errors };
  }

  /**
   * A read-back holds only what meshctl manages; the rest of the node (the sections a read-back does not
   * print) is as the facts before the change set found it: a change set touches none of it.
   */
  private async readBack(stage: string): Promise<NodeFacts> {
    return parseReadback(await readOutput(this.replies, stage, factsDeadline()), this.before);
  }

  /** A journal is on the node: close() commits it (the run's outcome stands as reported). */
  private journaled = false;

  /** Commits and quits; a node that does not end its session in CLOSE_WAIT_MS is cut off. */
  async close(): Promise<void> {
    const s = this.replies.session;
    s.write(`${this.journaled ? "commit\n" : ""}quit\n`);
    s.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => {
      timer = setTimeout(r, CLOSE_WAIT_MS);
    });
    await Promise.race([s.done.catch(() => undefined), late]);
    clearTimeout(timer);
    s.kill();
  }
}

/** The text between the driver's `@@facts-begin` and `@@facts-end` (facts or a read-back). */
async function readOutput(r: Replies, stage: string, deadline: number): Promise<string> {
  const lines: string[] = [];
  let started = false;
  for (;;) {
    const line = await r.line(stage, deadline);
    if (line === undefined) {
      const end = await r.session.done.catch(() => undefined);
      throw new NodeRunError(
        r.node,
        stage,
        `the node closed the session${end ? ` (exit ${end.code}): ${end.stderr.trim()}` : ""}`,
      );
    }
    if (line.startsWith("@@error ")) throw new NodeRunError(r.node, stage, line.slice(8));
    if (line === "@@facts-begin") {
      started = true;
      continue;
    }
    if (line === "@@facts-end") break;
    if (started) lines.push(line);
  }
  return lines.join("\n");
}
