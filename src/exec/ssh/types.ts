/**
 * The small interface the rest of meshctl sees: a Connector hands out one Connection per host; a
 * Connection runs scripts (exec) or opens a long-lived request/response channel (session).
 */
import type { SshTarget } from "../../inventory/types.js";

/** What a remote command did. A non-zero exit is a value here, not an error (use `check` to throw). */
export interface ExecResult {
  /** Exit status; null when killed by a signal (or the server sent none). */
  code: number | null;
  /** e.g. `SIGKILL` when killed by a signal. */
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the remote stdin, then EOF. Without it the remote stdin is closed at once. */
  stdin?: string | Buffer;
  /** Kill the command (SIGKILL + channel close) and throw RemoteCommandError after this long. */
  timeoutMs?: number;
  /** Throw RemoteCommandError when the exit code is not 0. */
  check?: boolean;
  /** How to name the command in errors; default: the script's first line. */
  label?: string;
}

export interface SessionOptions {
  /** How to name the session in errors; default: the script's first line. */
  label?: string;
}

/**
 * A long-lived exec channel used as a request/response pipe: the controller writes requests to the
 * remote stdin and reads replies line by line, any number of round trips on ONE channel.
 */
export interface RemoteSession {
  /** Write to the remote stdin. Ignored once the channel has closed (readLine then says undefined). */
  write(text: string | Buffer): void;
  /**
   * The next stdout line without its `\n` (a last line without `\n` is returned at EOF), or undefined at
   * EOF. With `timeoutMs`, rejects with RemoteCommandError (and kills the session) when no line came.
   */
  readLine(timeoutMs?: number): Promise<string | undefined>;
  /** Close the remote stdin (EOF). */
  end(): void;
  /** Kill the remote command and close the channel. */
  kill(): void;
  /**
   * Settles when the channel closes: exit status, stdout not consumed by readLine, all stderr. Rejects
   * with SudoError (become refused) or UnreachableError (connection lost). Never an unhandled rejection.
   */
  readonly done: Promise<ExecResult>;
}

export interface Connection {
  /** Inventory node name, for messages (its address is `target.host`). */
  readonly node: string;
  readonly target: SshTarget;
  /**
   * Run `sh -c <script>` (`sudo -n -- sh -c <script>` with become). Resolves with the result whatever the
   * exit code (unless `check`); rejects with SudoError, RemoteCommandError (timeout, could not start) or
   * UnreachableError (connection lost).
   */
  exec(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Start `script` like exec and keep its channel open as a RemoteSession. */
  session(script: string, opts?: SessionOptions): Promise<RemoteSession>;
  /** Close the connection (running channels are cut); frees the fork slot. Idempotent. */
  close(): void;
  /** Settles when the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;
}

export interface Connector {
  /**
   * Connect and log in. Waits for a free fork slot first; the slot is held until the connection closes.
   * Rejects with UnreachableError, HostKey*Error or AuthError.
   */
  connect(name: string, target: SshTarget): Promise<Connection>;
  /**
   * Whether a NEW TCP connection to the target's SSH port succeeds, the way its logins go (direct, or
   * through its jump host); no login. Optional: without it meshctl connects to host:port directly.
   */
  probe?(name: string, target: SshTarget): Promise<boolean>;
  /** Close every open connection and refuse queued/new connects. */
  closeAll(): void;
}

/** Verbose output (`-v` commands sent, `-vv` timings and whole scripts, `-vvv` SSH protocol debug). */
export interface SshLog {
  enabled(level: 1 | 2 | 3): boolean;
  line(level: 1 | 2 | 3, text: string): void;
}
