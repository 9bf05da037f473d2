/**
 * Connect to one host (host key verified against known_hosts, key/agent auth): an SshConnection, or the error
 * the failure amounts to.
 */
import { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import ssh2, { type AnyAuthMethod, type ConnectConfig } from "ssh2";
import { authPlan } from "./auth.js";
import { SshConnection, type SshErrorLike } from "./connection.js";
import { AuthError, type SshError, UnreachableError } from "./errors.js";
import { hostKeyCheck } from "./hostkey.js";
import type { KeyStore } from "./keys.js";
import type { KnownHostsFile } from "./known-hosts.js";
import { effectiveTarget, type ResolvedTarget } from "./resolve.js";
import type { SshLog } from "./types.js";

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
