/**
 * What exec and session do with a running remote (or local) command, independent of ssh2: collect output,
 * feed stdin, time out, and turn the end of the command into an ExecResult or a typed error.
 */
import type { Readable } from "node:stream";
import { RemoteCommandError, SudoError, stderrTail } from "./errors.js";
import { LineQueue } from "./lines.js";
import { sudoRefusal } from "./quote.js";
import type { ExecOptions, ExecResult, RemoteSession } from "./types.js";

/** How the command ended. `code` undefined: the channel was cut without an exit status. */
export interface ChanEnd {
  code: number | null | undefined;
  signal?: string;
}

/** A started command: an ssh2 exec channel or a child process, seen the same way. */
export interface Chan {
  readonly stdout: Readable;
  readonly stderr: Readable;
  write(data: string | Buffer): void;
  end(data?: string | Buffer): void;
  /** Kill the command and close the channel; `finished` settles soon after. */
  kill(): void;
  /** Settles (never rejects) once the command is over and stdout and stderr have ended. */
  readonly finished: Promise<ChanEnd>;
}

export interface ChanContext {
  host: string;
  label: string;
  /** The login user when the command runs through `sudo -n` (to recognise sudo refusing). */
  sudoUser?: string;
  /** Why the connection is gone, if it is (channels cut without exit status then fail with this). */
  lostError(): Error | undefined;
}

function collect(stream: Readable): () => string {
  const parts: Buffer[] = [];
  stream.on("data", (b: Buffer) => parts.push(b));
  return () => Buffer.concat(parts).toString("utf8");
}

/** The result of a finished command, or the typed error it amounts to. */
function settle(ctx: ChanContext, end: ChanEnd, stdout: string, stderr: string): ExecResult {
  if (end.code === undefined) {
    const lost = ctx.lostError();
    if (lost) throw lost;
  }
  const code = end.code ?? null;
  if (ctx.sudoUser !== undefined) {
    const says = sudoRefusal(code, stderr);
    if (says) throw new SudoError(ctx.host, ctx.sudoUser, says);
  }
  return { code, ...(end.signal ? { signal: end.signal } : {}), stdout, stderr };
}

export function runExec(ch: Chan, ctx: ChanContext, opts: ExecOptions = {}): Promise<ExecResult> {
  const stdout = collect(ch.stdout);
  const stderr = collect(ch.stderr);
  ch.end(opts.stdin);
  return new Promise<ExecResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      const ms = opts.timeoutMs;
      timer = setTimeout(() => {
        ch.kill();
        reject(new RemoteCommandError(ctx.host, ctx.label, null, stderrTail(stderr()), { timedOutMs: ms }));
      }, ms);
    }
    ch.finished.then((end) => {
      clearTimeout(timer);
      try {
        const r = settle(ctx, end, stdout(), stderr());
        if (opts.check && r.code !== 0) {
          throw new RemoteCommandError(ctx.host, ctx.label, r.code, stderrTail(r.stderr), {
            ...(r.signal ? { signal: r.signal } : {}),
          });
        }
        resolve(r);
      } catch (err) {
        reject(err);
      }
    });
  });
}

export function runSession(ch: Chan, ctx: ChanContext): RemoteSession {
  const lines = new LineQueue();
  ch.stdout.on("data", (b: Buffer) => lines.push(b));
  ch.stdout.on("end", () => lines.end());
  const stderr = collect(ch.stderr);
  let open = true;
  let timedOut: RemoteCommandError | undefined;

  const done = ch.finished.then((end) => {
    open = false;
    lines.end();
    if (timedOut) throw timedOut;
    return settle(ctx, end, lines.rest(), stderr());
  });
  // The caller may never await `done` (e.g. after a failed readLine): never an unhandled rejection.
  done.catch(() => undefined);

  return {
    write(text) {
      if (open) ch.write(text);
    },
    end() {
      if (open) ch.end();
    },
    kill() {
      if (open) ch.kill();
    },
    done,
    readLine(timeoutMs) {
      // A line already here (most are: a chunk brings many) needs no deadline, and no timer: one per line
      // cost ~40 ms of a 60-node diff's CPU (the facts are ~300 lines a node).
      if (timeoutMs === undefined || lines.hasLine || lines.isEnded) return lines.next();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          lines.cancel(waiter);
          timedOut = new RemoteCommandError(ctx.host, ctx.label, null, stderrTail(stderr()), {
            timedOutMs: timeoutMs,
          });
          if (open) ch.kill();
          reject(timedOut);
        }, timeoutMs);
        const waiter = (line: string | undefined): void => {
          clearTimeout(timer);
          resolve(line);
        };
        lines.wait(waiter);
      });
    },
  };
}
