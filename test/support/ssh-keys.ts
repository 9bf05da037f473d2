/** Public keys made by ssh-keygen, for the known_hosts tests. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A public key made by ssh-keygen: its known_hosts fields, blob and OpenSSH's own fingerprint. */
export interface Key {
  type: string;
  b64: string;
  blob: Buffer;
  sshKeygenFingerprint: string;
}

/** A new key pair `dir/name` (no passphrase) of `type` (and `bits`). */
export function keygen(dir: string, name: string, type: string, bits?: number): Key {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-f", file]);
  const [t, b64] = readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/) as [string, string];
  const fp = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], {
    encoding: "utf8",
  }).split(/\s+/)[1] as string;
  return { type: t, b64, blob: Buffer.from(b64, "base64"), sshKeygenFingerprint: fp };
}

/** A known_hosts line: `hosts keytype base64 [comment]`. */
export const knownHostsLine = (hosts: string, key: Key, comment = ""): string =>
  `${hosts} ${key.type} ${key.b64}${comment ? ` ${comment}` : ""}`;
