/**
 * OpenSSH known_hosts: parse, match, verify, append. ssh2 accepts any host key unless `hostVerifier` is
 * set and has no known_hosts parser, so this is meshctl's.
 *
 * Supported: plain host patterns (`host`, `[host]:port`, comma lists, `*`/`?` wildcards, `!` negation),
 * hashed entries (`|1|salt|hash`, HMAC-SHA1 of the lookup name keyed by the salt), `@revoked` (refuse the
 * key). Not supported: `@cert-authority` lines are ignored (meshctl does not do host certificates), and so is
 * OpenSSH's CheckHostIP (only the name as written in the inventory is looked up, as OpenSSH does by default).
 * Keys are compared as raw blobs, so every key type works (ssh-ed25519, ecdsa-sha2-*, ssh-rsa, …).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: "revoked" | "cert-authority";
  hosts: { kind: "hashed"; salt: Buffer; hash: Buffer } | { kind: "patterns"; patterns: string[] };
  /** The key type inside the blob (e.g. `ssh-ed25519`, `ssh-rsa`). */
  keyType: string;
  key: Buffer;
}

export interface KnownHostsProblem {
  line: number;
  message: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines that were skipped (OpenSSH skips them silently too). */
  problems: KnownHostsProblem[];
  /** Number of lines in the file (for numbering appended entries). */
  lineCount: number;
  /** False when the text is non-empty and does not end with a newline. */
  endsWithNewline: boolean;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower-cased like ssh(1) does. */
export function hostKeyName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** `SHA256:…` as OpenSSH prints it (base64 without padding). */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The type string at the start of an SSH public key blob, or undefined if the blob is malformed. */
export function keyTypeOf(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  const t = keyBlob.toString("latin1", 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(t) ? t : undefined;
}

export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (!text || text.startsWith("#")) return;
    const fields = text.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const m = fields.shift();
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else {
        problems.push({ line, message: `unknown marker ${m}` });
        return;
      }
    }
    const [hostField, typeField, b64] = fields;
    if (!hostField || !typeField || !b64) {
      problems.push({ line, message: "expected: [marker] hosts keytype base64-key [comment]" });
      return;
    }
    const key = Buffer.from(b64, "base64");
    const keyType = keyTypeOf(key);
    if (!keyType || key.toString("base64").replace(/=+$/, "") !== b64.replace(/=+$/, "")) {
      problems.push({ line, message: "the key is not valid base64 of an SSH public key" });
      return;
    }
    if (keyType !== typeField && !(typeField.startsWith("rsa-sha2-") && keyType === "ssh-rsa")) {
      problems.push({ line, message: `key type ${typeField} does not match the key (${keyType})` });
      return;
    }
    let hosts: KnownHostEntry["hosts"];
    if (hostField.startsWith("|")) {
      const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(hostField);
      const salt = m && Buffer.from(m[1] ?? "", "base64");
      const hash = m && Buffer.from(m[2] ?? "", "base64");
      if (!salt || !hash || salt.length !== 20 || hash.length !== 20) {
        problems.push({ line, message: "malformed hashed host (expected |1|salt|hash)" });
        return;
      }
      hosts = { kind: "hashed", salt, hash };
    } else {
      hosts = { kind: "patterns", patterns: hostField.split(",").filter(Boolean) };
    }
    entries.push({ file, line, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return { entries, problems, lineCount: lines.length, endsWithNewline: text === "" || text.endsWith("\n") };
}

const patternCache = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = patternCache.get(glob);
  if (!re) {
    const body = glob
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.+()[\]{}|]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${body}$`, "i");
    patternCache.set(glob, re);
  }
  return re;
}

/** Whether an entry's host field matches the lookup name (see hostKeyName). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.kind === "hashed") {
    const mac = createHmac("sha1", entry.hosts.salt).update(name).digest();
    return timingSafeEqual(mac, entry.hosts.hash);
  }
  let positive = false;
  for (const p of entry.hosts.patterns) {
    const negated = p.startsWith("!");
    if (globToRegExp(negated ? p.slice(1) : p).test(name)) {
      if (negated) return false; // a matching negation excludes the host from the whole line
      positive = true;
    }
  }
  return positive;
}

export type HostKeyVerdict =
  | { kind: "ok"; entry: KnownHostEntry }
  | { kind: "revoked"; entry: KnownHostEntry }
  /**
   * The host is known, but not with this key: another key of the same type, or only keys of other types
   * (a man-in-the-middle need only offer another type, so a known host is never "new"). `entry`: the old
   * entry of the same type, else the host's first.
   */
  | { kind: "mismatch"; entry: KnownHostEntry }
  /** No entry at all for this host: the only case --accept-new-host-keys may record. */
  | { kind: "unknown" };

/** Decide about the key a server presented, OpenSSH's way. Pure. */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  name: string,
  keyBlob: Buffer,
): HostKeyVerdict {
  const type = keyTypeOf(keyBlob);
  // A key marked @revoked for this host is refused before anything else.
  for (const e of entries) {
    if (e.marker === "revoked" && e.key.equals(keyBlob) && entryMatches(e, name))
      return { kind: "revoked", entry: e };
  }
  const mine = entries.filter((e) => e.marker === undefined && entryMatches(e, name));
  const same = mine.find((e) => e.key.equals(keyBlob));
  if (same) return { kind: "ok", entry: same };
  const changed = mine.find((e) => e.keyType === type) ?? mine[0];
  if (changed) return { kind: "mismatch", entry: changed };
  return { kind: "unknown" };
}

/** Key types known for this host, in file order (used to prefer them in the key exchange, as ssh(1) does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker === undefined && !types.includes(e.keyType) && entryMatches(e, name)) types.push(e.keyType);
  }
  return types;
}

/** The line accept-new appends: `host keytype base64` (or `[host]:port keytype base64`). */
export function formatKnownHostsLine(name: string, keyBlob: Buffer): string {
  return `${name} ${keyTypeOf(keyBlob) ?? "unknown"} ${keyBlob.toString("base64")}`;
}

/** Appends in flight, per path, for the whole process (several connectors may share a file). */
const appendChains = new Map<string, Promise<unknown>>();

/**
 * One known_hosts file, read once per run. Appends go through one promise chain per path, so parallel
 * connections accepting new keys never interleave lines; the in-memory copy is updated at once, so a second
 * connection to the same host in the same run does not append the key twice.
 */
export class KnownHostsFile {
  private constructor(
    readonly path: string,
    private readonly parsed: ParsedKnownHosts,
  ) {}

  static async load(path: string): Promise<KnownHostsFile> {
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return new KnownHostsFile(path, parseKnownHosts(text, path));
  }

  get entries(): readonly KnownHostEntry[] {
    return this.parsed.entries;
  }

  get problems(): readonly KnownHostsProblem[] {
    return this.parsed.problems;
  }

  check(name: string, keyBlob: Buffer): HostKeyVerdict {
    return checkHostKey(this.parsed.entries, name, keyBlob);
  }

  /** Append `name keytype key` (never replaces anything). Resolves once the line is on disk. */
  append(name: string, keyBlob: Buffer): Promise<KnownHostEntry> {
    const p = this.parsed;
    const needsNewline = !p.endsWithNewline;
    const entry: KnownHostEntry = {
      file: this.path,
      line: p.lineCount + 1,
      hosts: { kind: "patterns", patterns: [name] },
      keyType: keyTypeOf(keyBlob) ?? "unknown",
      key: keyBlob,
    };
    p.entries.push(entry);
    p.lineCount += 1;
    p.endsWithNewline = true;
    const text = `${needsNewline ? "\n" : ""}${formatKnownHostsLine(name, keyBlob)}\n`;
    const write = (appendChains.get(this.path) ?? Promise.resolve()).then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await appendFile(this.path, text, { mode: 0o600 });
    });
    const settled = write.catch(() => undefined);
    appendChains.set(this.path, settled);
    void settled.then(() => {
      if (appendChains.get(this.path) === settled) appendChains.delete(this.path);
    });
    return write.then(() => entry);
  }
}

/** known_hosts files by path, loaded once (per connector). */
export class KnownHostsStore {
  private readonly files = new Map<string, Promise<KnownHostsFile>>();

  get(path: string): Promise<KnownHostsFile> {
    let f = this.files.get(path);
    if (!f) {
      f = KnownHostsFile.load(path);
      this.files.set(path, f);
      f.catch(() => this.files.delete(path));
    }
    return f;
  }
}
