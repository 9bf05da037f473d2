/**
 * Private keys, read and parsed once per connector (parsing an encrypted OpenSSH key runs bcrypt-pbkdf in
 * JavaScript: far too slow to repeat for every host).
 */
import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import ssh2, { type ParsedKey } from "ssh2";
import { fingerprint } from "./known-hosts.js";

export type LoadedKey =
  | { ok: true; path: string; key: ParsedKey; fingerprint: string }
  /** `reason` completes "cannot log in as user@host: …". */
  | { ok: false; path: string; reason: string };

/** `~/x` → `$HOME/x` (the inventory loader already does this; be defensive). */
export function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

export class KeyStore {
  private readonly keys = new Map<string, Promise<LoadedKey>>();

  constructor(
    /** The passphrase for encrypted keys, if any. */
    private readonly passphrase: string | undefined,
    /** The variable it came from, for messages. */
    private readonly passphraseEnv: string,
  ) {}

  load(file: string): Promise<LoadedKey> {
    const path = expandHome(file);
    let k = this.keys.get(path);
    if (!k) {
      k = this.read(path);
      this.keys.set(path, k);
    }
    return k;
  }

  private async read(path: string): Promise<LoadedKey> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : String(err);
      return { ok: false, path, reason: `identity file ${path} ${why}` };
    }
    const parsed = ssh2.utils.parseKey(data, this.passphrase);
    if (parsed instanceof Error) {
      const msg = parsed.message;
      if (/no passphrase given/i.test(msg)) {
        return {
          ok: false,
          path,
          reason: `identity file ${path} is encrypted: put its passphrase in ${this.passphraseEnv} or load the key into ssh-agent`,
        };
      }
      if (this.passphrase !== undefined && /decrypt|bad|passphrase/i.test(msg)) {
        return {
          ok: false,
          path,
          reason: `cannot decrypt ${path} with the passphrase in ${this.passphraseEnv}`,
        };
      }
      return { ok: false, path, reason: `cannot read identity file ${path}: ${msg}` };
    }
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
    if (!key.isPrivateKey()) {
      return { ok: false, path, reason: `identity file ${path} holds a public key; give the private key` };
    }
    signWithKeyObject(key);
    return { ok: true, path, key, fingerprint: fingerprint(key.getPublicSSH()) };
  }
}

/**
 * ssh2 signs with the key's PEM text, which OpenSSL parses again for every signature (~0.9 ms for an
 * ed25519 key here, against ~0.07 ms with a KeyObject): one signature per host adds up on 60 hosts on 2
 * cores. Node's sign accepts a KeyObject wherever it accepts PEM, so swap one in (checked by a test
 * signature; on any surprise the key is left as ssh2 made it).
 */
export function signWithKeyObject(key: ParsedKey): void {
  const k = key as unknown as Record<symbol, unknown>;
  const sym = Object.getOwnPropertySymbols(k).find((s) => s.description === "Private key PEM");
  const pem = sym && k[sym];
  if (!sym || typeof pem !== "string") return;
  try {
    k[sym] = createPrivateKey(pem);
    const probe = Buffer.from("meshctl");
    const sig = key.sign(probe);
    if (sig instanceof Error || !key.verify(probe, sig)) k[sym] = pem;
  } catch {
    k[sym] = pem;
  }
}
