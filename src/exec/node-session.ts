/**
 * One node's conversation with meshctl for a whole run, on one SSH channel holding the node's lock:
 *   1. open → the driver prints facts                                  (round trip 1)
 *   2. apply(changes) → all batches + a read-back, pipelined           (round trip 2)
 *   3. rollback() → the inverses of what ran, forced, + a read-back    (round trip 3, only on failure)
 * The round trips do not grow with the number of peers: a batch carries any number of commands.
 */
import { parseFacts } from "../facts/parse.js";
import { factsScript, readbackScript } from "../facts/script.js";
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import type { Change } from "../plan/change.js";
import { type Cmd, renderCmd, type ShellCmd } from "../plan/commands.js";
import {
  type BatchOutcome,
  driverScript,
  encodeBatch,
  encodeJournal,
  failedLine,
  toBatches,
} from "./driver.js";
import { NodeRunError } from "./errors.js";
import type { Connection, RemoteSession } from "./ssh/types.js";

export interface ApplyOutcome {
  /** Changes that ran completely, in order. */
  applied: Change[];
  /** The change whose command failed, with the command and the kernel's message. */
  failure?: { change: Change; command: string; message: string };
  /** Facts read back after the batches. */
  after: NodeFacts;
}

export class NodeSession {
  /** Commands sent to the node that change it (0 for a node already in sync). */
  commandsSent = 0;

  private constructor(
    readonly node: NodeModel,
    private readonly session: RemoteSession,
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
    const params = {
      device: node.device.name,
      routeProtocol: node.routeProtocol,
      localIp: node.device.localIp,
      ...(node.device.underlayDev === undefined ? {} : { underlayDev: node.device.underlayDev }),
    };
    const script = driverScript({ facts: factsScript(params), readback: readbackScript(params) });
    const session = await conn.session(script);
    if (checks.length > 0)
      session.write(checks.map((c) => encodeBatch({ tool: "sh", cmds: [c] }, "check")).join(""));
    const before = await readFacts(session, node.name, "gathering facts");
    const codes: number[] = [];
    for (const c of checks) {
      const line = await session.readLine();
      const m = /^@@rc (\d+)$/.exec(line ?? "");
      if (!m)
        throw new NodeRunError(
          node.name,
          `checking ${c.label}`,
          `unexpected reply: ${line ?? "end of stream"}`,
        );
      codes.push(Number(m[1]));
    }
    return new NodeSession(node, session, before, codes);
  }

  /** Runs the changes' commands in batches and reads the node back, in one round trip. */
  async apply(changes: readonly Change[]): Promise<ApplyOutcome> {
    const cmds: { cmd: Cmd; change: number }[] = changes.flatMap((c, i) =>
      c.forward.map((cmd) => ({ cmd, change: i })),
    );
    const batches = toBatches(cmds.map((c) => c.cmd));
    this.commandsSent += cmds.length;
    // The undo of the whole change set goes first: if this controller or its connection is lost from
    // here on, the node replays it by itself (inverses are idempotent, so undoing what never ran is harmless).
    const journal = encodeJournal([...changes].reverse().flatMap((c) => c.inverse));
    this.journaled = true;
    this.session.write(`${journal}${batches.map((b) => encodeBatch(b)).join("")}readback\n`);
    const kept = await readOutcome(this.session, this.node.name);
    if (kept.status !== "ok")
      throw new NodeRunError(this.node.name, "keeping the undo journal", "the node refused it");
    const outcomes: BatchOutcome[] = [];
    for (let i = 0; i < batches.length; i++) outcomes.push(await readOutcome(this.session, this.node.name));
    const after = this.withRestOf(await readFacts(this.session, this.node.name, "reading back"));

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
    return { applied, ...(failure ? { failure } : {}), after };
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
    this.session.write(`${batches.map((b) => encodeBatch(b, "force")).join("")}readback\n`);
    const errors: string[] = [];
    for (let i = 0; i < batches.length; i++) {
      const o = await readOutcome(this.session, this.node.name);
      if (o.status === "failed") errors.push(o.output);
    }
    const after = this.withRestOf(
      await readFacts(this.session, this.node.name, "reading back after rollback"),
    );
    return { after, errors };
  }

  /**
   * A read-back holds only what meshctl manages; the rest of the node (underlay, other links, foreign
   * routes, sysctls, UDP ports) is as the facts before the change set found it: a change set touches none of it.
   */
  private withRestOf(readback: NodeFacts): NodeFacts {
    const b = this.before;
    return {
      ...readback,
      ...(b.underlay === undefined ? {} : { underlay: b.underlay }),
      interfaces: b.interfaces,
      foreignRoutes: b.foreignRoutes,
      sysctl: b.sysctl,
      vxlanPorts: b.vxlanPorts,
      udpPorts: b.udpPorts,
    };
  }

  /** A journal is on the node: close() commits it (the run's outcome stands as reported). */
  private journaled = false;

  async close(): Promise<void> {
    this.session.write(`${this.journaled ? "commit\n" : ""}quit\n`);
    this.session.end();
    await this.session.done.catch(() => undefined);
  }
}

async function readFacts(s: RemoteSession, node: string, stage: string): Promise<NodeFacts> {
  const lines: string[] = [];
  let started = false;
  for (;;) {
    const line = await s.readLine();
    if (line === undefined) {
      const r = await s.done.catch(() => undefined);
      throw new NodeRunError(
        node,
        stage,
        `the node closed the session${r ? ` (exit ${r.code}): ${r.stderr.trim()}` : ""}`,
      );
    }
    if (line.startsWith("@@error ")) throw new NodeRunError(node, stage, line.slice(8));
    if (line === "@@facts-begin") {
      started = true;
      continue;
    }
    if (line === "@@facts-end") break;
    if (started) lines.push(line);
  }
  return parseFacts(lines.join("\n"));
}

async function readOutcome(s: RemoteSession, node: string): Promise<BatchOutcome> {
  const line = await s.readLine();
  if (line === "@@ok") return { status: "ok" };
  if (line === "@@skipped") return { status: "skipped" };
  if (line === "@@failed") {
    const out: string[] = [];
    for (;;) {
      const l = await s.readLine();
      if (l === undefined || l === "@@end") break;
      out.push(l.replace(/^\| ?/, ""));
    }
    const output = out.join("\n");
    const line = failedLine(output);
    return { status: "failed", output, ...(line === undefined ? {} : { line }) };
  }
  throw new NodeRunError(
    node,
    "applying changes",
    `unexpected reply from the node: ${line ?? "end of stream"}`,
  );
}
