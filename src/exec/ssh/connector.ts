/**
 * createSshConnector: the SSH edge of meshctl. One ssh2 Client per host per run, at most `forks`
 * connections open at once, at most `channelsPerHost` channels per connection, host keys verified.
 */
import pLimit from "p-limit";
import { MeshctlError } from "../../core/errors.js";
import type { SshTarget } from "../../inventory/types.js";
import { connectSsh, type SshConnection } from "./connection.js";
import { KeyStore } from "./keys.js";
import { KnownHostsStore } from "./known-hosts.js";
import type { Connection, Connector } from "./types.js";

export interface SshConnectorOptions {
  /**
   * Global cap on open connections. A fork is taken when connect() starts and given back when the
   * connection closes, so a caller that keeps more than `forks` connections open at once waits forever:
   * do each host's work inside one task (connect → … → close), as Ansible's forks do.
   */
  forks: number;
  /** Channels (exec/session) at once per connection; default 8, below OpenSSH's MaxSessions 10. */
  channelsPerHost?: number;
  /** Append unknown host keys to known_hosts instead of refusing (a changed key is always refused). */
  acceptNewHostKeys?: boolean;
  /** Environment variable holding the passphrase of an encrypted identity file; default MESHCTL_SSH_PASSPHRASE. */
  passphraseEnv?: string;
  /** Keepalive interval; default 5000 ms. The connection counts as lost after `keepaliveCountMax` misses. */
  keepaliveIntervalMs?: number;
  /** Default 3. */
  keepaliveCountMax?: number;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; null: do not use an agent. */
  agentSocket?: string | null;
  /** Where the passphrase and SSH_AUTH_SOCK are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_PASSPHRASE_ENV = "MESHCTL_SSH_PASSPHRASE";

export function createSshConnector(opts: SshConnectorOptions): Connector {
  if (!(opts.forks >= 1)) throw new RangeError(`forks must be >= 1, got ${opts.forks}`);
  const env = opts.env ?? process.env;
  const passphraseEnv = opts.passphraseEnv ?? DEFAULT_PASSPHRASE_ENV;
  const passphrase = env[passphraseEnv] || undefined;
  const agentSocket =
    opts.agentSocket === null ? undefined : (opts.agentSocket ?? (env.SSH_AUTH_SOCK || undefined));
  const limit = pLimit(opts.forks);
  const knownHosts = new KnownHostsStore();
  const keys = new KeyStore(passphrase, passphraseEnv);
  const open = new Set<SshConnection>();
  let shutDown = false;

  const connect = (name: string, target: SshTarget): Promise<Connection> =>
    new Promise<Connection>((resolve, reject) => {
      void limit(async () => {
        if (shutDown) return reject(new MeshctlError(`${name}: not connecting: meshctl is shutting down`));
        let conn: SshConnection;
        try {
          conn = await connectSsh(name, target, {
            knownHosts: await knownHosts.get(target.knownHosts),
            keys,
            acceptNewHostKeys: opts.acceptNewHostKeys ?? false,
            channelsPerHost: opts.channelsPerHost ?? 8,
            keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 5000,
            keepaliveCountMax: opts.keepaliveCountMax ?? 3,
            agentSocket,
          });
        } catch (err) {
          return reject(
            err instanceof MeshctlError
              ? err
              : new MeshctlError(`${name}: cannot read ${target.knownHosts}: ${(err as Error).message}`),
          );
        }
        if (shutDown) conn.close();
        open.add(conn);
        resolve(conn);
        await conn.closed; // hold the fork until the connection is gone
        open.delete(conn);
      });
    });

  return {
    connect,
    closeAll() {
      shutDown = true;
      for (const c of open) c.close();
    },
  };
}
