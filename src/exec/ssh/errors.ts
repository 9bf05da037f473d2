/**
 * Typed errors of the SSH layer. Every message is one or two lines a network engineer can act on, starts
 * with the inventory node name, and carries no stack trace. `unreachable` classifies the host for the recap:
 * true = meshctl could not connect or authenticate (exit 4), false = connected but something failed (exit 1).
 */
import { MeshctlError } from "../../core/errors.js";

export { isUnreachable } from "../../core/errors.js";

export abstract class SshError extends MeshctlError {
  constructor(
    /** Inventory node name. */
    readonly host: string,
    message: string,
    /** true: could not connect/authenticate; false: connected, then a command (or sudo) failed. */
    readonly unreachable: boolean,
  ) {
    super(`${host}: ${message}`, unreachable ? "unreachable" : "remote");
  }
}

export type UnreachableCause =
  /** TCP RST: nothing listens on the port. */
  | "refused"
  /** EHOSTUNREACH / ENETUNREACH: no route, or ARP got no answer. */
  | "no-route"
  /** No TCP answer within the connect timeout. */
  | "timeout"
  /** TCP connected, but the SSH handshake/authentication did not finish within the connect timeout. */
  | "handshake-timeout"
  /** The host name does not resolve. */
  | "dns"
  /** The server closed or reset the connection before the SSH handshake finished. */
  | "closed"
  /** Key exchange failed (e.g. no common algorithm). */
  | "handshake"
  /** The connection was up, then died (keepalive unanswered, reset, closed by the server). */
  | "lost";

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

export class UnreachableError extends SshError {
  constructor(
    host: string,
    /** `address:port` as dialled. */
    readonly address: string,
    /** Why, in one word (named `reason`: `cause` is Error's own, `kind` MeshctlError's). */
    readonly reason: UnreachableCause,
    /** The underlying error text (errno code or ssh2 message), for the curious. */
    readonly detail: string,
    timeoutMs = 0,
  ) {
    super(host, UnreachableError.describe(address, reason, detail, timeoutMs), true);
  }

  private static describe(address: string, cause: UnreachableCause, detail: string, ms: number): string {
    switch (cause) {
      case "refused":
        return `cannot connect to ${address}: connection refused (is sshd running and listening on that port?)`;
      case "no-route":
        return `cannot connect to ${address}: no route to host (${detail}; is the address right and the host up?)`;
      case "timeout":
        return `cannot connect to ${address}: no answer within ${seconds(ms)} (host down, address wrong, or filtered)`;
      case "handshake-timeout":
        return (
          `connected to ${address} (so the host is up), but the SSH login did not finish within ${seconds(ms)}: ` +
          "the host or this controller is overloaded (try fewer --forks, or a larger connect_timeout)"
        );
      case "dns":
        return `cannot connect to ${address}: the host name does not resolve (${detail})`;
      case "closed":
        return `${address} closed the connection during the SSH handshake (${detail}; sshd MaxStartups or a firewall?)`;
      case "handshake":
        return `SSH handshake with ${address} failed: ${detail}`;
      case "lost":
        return `connection to ${address} lost: ${detail}`;
    }
  }
}

/** ssh-keyscan's `-t` name of a key type: ed25519, ecdsa, rsa. */
const keyscanType = (t: string): string =>
  t === "ssh-ed25519" ? "ed25519" : t.startsWith("ecdsa-") ? "ecdsa" : t === "ssh-rsa" ? "rsa" : t;

/** The host's key is not in known_hosts (and --accept-new-host-keys was not given). */
export class HostKeyUnknownError extends SshError {
  constructor(
    host: string,
    /** The known_hosts lookup name: `host` or `[host]:port`. */
    readonly hostName: string,
    readonly keyType: string,
    readonly fingerprint: string,
    readonly knownHostsFile: string,
    /** Entries of other key types for this host (`file:line type`), if any. */
    readonly otherKeys: string[] = [],
  ) {
    const port = /^\[.*\]:(\d+)$/.exec(hostName)?.[1];
    const bare = hostName.replace(/^\[(.*)\]:\d+$/, "$1");
    const others = otherKeys.length ? ` (known only with other key types: ${otherKeys.join(", ")})` : "";
    super(
      host,
      `host key of ${hostName} is not in ${knownHostsFile}${others}: ${keyType} ${fingerprint}\n` +
        `  check the fingerprint, then rerun with --accept-new-host-keys, or add it with ` +
        `ssh-keyscan -t ${keyscanType(keyType)}${port ? ` -p ${port}` : ""} ${bare} >> ${knownHostsFile}`,
      true,
    );
  }
}

/** known_hosts holds a different key of the same type for this host: possible man-in-the-middle. */
export class HostKeyMismatchError extends SshError {
  constructor(
    host: string,
    readonly hostName: string,
    readonly keyType: string,
    /** Fingerprint of the key the server presented. */
    readonly fingerprint: string,
    readonly knownHostsFile: string,
    /** 1-based line of the old entry. */
    readonly line: number,
  ) {
    super(
      host,
      `REMOTE HOST IDENTIFICATION HAS CHANGED for ${hostName}: it offered ${keyType} ${fingerprint}, ` +
        `which differs from ${knownHostsFile}:${line}\n` +
        `  if the host was reinstalled, remove the old key with ssh-keygen -R '${hostName}' -f ${knownHostsFile}, then rerun`,
      true,
    );
  }
}

/** The presented key is marked `@revoked` in known_hosts. */
export class HostKeyRevokedError extends SshError {
  constructor(
    host: string,
    readonly hostName: string,
    readonly keyType: string,
    readonly fingerprint: string,
    readonly knownHostsFile: string,
    readonly line: number,
  ) {
    super(
      host,
      `host key of ${hostName} (${keyType} ${fingerprint}) is marked @revoked in ${knownHostsFile}:${line}; refusing to connect`,
      true,
    );
  }
}

/** The server refused every key we offered, or the key could not be loaded. */
export class AuthError extends SshError {
  constructor(
    host: string,
    /** `user@address:port`. */
    readonly login: string,
    /** What was offered, e.g. `key /root/.ssh/id_ed25519 (SHA256:…)`, `ssh-agent`. */
    readonly tried: string[],
    /** Set when the failure is local (key file missing, encrypted, unreadable). */
    readonly reason?: string,
  ) {
    super(
      host,
      reason
        ? `cannot log in as ${login}: ${reason}`
        : `${login} refused authentication with ${tried.length ? tried.join(" and ") : "no key at all"}` +
            ` (is the public key in the user's ~/.ssh/authorized_keys?)`,
      true,
    );
  }
}

/** Connected, but `sudo -n` refused to run the command without a password. */
export class SudoError extends SshError {
  constructor(
    host: string,
    readonly user: string,
    /** sudo's own first line of stderr. */
    readonly sudoSays: string,
  ) {
    super(
      host,
      /not found/.test(sudoSays)
        ? `become is set but sudo is not installed (${sudoSays}): install sudo or connect as root`
        : `user ${user} cannot run sudo without a password (${sudoSays}): ` +
            `add \`${user} ALL=(ALL) NOPASSWD: ALL\` to sudoers or set become: false`,
      false,
    );
  }
}

/** Accepting a new host key failed because known_hosts could not be written. */
export class KnownHostsWriteError extends SshError {
  constructor(
    host: string,
    readonly knownHostsFile: string,
    readonly detail: string,
  ) {
    super(host, `cannot add its host key to ${knownHostsFile}: ${detail}`, true);
  }
}

/** Connected, but a command failed (non-zero exit, killed, timed out, or could not be started). */
export class RemoteCommandError extends SshError {
  constructor(
    host: string,
    /** What ran: a label, or the script's first line. */
    readonly label: string,
    readonly code: number | null,
    readonly stderrTail: string,
    readonly how: { signal?: string; timedOutMs?: number; notStarted?: string } = {},
  ) {
    const what = how.notStarted
      ? `could not be started: ${how.notStarted}`
      : how.timedOutMs !== undefined
        ? `timed out after ${seconds(how.timedOutMs)} and was killed`
        : how.signal
          ? `was killed by ${how.signal}`
          : code === null
            ? "ended without an exit status"
            : `failed with exit code ${code}`;
    super(host, `\`${label}\` ${what}${stderrTail ? `: ${stderrTail}` : ""}`, false);
  }
}

/** Last `lines` non-empty lines of stderr, joined with " | " to stay on one line, at most `max` characters. */
export function stderrTail(stderr: string, lines = 3, max = 400): string {
  const tail = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(" | ");
  return tail.length > max ? `…${tail.slice(-max)}` : tail;
}

/** First non-empty line of a script, shortened: the default label in messages. */
export function firstLine(script: string, max = 80): string {
  // Line by line up to the first that counts: the script can be the 17 KB driver, labelled on every exec.
  let line: string | undefined;
  for (let start = 0; line === undefined && start <= script.length; ) {
    const nl = script.indexOf("\n", start);
    const l = script.slice(start, nl === -1 ? script.length : nl).trim();
    if (l && !l.startsWith("#")) line = l;
    start = nl === -1 ? script.length + 1 : nl + 1;
  }
  line ??= script.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The host sits behind a jump host (ProxyJump) that could not be reached, or would not open the path. */
export class JumpError extends SshError {
  constructor(
    host: string,
    /** The jump host as named in the config. */
    readonly jump: string,
    /** What went wrong on the jump host (its own SshError), or the refusal text of the forward. */
    readonly why: SshError | string,
  ) {
    super(
      host,
      typeof why === "string"
        ? `jump host ${jump} could not open a connection to it: ${why}`
        : `cannot reach it through jump host ${jump}: ${why.message.replace(/^jump [^:]+: /, "")}`,
      true,
    );
  }
}

/**
 * Whether a failed connect is worth another try: refused, reset or closed during the handshake, no TCP
 * answer in time, a login slower than its timeout, a DNS server that did not answer (EAI_AGAIN). A host
 * key, an authentication or an unknown name is never retried.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof JumpError)
    return typeof err.why === "string" ? /refused|reset|timed out/i.test(err.why) : isTransient(err.why);
  if (!(err instanceof UnreachableError)) return false;
  switch (err.reason) {
    case "refused":
    case "closed":
    case "timeout":
    case "handshake-timeout":
      return true;
    case "dns":
      return err.detail === "EAI_AGAIN";
    default:
      return false;
  }
}
