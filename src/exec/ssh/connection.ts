/**
 * One logged-in ssh2 Client per host: any number of exec channels, capped per host, on that one connection
 * (connect.ts makes it).
 */
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { ClientChannel, Client as SshClient } from "ssh2";
import type { SshTarget } from "../../inventory/types.js";
import { type Chan, type ChanEnd, runExec, runSession } from "./channel.js";
import { firstLine, RemoteCommandError, type SshError, UnreachableError } from "./errors.js";
import { remoteCommand } from "./quote.js";
import { Slots } from "./slots.js";
import type { Connection, ExecOptions, ExecResult, RemoteSession, SessionOptions, SshLog } from "./types.js";

/**
 * SSH_MSG_CHANNEL_OPEN_FAILURE reasons meaning "no more sessions": OpenSSH answers a session beyond
 * MaxSessions with reason 2 (connect failed, "open failed"); other servers use 1 (administratively prohibited).
 */
const SESSION_REFUSED = new Set([1, 2]);

export type SshErrorLike = Error & { level?: string; code?: string; reason?: number };

function sshChan(ch: ClientChannel): Chan {
  const finished = new Promise<ChanEnd>((resolve) => {
    let end: ChanEnd = { code: undefined };
    let closed = false;
    let errEnded = false;
    const maybe = (): void => {
      if (closed && errEnded) resolve(end);
    };
    ch.on("exit", (code: number | null, signal?: string) => {
      end = { code: code ?? null, ...(signal ? { signal } : {}) };
    });
    ch.on("close", () => {
      closed = true;
      maybe();
    });
    const stderrDone = (): void => {
      errEnded = true;
      maybe();
    };
    ch.stderr.once("end", stderrDone).once("close", stderrDone);
  });
  // Writes after the remote closed, etc.: the outcome is reported through `finished`.
  ch.on("error", () => undefined);
  ch.stderr.on("error", () => undefined);
  return {
    stdout: ch,
    stderr: ch.stderr,
    write: (data) => {
      ch.write(data);
    },
    end: (data) => {
      if (data === undefined) ch.end();
      else ch.end(data);
    },
    kill: () => {
      try {
        ch.signal("KILL");
      } catch {
        // not writable any more
      }
      ch.close();
    },
    finished,
  };
}

export class SshConnection implements Connection {
  readonly closed: Promise<void>;
  private readonly slots: Slots;
  private lost: SshError | undefined;
  private lastError: SshErrorLike | undefined;
  private closing = false;
  private markClosed!: () => void;

  constructor(
    readonly node: string,
    readonly target: SshTarget,
    private readonly client: SshClient,
    channelsPerHost: number,
    private readonly log?: SshLog,
  ) {
    this.slots = new Slots(channelsPerHost);
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    client.on("error", (err: SshErrorLike) => {
      this.lastError = err;
    });
    client.on("close", () => this.onClose());
  }

  private get address(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  private onClose(): void {
    if (!this.lost) {
      const e = this.lastError;
      const detail = this.closing
        ? "closed by meshctl while commands were running"
        : e?.level === "client-timeout"
          ? "no answer to keepalives (host down or network cut)"
          : e
            ? `${e.code ?? e.message}`
            : "closed by the server";
      this.lost = new UnreachableError(this.node, this.address, "lost", detail);
    }
    this.slots.fail(this.lost);
    this.markClosed();
  }

  /** A TCP stream to host:port opened by this host (a direct-tcpip channel: how a jump host is used). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
        err ? reject(err) : resolve(stream),
      );
    });
  }

  /** Whether the connection is still up. */
  get alive(): boolean {
    return !this.lost && !this.closing;
  }

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const label = opts.label ?? firstLine(script);
    return this.open(script, label).then((ch) => runExec(ch, this.context(label), opts));
  }

  session(script: string, opts: SessionOptions = {}): Promise<RemoteSession> {
    const label = opts.label ?? firstLine(script);
    return this.open(script, label).then((ch) => runSession(ch, this.context(label)));
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.client.end();
    // A peer that no longer answers never completes the TCP close: cut it after a grace period.
    const timer = setTimeout(() => this.client.destroy(), 2000);
    timer.unref();
    void this.closed.then(() => clearTimeout(timer));
  }

  private context(label: string) {
    const t = this.target;
    return {
      host: this.node,
      label,
      ...(t.become && t.user !== "root" ? { sudoUser: t.user } : {}),
      lostError: () => this.lost,
    };
  }

  /** Open an exec channel within the per-host cap; the slot is released when the channel has closed. */
  private async open(script: string, label: string): Promise<Chan> {
    const command = remoteCommand(script, this.target.become, this.target.user);
    if (this.log?.enabled(1)) {
      this.log.line(1, `${this.node}: $ ${this.log.enabled(2) ? script.trimEnd() : label}`);
    }
    for (let attempt = 0; ; attempt++) {
      if (this.lost) throw this.lost;
      const release = await this.slots.acquire();
      try {
        // Wrap the channel inside the callback: exit-status, EOF and close of a short command often arrive
        // in the same TCP read as the exec reply, and ssh2 emits them before a promise continuation runs.
        const chan = await new Promise<Chan>((resolve, reject) => {
          this.client.exec(command, (err, ch) => (err ? reject(err) : resolve(sshChan(ch))));
        });
        chan.finished.then(release);
        return chan;
      } catch (e) {
        release();
        if (this.lost) throw this.lost;
        const err = e as SshErrorLike;
        const refused = err.reason !== undefined && SESSION_REFUSED.has(err.reason);
        if (refused && attempt < 6) {
          // The server allows fewer sessions than channelsPerHost (or has not yet reaped a closed one).
          this.slots.shrink();
          await sleep(10 * 2 ** attempt);
          continue;
        }
        const why = refused
          ? `sshd refused another session channel (${err.message}); is its MaxSessions below channelsPerHost?`
          : err.message;
        throw new RemoteCommandError(this.node, label, null, "", { notStarted: why });
      }
    }
  }
}
