/**
 * OpenSSH's client configuration (`~/.ssh/config`, `/etc/ssh/ssh_config`, or `-F FILE`), parsed by the
 * `ssh-config` package and looked up per host with OpenSSH's rules (first value wins, Host patterns with
 * `!` negation, `Match host|originalhost|user|localuser|all|final`). `Include` is expanded here (the
 * package leaves it to the caller). `Match exec` is never run: meshctl does not start shells on the
 * controller for a lookup.
 */
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import SSHConfig, { glob, type Line, LineType } from "ssh-config";
import { MeshctlError } from "../../core/errors.js";

/** The settings meshctl uses, as written in the config (tokens and `~` not yet expanded). */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles?: string[];
  identitiesOnly?: boolean;
  /** Raw ProxyJump value (`none`, or a comma-separated chain). */
  proxyJump?: string;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: string;
  connectTimeoutS?: number;
  serverAliveIntervalS?: number;
  serverAliveCountMax?: number;
  hostKeyAlias?: string;
  connectionAttempts?: number;
}

export interface SshConfig {
  /** Files read, in order (for messages and `-vvv`). */
  readonly files: readonly string[];
  lookup(host: string): SshConfigEntry;
}

/** The SSH client config cannot be read or holds what meshctl cannot honour (exit 3, as a bad inventory). */
export class SshConfigError extends MeshctlError {
  constructor(message: string) {
    super(message, "invalid-input");
  }
}

/** A config that sets nothing (`-F none`, or no file at all). */
export const EMPTY_SSH_CONFIG: SshConfig = { files: [], lookup: () => ({}) };

/**
 * Load the client configuration: `file` if given (`none`: none at all; a missing file is an error, as
 * with `ssh -F`), else `~/.ssh/config` then `/etc/ssh/ssh_config` (each optional).
 */
export function loadSshConfig(file?: string, systemFile = "/etc/ssh/ssh_config"): SshConfig {
  if (file === "none") return EMPTY_SSH_CONFIG;
  const files: string[] = [];
  const lines: Line[] = [];
  const sources = file
    ? [{ path: expandTilde(file), required: true, base: dirname(expandTilde(file)) }]
    : [
        { path: join(homedir(), ".ssh", "config"), required: false, base: join(homedir(), ".ssh") },
        { path: systemFile, required: false, base: dirname(systemFile) },
      ];
  for (const s of sources) {
    const text = readConfig(s.path, s.required);
    if (text === undefined) continue;
    files.push(s.path);
    lines.push(...expandIncludes(parseText(text, s.path), s.base, files, 0));
  }
  return files.length ? configFromLines(lines, files) : EMPTY_SSH_CONFIG;
}

/** A config from text (tests, and the loader). */
export function parseSshConfig(text: string, name = "ssh config", base = "."): SshConfig {
  const files = [name];
  return configFromLines(expandIncludes(parseText(text, name), base, files, 0), files);
}

function configFromLines(lines: Line[], files: string[]): SshConfig {
  const config = new SSHConfig();
  config.push(...lines);
  return {
    files,
    lookup: (host) => toEntry(config.compute(host, { ignoreCase: true, matchExec: false })),
  };
}

function readConfig(path: string, required: boolean): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && code === "ENOENT") return undefined;
    throw new SshConfigError(`cannot read the SSH client config ${path}: ${code ?? (err as Error).message}`);
  }
}

function parseText(text: string, path: string): Line[] {
  try {
    return [...SSHConfig.parse(text)];
  } catch (err) {
    throw new SshConfigError(`${path}: ${(err as Error).message}`);
  }
}

const values = (v: Line & { value?: unknown }): string[] => {
  const raw = v.value;
  if (Array.isArray(raw)) return raw.map((x: { val: string }) => x.val);
  return typeof raw === "string" ? raw.split(/\s+/).filter(Boolean) : [];
};

/** Replace every `Include` (at top level or inside a Host/Match block) by the lines of the files it names. */
function expandIncludes(lines: Line[], base: string, files: string[], depth: number): Line[] {
  if (depth > 16) throw new SshConfigError("Include nested more than 16 deep (a loop?)");
  return lines.flatMap((line): Line[] => {
    if (line.type !== LineType.DIRECTIVE) return [line];
    if ("config" in line) {
      const inner = expandIncludes([...line.config], base, files, depth);
      line.config.splice(0, line.config.length, ...inner);
      return [line];
    }
    if (!/^include$/i.test(line.param)) return [line];
    return values(line).flatMap((pattern) =>
      includedFiles(pattern, base).flatMap((path) => {
        const text = readConfig(path, false);
        if (text === undefined) return [];
        files.push(path);
        return expandIncludes(parseText(text, path), base, files, depth + 1);
      }),
    );
  });
}

/** The files an Include pattern names (`*` and `?` in the last component), sorted as OpenSSH's glob(3). */
function includedFiles(pattern: string, base: string): string[] {
  const p = expandTilde(pattern);
  const abs = isAbsolute(p) ? p : join(base, p);
  const name = basename(abs);
  if (!/[*?]/.test(name)) return [abs];
  let entries: string[];
  try {
    entries = readdirSync(dirname(abs));
  } catch {
    return [];
  }
  return entries
    .filter((e) => !e.startsWith(".") && glob(name, e))
    .sort()
    .map((e) => join(dirname(abs), e));
}

export function expandTilde(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? join(homedir(), p.slice(2)) : p;
}

function toEntry(o: Record<string, string | string[]>): SshConfigEntry {
  const one = (k: string): string | undefined => {
    const v = o[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const many = (k: string): string[] | undefined => {
    const v = o[k];
    return v === undefined ? undefined : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean);
  };
  const num = (k: string): number | undefined => {
    const v = one(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new SshConfigError(`SSH config: ${k} must be a number, got "${v}"`);
    return n;
  };
  const yesNo = (k: string): boolean | undefined => {
    const v = one(k)?.toLowerCase();
    return v === undefined ? undefined : v === "yes" || v === "true";
  };
  const proxyCommand = one("proxycommand");
  const e: SshConfigEntry = {
    hostName: one("hostname"),
    user: one("user"),
    port: num("port"),
    identityFiles: many("identityfile"),
    identitiesOnly: yesNo("identitiesonly"),
    proxyJump: one("proxyjump") ?? (proxyCommand ? jumpOfProxyCommand(proxyCommand) : undefined),
    userKnownHostsFiles: many("userknownhostsfile"),
    strictHostKeyChecking: one("stricthostkeychecking")?.toLowerCase(),
    connectTimeoutS: num("connecttimeout"),
    serverAliveIntervalS: num("serveraliveinterval"),
    serverAliveCountMax: num("serveralivecountmax"),
    hostKeyAlias: one("hostkeyalias"),
    connectionAttempts: num("connectionattempts"),
  };
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as SshConfigEntry;
}

/**
 * ProxyCommand is not run by meshctl, but its classic spelling `ssh -W %h:%p JUMP` means `ProxyJump JUMP`
 * and is taken as such; any other ProxyCommand is refused rather than silently bypassed.
 */
export function jumpOfProxyCommand(cmd: string): string {
  if (/^none$/i.test(cmd.trim())) return "none";
  const m = /^ssh\s+(?:-[qT]+\s+)*-W\s+(?:%h|\[%h\]):%p\s+(?:-[qT]+\s+)*(\S+)$/.exec(cmd.trim());
  if (m?.[1]) return m[1];
  throw new SshConfigError(
    `SSH config: ProxyCommand "${cmd}" is not supported (meshctl runs no local commands): use ProxyJump instead`,
  );
}
