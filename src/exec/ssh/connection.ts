/**
 * One ssh2 Client per host: connect (host key verified against known_hosts, key/agent auth), then any
 * number of exec channels, capped per host, on that one connection.
 */
import { setTimeout as sleep } from "node:timers/promises";
import ssh2, { type AnyAuthMethod, type ClientChannel, type ConnectConfig } from "ssh2";
import type { SshTarget } from "../../inventory/types.js";
import { type Chan, type ChanEnd, runExec, runSession } from "./channel.js";
import {
  AuthError,
  firstLine,
  HostKeyMismatchError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  KnownHostsWriteError,
  RemoteCommandError,
  type SshError,
  UnreachableError,
} from "./errors.js";
import type { KeyStore } from "./keys.js";
import { fingerprint, hostKeyName, type KnownHostsFile, keyTypeOf, knownKeyTypes } from "./known-hosts.js";
import { remoteCommand } from "./quote.js";
import { Slots } from "./slots.js";
import type { Connection, ExecOptions, ExecResult, RemoteSession, SessionOptions } from "./types.js";

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
  knownHosts: KnownHostsFile;
  keys: KeyStore;
  acceptNewHostKeys: boolean;
  channelsPerHost: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** ssh-agent socket, or undefined for none. */
  agentSocket: string | undefined;
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

/** Connect and log in to one host. */
export async function connectSsh(
  name: string,
  target: SshTarget,
  deps: SshConnectDeps,
): Promise<SshConnection> {
  const address = `${target.host}:${target.port}`;
  const login = `${target.user}@${address}`;
  const lookup = hostKeyName(target.host, target.port);
  const kh = deps.knownHosts;

  // Authentication methods, in the order tried: the identity file, then the agent.
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  let keyProblem: string | undefined;
  if (target.identityFile) {
    const k = await deps.keys.load(target.identityFile);
    if (k.ok) methods.push({ type: "publickey", username: target.user, key: k.key });
    else keyProblem = k.reason;
    tried.push(k.ok ? `key ${k.path} (${k.fingerprint})` : `no key (${k.reason})`);
  }
  if (deps.agentSocket) {
    methods.push({ type: "agent", username: target.user, agent: deps.agentSocket });
    tried.push("the keys in ssh-agent");
  }
  if (!methods.length) {
    throw new AuthError(
      name,
      login,
      [],
      keyProblem ?? "no identity file configured and no ssh-agent (SSH_AUTH_SOCK is not set)",
    );
  }

  let hostKeyError: SshError | undefined;
  const verifyHostKey = (key: Buffer, verify: (ok: boolean) => void): void => {
    const v = kh.check(lookup, key);
    const type = keyTypeOf(key) ?? "unknown";
    const fp = fingerprint(key);
    switch (v.kind) {
      case "ok":
        verify(true);
        return;
      case "revoked":
        hostKeyError = new HostKeyRevokedError(name, lookup, type, fp, kh.path, v.entry.line);
        verify(false);
        return;
      case "mismatch":
        hostKeyError = new HostKeyMismatchError(name, lookup, type, fp, kh.path, v.entry.line);
        verify(false);
        return;
      case "unknown":
        if (!deps.acceptNewHostKeys) {
          hostKeyError = new HostKeyUnknownError(name, lookup, type, fp, kh.path);
          verify(false);
          return;
        }
        kh.append(lookup, key).then(
          () => verify(true),
          (err: NodeJS.ErrnoException) => {
            hostKeyError = new KnownHostsWriteError(name, kh.path, err.code ?? err.message);
            verify(false);
          },
        );
        return;
    }
  };

  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    readyTimeout: target.connectTimeoutMs,
    keepaliveInterval: deps.keepaliveIntervalMs,
    keepaliveCountMax: deps.keepaliveCountMax,
    hostVerifier: verifyHostKey,
    algorithms: {
      serverHostKey: hostKeyAlgorithms(knownKeyTypes(kh.entries, lookup)) as NonNullable<
        ConnectConfig["algorithms"]
      >["serverHostKey"],
    },
    // Skip ssh2's default "none" probe (a needless round trip): offer the methods we have, in order.
    authHandler: (_left, _partial, next) => {
      const m = methods.shift();
      next((m ?? false) as AnyAuthMethod);
    },
  };

  const client = new Client();
  return new Promise<SshConnection>((resolve, reject) => {
    let tcpConnected = false;
    let settled = false;
    const fail = (err: SshError): void => {
      if (settled) return;
      settled = true;
      reject(err);
      client.end();
    };
    /** The error a connect-time ssh2 error amounts to, or undefined when ssh2 carries on regardless. */
    const classify = (e: SshErrorLike): SshError | undefined => {
      if (hostKeyError) return hostKeyError;
      const code = e.code ?? "";
      const t = target.connectTimeoutMs;
      switch (e.level) {
        case "agent":
          // Not fatal: ssh2 goes on with the next method.
          tried.push(`(ssh-agent failed: ${e.message})`);
          return undefined;
        case "client-authentication":
          if (!/methods failed/.test(e.message)) {
            tried.push(`(${e.message})`); // e.g. signing failed: ssh2 goes on with the next method
            return undefined;
          }
          return new AuthError(name, login, tried);
        case "client-timeout":
          return new UnreachableError(
            name,
            address,
            tcpConnected ? "handshake-timeout" : "timeout",
            e.message,
            t,
          );
        case "client-socket":
          if (code === "ECONNREFUSED") return new UnreachableError(name, address, "refused", code);
          if (/^E(HOST|NET)(UNREACH|DOWN)$/.test(code))
            return new UnreachableError(name, address, "no-route", code);
          if (code === "ETIMEDOUT") return new UnreachableError(name, address, "timeout", code, t);
          if (code === "ENOTFOUND" || code === "EAI_AGAIN")
            return new UnreachableError(name, address, "dns", code);
          return new UnreachableError(name, address, "closed", code || e.message);
        case "protocol":
          return new UnreachableError(name, address, "closed", e.message);
        default:
          return new UnreachableError(name, address, "handshake", e.message);
      }
    };
    const onError = (e: SshErrorLike): void => {
      const err = classify(e);
      if (err) fail(err);
    };
    client.on("connect", () => {
      tcpConnected = true;
    });
    client.on("error", onError);
    client.on("close", () =>
      fail(hostKeyError ?? new UnreachableError(name, address, "closed", "connection closed")),
    );
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      client.removeListener("error", onError);
      resolve(new SshConnection(name, target, client, deps.channelsPerHost));
    });
    try {
      client.connect(config);
      client.setNoDelay(true);
    } catch (e) {
      fail(new UnreachableError(name, address, "handshake", (e as Error).message));
    }
  });
}
