/**
 * The effective SSH settings of a host: what the inventory sets explicitly wins (as `ssh -o`/`-l`/`-p`/`-i`
 * on the command line win over the config), then the OpenSSH client config, then OpenSSH's own defaults
 * (local user name, port 22, ~/.ssh/id_rsa, id_ecdsa, id_ed25519…, ~/.ssh/known_hosts). Pure apart from
 * the local user name and home directory.
 */
import { homedir, hostname, userInfo } from "node:os";
import type { SshSetting, SshTarget } from "../../inventory/types.js";
import { expandTilde, type SshConfig, type SshConfigEntry, SshConfigError } from "./config.js";
import { hostKeyName } from "./known-hosts.js";

/** OpenSSH's default identities, in the order ssh(1) tries them; missing ones are skipped silently. */
export const DEFAULT_IDENTITIES = [
  "~/.ssh/id_rsa",
  "~/.ssh/id_ecdsa",
  "~/.ssh/id_ecdsa_sk",
  "~/.ssh/id_ed25519",
  "~/.ssh/id_ed25519_sk",
  "~/.ssh/id_dsa",
];

const MAX_JUMPS = 8;

export interface ResolvedTarget {
  /** Inventory node name, or `jump HOST` for a jump host. */
  name: string;
  /** What was looked up in the config (the inventory's `host`, or the jump's host). */
  alias: string;
  /** Address dialled (HostName). */
  host: string;
  port: number;
  user: string;
  become: boolean;
  /** Identity files to offer, in order. */
  identityFiles: string[];
  /** true: the files are OpenSSH's defaults (a missing one is skipped without a word). */
  defaultIdentities: boolean;
  /** false with IdentitiesOnly yes. */
  useAgent: boolean;
  /** known_hosts files: checked in order, new keys appended to the first. */
  knownHosts: string[];
  /** The name looked up in known_hosts: `host` or `[host]:port` (HostKeyAlias if set). */
  hostKeyName: string;
  /** StrictHostKeyChecking accept-new (or no/off, taken as accept-new: a changed key is always refused). */
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  connectionAttempts?: number;
  /** Jump hosts, the first one dialled first (empty: direct). */
  jumps: ResolvedTarget[];
}

export interface ResolveContext {
  config: SshConfig;
  localUser?: string;
}

const has = (t: SshTarget, k: SshSetting): boolean => t.explicit === undefined || t.explicit.includes(k);

/** The settings of an inventory node. */
export function resolveTarget(name: string, t: SshTarget, ctx: ResolveContext): ResolvedTarget {
  const c = ctx.config.lookup(t.host);
  const localUser = ctx.localUser ?? localUserName();
  const user = has(t, "user") ? t.user : (c.user ?? localUser);
  const port = has(t, "port") ? t.port : (c.port ?? 22);
  const host = expandTokens(c.hostName ?? t.host, { h: t.host, n: t.host, p: port, r: user, u: localUser });
  const tok = { h: host, n: t.host, p: port, r: user, u: localUser };
  const explicitKey = has(t, "identityFile") && t.identityFile !== undefined;
  const ids = explicitKey ? [t.identityFile as string] : c.identityFiles?.map((f) => path(f, tok));
  const knownHosts = has(t, "knownHosts")
    ? [t.knownHosts]
    : (c.userKnownHostsFiles?.map((f) => path(f, tok)) ?? [expandTilde("~/.ssh/known_hosts")]);
  const r: ResolvedTarget = {
    name,
    alias: t.host,
    host,
    port,
    user,
    become: has(t, "become") ? t.become : user !== "root",
    identityFiles: ids ?? DEFAULT_IDENTITIES.map(expandTilde),
    defaultIdentities: ids === undefined,
    useAgent: explicitKey || !c.identitiesOnly,
    knownHosts,
    hostKeyName: hostKeyName(c.hostKeyAlias ?? host, port),
    acceptNewHostKeys: acceptsNew(c),
    connectTimeoutMs: has(t, "connectTimeout")
      ? t.connectTimeoutMs
      : c.connectTimeoutS
        ? c.connectTimeoutS * 1000
        : t.connectTimeoutMs,
    ...keepalive(c),
    jumps: [],
  };
  r.jumps = jumpsOf(c.proxyJump, r, ctx, localUser, 0);
  return r;
}

function keepalive(c: SshConfigEntry): Partial<ResolvedTarget> {
  return {
    ...(c.serverAliveIntervalS === undefined ? {} : { keepaliveIntervalMs: c.serverAliveIntervalS * 1000 }),
    ...(c.serverAliveCountMax === undefined ? {} : { keepaliveCountMax: c.serverAliveCountMax }),
    ...(c.connectionAttempts === undefined ? {} : { connectionAttempts: c.connectionAttempts }),
  };
}

const acceptsNew = (c: SshConfigEntry): boolean =>
  ["accept-new", "no", "off"].includes(c.strictHostKeyChecking ?? "");

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]` (IPv6 in brackets), one element of a ProxyJump. */
export function parseJump(spec: string): JumpSpec {
  const s = spec.trim().replace(/^ssh:\/\//, "");
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(s);
  if (!m?.[2]) throw new SshConfigError(`SSH config: cannot read the ProxyJump host "${spec}"`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && !(port >= 1 && port <= 65535)) {
    throw new SshConfigError(`SSH config: bad port in ProxyJump "${spec}"`);
  }
  return {
    ...(m[1] ? { user: m[1] } : {}),
    host: m[2].replace(/^\[(.*)\]$/, "$1"),
    ...(port === undefined ? {} : { port }),
  };
}

/**
 * The jump hosts of a ProxyJump value, first dialled first. As with ssh(1): for `A,B` the target is
 * reached through B and B through A; the last jump of a chain ignores its own ProxyJump, the first one
 * follows its own config's ProxyJump.
 */
function jumpsOf(
  value: string | undefined,
  via: ResolvedTarget,
  ctx: ResolveContext,
  localUser: string,
  depth: number,
): ResolvedTarget[] {
  if (!value || /^none$/i.test(value.trim())) return [];
  // A jump to the host itself (`Host *` with `ProxyJump bastion` seen from the bastion) means none.
  if (value.split(",").every((v) => parseJump(v).host === via.alias)) return [];
  if (depth > MAX_JUMPS)
    throw new SshConfigError(`SSH config: ProxyJump chain deeper than ${MAX_JUMPS} (a loop?)`);
  const chain = value.split(",").map(parseJump);
  const out: ResolvedTarget[] = [];
  chain.forEach((spec, i) => {
    const c = ctx.config.lookup(spec.host);
    const user = spec.user ?? c.user ?? localUser;
    const port = spec.port ?? c.port ?? 22;
    const host = expandTokens(c.hostName ?? spec.host, {
      h: spec.host,
      n: spec.host,
      p: port,
      r: user,
      u: localUser,
    });
    const tok = { h: host, n: spec.host, p: port, r: user, u: localUser };
    const own = c.identityFiles?.map((f) => path(f, tok));
    const j: ResolvedTarget = {
      name: `jump ${spec.host}`,
      alias: spec.host,
      host,
      port,
      user,
      become: false,
      // Its own identities (or the defaults), then the node's.
      identityFiles: unique([...(own ?? DEFAULT_IDENTITIES.map(expandTilde)), ...via.identityFiles]),
      defaultIdentities: own === undefined && via.defaultIdentities,
      useAgent: !c.identitiesOnly,
      knownHosts: c.userKnownHostsFiles?.map((f) => path(f, tok)) ?? via.knownHosts,
      hostKeyName: hostKeyName(c.hostKeyAlias ?? host, port),
      acceptNewHostKeys: acceptsNew(c),
      connectTimeoutMs: c.connectTimeoutS ? c.connectTimeoutS * 1000 : via.connectTimeoutMs,
      ...keepalive(c),
      jumps: [],
    };
    // The first jump follows its own ProxyJump; the others go through the previous element.
    const prev = out[i - 1];
    j.jumps = prev ? [...prev.jumps, prev] : jumpsOf(c.proxyJump, j, ctx, localUser, depth + 1);
    out.push(j);
  });
  const last = out[out.length - 1];
  return last ? [...last.jumps, last] : [];
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/** The key under which one connection to a host is shared: user@host:port and the path to it. */
export function connectionKey(t: ResolvedTarget): string {
  const self = `${t.user}@${t.host}:${t.port}`;
  const via = t.jumps[t.jumps.length - 1];
  return via ? `${self} via ${connectionKey(via)}` : self;
}

function path(p: string, tok: Tokens): string {
  return expandTilde(expandTokens(p, tok));
}

interface Tokens {
  h: string;
  n: string;
  p: number;
  r: string;
  u: string;
}

/** ssh_config(5) TOKENS meshctl knows: %% %d %h %i %L %l %n %p %r %u. */
export function expandTokens(s: string, t: Tokens): string {
  return s.replace(/%(.)/g, (all, c: string) => {
    switch (c) {
      case "%":
        return "%";
      case "d":
        return homedir();
      case "h":
        return t.h;
      case "i":
        return String(process.getuid?.() ?? 0);
      case "L":
        return hostname().split(".")[0] ?? "";
      case "l":
        return hostname();
      case "n":
        return t.n;
      case "p":
        return String(t.p);
      case "r":
        return t.r;
      case "u":
        return t.u;
      default:
        throw new SshConfigError(`SSH config: unknown token ${all} in "${s}"`);
    }
  });
}

export function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? "root";
  }
}

/** The SshTarget a connection reports (what it really logged into). */
export function effectiveTarget(r: ResolvedTarget): SshTarget {
  return {
    host: r.host,
    port: r.port,
    user: r.user,
    ...(r.identityFiles[0] ? { identityFile: r.identityFiles[0] } : {}),
    knownHosts: r.knownHosts[0] ?? "",
    become: r.become,
    connectTimeoutMs: r.connectTimeoutMs,
  };
}
