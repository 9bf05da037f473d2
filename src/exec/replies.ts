/**
 * Reading the node driver's replies with a deadline on every wait: the controller never waits on a
 * channel without one. On expiry the channel is killed (the node's own limits end what it runs, and its
 * driver undoes an uncommitted change set by itself) and a `timeout` error names the stage.
 */
import { type BatchOutcome, failedLine } from "./driver.js";
import { NodeRunError } from "./errors.js";
import { RemoteCommandError } from "./ssh/errors.js";
import type { RemoteSession } from "./ssh/types.js";

/** Network round trip, sshd and the node's 2 s TERM-to-KILL grace: added to every node-side limit. */
export const REPLY_SLACK_MS = 15_000;

export class Replies {
  constructor(
    readonly session: RemoteSession,
    readonly node: string,
  ) {}

  /** The next line (undefined at end of stream), waiting at most until `deadline` (epoch ms). */
  async line(stage: string, deadline: number): Promise<string | undefined> {
    const left = deadline - Date.now();
    if (left <= 0) {
      this.session.kill();
      throw this.timedOut(stage);
    }
    try {
      return await this.session.readLine(left);
    } catch (e) {
      if (e instanceof RemoteCommandError && e.how.timedOutMs !== undefined) throw this.timedOut(stage);
      throw e;
    }
  }

  private timedOut(stage: string): NodeRunError {
    return new NodeRunError(
      this.node,
      stage,
      "no answer in time: meshctl closed the session (the node ends what it runs within its own limits and undoes an unconfirmed change set by itself)",
      "timeout",
    );
  }

  /** One request's outcome (`@@ok`, `@@skipped`, `@@failed`/`@@timeout N` + output + `@@end`). */
  async outcome(stage: string, deadline: number): Promise<BatchOutcome> {
    const line = await this.line(stage, deadline);
    if (line === "@@ok") return { status: "ok" };
    if (line === "@@skipped") return { status: "skipped" };
    const timeout = /^@@timeout (\d+)$/.exec(line ?? "");
    if (line === "@@failed" || timeout) {
      const out: string[] = [];
      for (;;) {
        const l = await this.line(stage, deadline);
        if (l === undefined || l === "@@end") break;
        out.push(l.replace(/^\| ?/, ""));
      }
      const output = out.join("\n");
      if (timeout) {
        const sec = Number(timeout[1]);
        const said = output.trim() ? `: ${output.trim()}` : "";
        return {
          status: "failed",
          output: `timed out after ${sec} s (killed on the node)${said}`,
          timedOutSec: sec,
        };
      }
      const n = failedLine(output);
      return { status: "failed", output, ...(n === undefined ? {} : { line: n }) };
    }
    throw new NodeRunError(this.node, stage, `unexpected reply from the node: ${line ?? "end of stream"}`);
  }
}

/** `ms` from now, as an epoch-ms deadline. */
export const inMs = (ms: number): number => Date.now() + ms;
