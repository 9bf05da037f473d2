/**
 * createSshConnector: the SSH edge of meshctl. One ssh2 Client per host per run, at most `forks`
 * connections open at once, at most `channelsPerHost` channels per connection, host keys verified, the
 * OpenSSH client config honoured, ONE shared connection per jump host, transient failures retried.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { MeshctlError } from "../../core/errors.js";
import type { SshTarget } from "../../inventory/types.js";
import { PROBE_TIMEOUT_MS, probeTcp } from "../confirm.js";
import { EMPTY_SSH_CONFIG, type SshConfig } from "./config.js";
import { connectSsh } from "./connect.js";
import type { SshConnection } from "./connection.js";
import { isTransient, JumpError, SshError, UnreachableError } from "./errors.js";
import { KeyStore } from "./keys.js";
import { type KnownHostsFile, KnownHostsStore } from "./known-hosts.js";
import { connectionKey, type ResolvedTarget, resolveTarget } from "./resolve.js";
import type { Connection, Connector, SshLog } from "./types.js";

export interface SshConnectorOptions {
  /**
   * Global cap on open connections. A fork is taken when connect() starts and given back when the
   * connection closes, so a caller that keeps more than `forks` connections open at once waits forever:
   * do each host's work inside one task (connect → … → close), as Ansible's forks do. Jump host
   * connections are shared and not counted.
   */
  forks: number;
  /** Channels (exec/session) at once per connection; default 8, below OpenSSH's MaxSessions 10. */
  channelsPerHost?: number;
  /** Append unknown host keys to known_hosts instead of refusing (a changed key is always refused). */
  acceptNewHostKeys?: boolean;
  /** Environment variable holding the passphrase of an encrypted identity file; default MESHCTL_SSH_PASSPHRASE. */
  passphraseEnv?: string;
  /** Keepalive interval; default 5000 ms (ServerAliveInterval wins). Lost after `keepaliveCountMax` misses. */
  keepaliveIntervalMs?: number;
  /** Default 3 (ServerAliveCountMax wins). */
  keepaliveCountMax?: number;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; null: do not use an agent. */
  agentSocket?: string | null;
  /** Where the passphrase and SSH_AUTH_SOCK are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The OpenSSH client config (see loadSshConfig); default: none. */
  sshConfig?: SshConfig;
  /** Extra tries after a transient failure (default: ConnectionAttempts − 1 from the config, else 2). */
  retries?: number;
  /** First backoff delay, doubled at each try (with jitter); default 500 ms. */
  retryDelayMs?: number;
  /** Time the SSH login may take once TCP is connected; default max(30 s, 3 × the connect timeout). */
  handshakeTimeoutMs?: number;
  log?: SshLog;
}

export const DEFAULT_PASSPHRASE_ENV = "MESHCTL_SSH_PASSPHRASE";
export const DEFAULT_RETRIES = 2;

export function createSshConnector(opts: SshConnectorOptions): Connector {
  if (!(opts.forks >= 1)) throw new RangeError(`forks must be >= 1, got ${opts.forks}`);
  const env = opts.env ?? process.env;
  const passphraseEnv = opts.passphraseEnv ?? DEFAULT_PASSPHRASE_ENV;
  const agentSocket =
    opts.agentSocket === null ? undefined : (opts.agentSocket ?? (env.SSH_AUTH_SOCK || undefined));
  const sshConfig = opts.sshConfig ?? EMPTY_SSH_CONFIG;
  const limit = pLimit(opts.forks);
  const knownHosts = new KnownHostsStore();
  const keys = new KeyStore(env[passphraseEnv] || undefined, passphraseEnv);
  const open = new Set<SshConnection>();
  const jumps = new Map<string, Promise<SshConnection>>();
  let shutDown = false;

  const files = (t: ResolvedTarget): Promise<KnownHostsFile[]> =>
    Promise.all(t.knownHosts.map((f) => knownHosts.get(f))).catch((err: Error) => {
      throw new MeshctlError(`${t.name}: cannot read ${t.knownHosts.join(", ")}: ${err.message}`);
    });

  /** One login (no retry), through the target's jump host if it has one. */
  async function connectOnce(t: ResolvedTarget): Promise<SshConnection> {
    const via = t.jumps[t.jumps.length - 1];
    const path = via ? await streamVia(t, via) : undefined;
    const conn = await connectSsh(t, {
      knownHosts: await files(t),
      keys,
      acceptNewHostKeys: (opts.acceptNewHostKeys ?? false) || t.acceptNewHostKeys,
      channelsPerHost: opts.channelsPerHost ?? 8,
      keepaliveIntervalMs: t.keepaliveIntervalMs ?? opts.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: t.keepaliveCountMax ?? opts.keepaliveCountMax ?? 3,
      agentSocket,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? Math.max(30_000, 3 * t.connectTimeoutMs),
      ...(path ? { sock: path, via: via?.alias } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    if (shutDown) conn.close();
    return conn;
  }

  /** A stream to `t` opened by its (shared) jump host connection, within t's connect timeout. */
  async function streamVia(t: ResolvedTarget, via: ResolvedTarget) {
    let jump: SshConnection;
    try {
      jump = await jumpConnection(via);
    } catch (err) {
      throw err instanceof SshError ? new JumpError(t.name, via.alias, err) : err;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new JumpError(
              t.name,
              via.alias,
              `no answer from ${t.host}:${t.port} within ${t.connectTimeoutMs / 1000} s (timed out)`,
            ),
          ),
        t.connectTimeoutMs,
      );
    });
    try {
      return await Promise.race([jump.forwardOut(t.host, t.port), timeout]);
    } catch (err) {
      if (err instanceof SshError) throw err;
      throw new JumpError(t.name, via.alias, (err as Error).message.replace(/^\(SSH\) /, ""));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The one connection to a jump host, opened by the first host that needs it and shared by all. */
  function jumpConnection(j: ResolvedTarget): Promise<SshConnection> {
    const key = connectionKey(j);
    const have = jumps.get(key);
    if (have) {
      return have.then((c) => {
        if (c.alive) return c;
        if (jumps.get(key) === have) jumps.delete(key);
        return jumpConnection(j);
      });
    }
    if (shutDown)
      return Promise.reject(new MeshctlError(`${j.name}: not connecting: meshctl is shutting down`));
    const p = connectOnce(j);
    jumps.set(key, p);
    p.then(
      (c) => {
        opts.log?.line(2, `${j.name}: shared jump connection ${key} is up`);
        void c.closed.then(() => jumps.get(key) === p && jumps.delete(key));
      },
      () => jumps.get(key) === p && jumps.delete(key),
    );
    return p;
  }

  /** connectOnce, tried again after a transient failure, with exponential backoff and jitter. */
  async function connectRetrying(t: ResolvedTarget): Promise<SshConnection> {
    const retries = opts.retries ?? (t.connectionAttempts ? t.connectionAttempts - 1 : DEFAULT_RETRIES);
    for (let attempt = 0; ; attempt++) {
      try {
        return await connectOnce(t);
      } catch (err) {
        if (shutDown || attempt >= retries || !isTransient(err)) throw err;
        const delay = (opts.retryDelayMs ?? 500) * 2 ** attempt * (0.5 + Math.random());
        opts.log?.line(
          1,
          `${(err as Error).message.split("\n")[0]}; trying again in ${(delay / 1000).toFixed(1)} s (try ${attempt + 2} of ${retries + 1})`,
        );
        await sleep(delay);
      }
    }
  }

  const connect = (name: string, target: SshTarget): Promise<Connection> =>
    new Promise<Connection>((resolve, reject) => {
      void limit(async () => {
        if (shutDown) return reject(new MeshctlError(`${name}: not connecting: meshctl is shutting down`));
        let conn: SshConnection;
        try {
          conn = await connectRetrying(resolveTarget(name, target, { config: sshConfig }));
        } catch (err) {
          return reject(
            err instanceof MeshctlError
              ? err
              : new UnreachableError(name, target.host, "handshake", String(err)),
          );
        }
        open.add(conn);
        resolve(conn);
        await conn.closed; // hold the fork until the connection is gone
        open.delete(conn);
      });
    });

  /**
   * A NEW TCP connection to the target's SSH port, the way its logins go (ssh config, jump host): direct,
   * or opened by the jump host. Commit-confirmed's proof that new connections still reach the node.
   */
  async function probe(name: string, target: SshTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
    const t = resolveTarget(name, target, { config: sshConfig });
    const via = t.jumps[t.jumps.length - 1];
    if (!via) return probeTcp(t.host, t.port, timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const opened = (async () => {
      const stream = await (await jumpConnection(via)).forwardOut(t.host, t.port);
      stream.destroy();
      return true;
    })().catch(() => false);
    try {
      return await Promise.race([opened, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    connect,
    probe,
    closeAll() {
      shutDown = true;
      for (const c of open) c.close();
      for (const p of jumps.values())
        p.then(
          (c) => c.close(),
          () => undefined,
        );
    },
  };
}
