/**
 * One ssh2 Client per host: connect (host key verified against known_hosts, key/agent auth), then any
 * number of exec channels, capped per host, on that one connection.
 */
import { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import ssh2, { type AnyAuthMethod, type ClientChannel, type ConnectConfig } from "ssh2";
import type { SshTarget } from "../../inventory/types.js";
import { authPlan } from "./auth.js";
import { type Chan, type ChanEnd, runExec, runSession } from "./channel.js";
import { AuthError, firstLine, RemoteCommandError, type SshError, UnreachableError } from "./errors.js";
import { hostKeyCheck } from "./hostkey.js";
import type { KeyStore } from "./keys.js";
import type { KnownHostsFile } from "./known-hosts.js";
import { remoteCommand } from "./quote.js";
import { effectiveTarget, type ResolvedTarget } from "./resolve.js";
import { Slots } from "./slots.js";
import type { Connection, ExecOptions, ExecResult, RemoteSession, SessionOptions, SshLog } from "./types.js";

const { Client } = ssh2;

/** ssh2's default host key algorithms (Node 20 has ed25519), reordered per host to prefer known types. */
const HOST_KEY_ALGOS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
] as const;

/** Host key algorithms with the types already in known_hosts first, as ssh(1) orders them. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const first = knownTypes.flatMap((t) =>
    t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t],
  );
  const known = HOST_KEY_ALGOS.filter((a) => first.includes(a));
  return [...known, ...HOST_KEY_ALGOS.filter((a) => !known.includes(a))];
}

/**
 * SSH_MSG_CHANNEL_OPEN_FAILURE reasons meaning "no more sessions": OpenSSH answers a session beyond
 * MaxSessions with reason 2 (connect failed, "open failed"); other servers use 1 (administratively prohibited).
 */
const SESSION_REFUSED = new Set([1, 2]);

export interface SshConnectDeps {
  /** The host's known_hosts files (checked in order; new keys go to the first). */
  knownHosts: KnownHostsFile[];
  keys: KeyStore;
  acceptNewHostKeys: boolean;
  channelsPerHost: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** ssh-agent socket, or undefined for none. */
  agentSocket: string | undefined;
  /** How long the SSH handshake and login may take once TCP is connected. */
  handshakeTimeoutMs: number;
  /** A stream to the host through a jump host (then `via` names it); undefined: dial TCP. */
  sock?: Duplex;
  via?: string;
  log?: SshLog;
}

type SshErrorLike = Error & { level?: string; code?: string; reason?: number };

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
    private readonly client: InstanceType<typeof Client>,
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

/** Connect and log in to one host (dialling TCP, or over `deps.sock` through a jump host). */
export async function connectSsh(r: ResolvedTarget, deps: SshConnectDeps): Promise<SshConnection> {
  const name = r.name;
  const address = `${r.host}:${r.port}`;
  const login = `${r.user}@${address}`;
  const auth = await authPlan(r, deps.keys, deps.agentSocket);
  if (!auth.methods.length) throw new AuthError(name, login, [], auth.problem);
  const { methods, tried } = auth;
  const hk = hostKeyCheck(name, r.hostKeyName, deps.knownHosts, deps.acceptNewHostKeys);
  const log = deps.log;
  const config: ConnectConfig = {
    username: r.user,
    readyTimeout: 0, // our own timers: TCP connect (ConnectTimeout), then the SSH login
    keepaliveInterval: deps.keepaliveIntervalMs,
    keepaliveCountMax: deps.keepaliveCountMax,
    hostVerifier: hk.verify,
    algorithms: {
      serverHostKey: hostKeyAlgorithms(hk.knownTypes) as NonNullable<
        ConnectConfig["algorithms"]
      >["serverHostKey"],
    },
    // Skip ssh2's default "none" probe (a needless round trip): offer the methods we have, in order.
    authHandler: (_left, _partial, next) => {
      const m = methods.shift();
      next((m ?? false) as AnyAuthMethod);
    },
    ...(log?.enabled(3) ? { debug: (s: string) => log.line(3, `${name}: ${s}`) } : {}),
  };
  const started = performance.now();
  let tcpMs = 0;
  let sock: Duplex;
  if (deps.sock) sock = deps.sock;
  else {
    const tcp = new Socket();
    tcp.connect({ host: r.host, port: r.port });
    tcp.setNoDelay(true);
    sock = tcp;
  }
  config.sock = sock as ConnectConfig["sock"];

  const client = new Client();
  return new Promise<SshConnection>((resolve, reject) => {
    let tcpConnected = deps.sock !== undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: SshError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
      client.end();
      sock.destroy();
    };
    const loginTimer = (): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          fail(
            new UnreachableError(
              name,
              address,
              "handshake-timeout",
              "login too slow",
              deps.handshakeTimeoutMs,
            ),
          ),
        deps.handshakeTimeoutMs,
      );
    };
    if (tcpConnected) loginTimer();
    else {
      timer = setTimeout(
        () => fail(new UnreachableError(name, address, "timeout", "connect timeout", r.connectTimeoutMs)),
        r.connectTimeoutMs,
      );
    }
    const onError = (e: SshErrorLike): void => {
      const err = classifyConnectError(e, { name, address, tcpConnected, tried, login, hostKey: hk.error() });
      if (err) fail(err);
    };
    client.on("connect", () => {
      if (!tcpConnected) {
        tcpConnected = true;
        tcpMs = performance.now() - started;
        loginTimer();
      }
    });
    client.on("error", onError);
    client.on("close", () =>
      fail(hk.error() ?? new UnreachableError(name, address, "closed", "connection closed")),
    );
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeListener("error", onError);
      const total = performance.now() - started;
      log?.line(
        2,
        `${name}: connected to ${login}${deps.via ? ` via ${deps.via}` : ""} in ${ms(total)}` +
          (deps.sock ? "" : ` (TCP ${ms(tcpMs)}, SSH login ${ms(total - tcpMs)})`),
      );
      resolve(new SshConnection(name, effectiveTarget(r), client, deps.channelsPerHost, log));
    });
    try {
      client.connect(config);
    } catch (e) {
      fail(new UnreachableError(name, address, "handshake", (e as Error).message));
    }
  });
}

const ms = (x: number): string => `${Math.round(x)} ms`;

interface ConnectContext {
  name: string;
  address: string;
  tcpConnected: boolean;
  tried: string[];
  login: string;
  hostKey: SshError | undefined;
}

/** The error a connect-time ssh2 error amounts to, or undefined when ssh2 carries on regardless. */
export function classifyConnectError(e: SshErrorLike, c: ConnectContext): SshError | undefined {
  if (c.hostKey) return c.hostKey;
  const { name, address } = c;
  const code = e.code ?? "";
  switch (e.level) {
    case "agent":
      // Not fatal: ssh2 goes on with the next method.
      c.tried.push(`(ssh-agent failed: ${e.message})`);
      return undefined;
    case "client-authentication":
      if (!/methods failed/.test(e.message)) {
        c.tried.push(`(${e.message})`); // e.g. signing failed: ssh2 goes on with the next method
        return undefined;
      }
      return new AuthError(name, c.login, c.tried);
    case "client-socket":
      if (code === "ECONNREFUSED") return new UnreachableError(name, address, "refused", code);
      if (/^E(HOST|NET)(UNREACH|DOWN)$/.test(code))
        return new UnreachableError(name, address, "no-route", code);
      if (code === "ETIMEDOUT") return new UnreachableError(name, address, "timeout", code);
      if (code === "ENOTFOUND" || code === "EAI_AGAIN")
        return new UnreachableError(name, address, "dns", code);
      return new UnreachableError(name, address, "closed", code || e.message);
    case "protocol":
      return new UnreachableError(name, address, "closed", e.message);
    default:
      return new UnreachableError(name, address, c.tcpConnected ? "handshake" : "closed", e.message);
  }
}
