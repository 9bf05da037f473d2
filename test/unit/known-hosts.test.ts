import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostKeyMismatchError, HostKeyRevokedError, HostKeyUnknownError } from "../../src/exec/ssh/errors.js";
import {
  checkHostKey,
  entryMatches,
  fingerprint,
  formatKnownHostsLine,
  hostKeyName,
  KnownHostsFile,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
} from "../../src/exec/ssh/known-hosts.js";
import { type Key, knownHostsLine, keygen as newKey } from "../support/ssh-keys.js";

let dir: string;
const keys: Record<string, Key> = {};

const keygen = (name: string, type: string, bits?: number): Key => newKey(dir, name, type, bits);

/**
 * Lines as ssh-keygen -F finds them (1-based numbers) for each name, to check our matching against
 * OpenSSH's. One shell runs every lookup: a process spawn per name from the test runner cost seconds on a
 * loaded machine (the 40-host parallel-append test hit its timeout).
 */
function sshKeygenFind(file: string, names: string[]): Map<string, number[]> {
  const script = 'f=$1; shift; for h do printf "@@%s\\n" "$h"; ssh-keygen -F "$h" -f "$f" || true; done';
  const out = execFileSync("sh", ["-c", script, "sh", file, ...names], { encoding: "utf8" });
  const found = new Map<string, number[]>();
  let current: number[] | undefined;
  for (const l of out.split("\n")) {
    if (l.startsWith("@@")) {
      current = [];
      found.set(l.slice(2), current);
    }
    const m = /found: line (\d+)/.exec(l);
    if (m) current?.push(Number(m[1]));
  }
  expect([...found.keys()]).toEqual(names);
  return found;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "meshctl-kh-"));
  keys.ed1 = keygen("ed1", "ed25519");
  keys.ed2 = keygen("ed2", "ed25519");
  keys.ec = keygen("ec", "ecdsa", 256);
  keys.rsa = keygen("rsa", "rsa", 2048);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const k = (name: string): Key => keys[name] as Key;
const line = knownHostsLine;

describe("keys and names", () => {
  it("reads the key type from the blob, for every type ssh-keygen makes", () => {
    expect(keyTypeOf(k("ed1").blob)).toBe("ssh-ed25519");
    expect(keyTypeOf(k("ec").blob)).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOf(k("rsa").blob)).toBe("ssh-rsa");
    expect(keyTypeOf(Buffer.from([0, 0]))).toBeUndefined();
  });

  it("prints fingerprints exactly as OpenSSH does", () => {
    for (const key of Object.values(keys)) expect(fingerprint(key.blob)).toBe(key.sshKeygenFingerprint);
  });

  it("looks up [host]:port for ports other than 22, lower-cased", () => {
    expect(hostKeyName("198.18.0.11", 22)).toBe("198.18.0.11");
    expect(hostKeyName("Node-A.Example", 2222)).toBe("[node-a.example]:2222");
  });
});

describe("parseKnownHosts", () => {
  it("skips comments and blank lines, keeps 1-based line numbers, reports bad lines", () => {
    const text = [
      "# a comment",
      "",
      line("198.18.0.11", k("ed1")),
      "   ",
      "garbage",
      `198.18.0.12 ssh-ed25519 notbase64!!`,
      `@weird 198.18.0.13 ${k("ed1").type} ${k("ed1").b64}`,
      line("198.18.0.14,198.18.0.15", k("ec"), "a comment with spaces"),
      `198.18.0.16 ssh-rsa ${k("ed1").b64}`,
    ].join("\n");
    const p = parseKnownHosts(text, "/kh");
    expect(p.entries.map((e) => e.line)).toEqual([3, 8]);
    expect(p.entries[1]?.hosts).toEqual({ kind: "patterns", patterns: ["198.18.0.14", "198.18.0.15"] });
    expect(p.problems.map((x) => x.line)).toEqual([5, 6, 7, 9]);
    expect(p.lineCount).toBe(9);
    expect(p.endsWithNewline).toBe(false);
  });

  it("says what is wrong with each bad line; rsa-sha2-* names an ssh-rsa key; hashed hosts need 20-byte salt and hash", () => {
    const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64");
    const text = [
      `198.18.0.17 ${k("ed1").type}`, // no key
      `198.18.0.18 rsa-sha2-512 ${k("rsa").b64}`, // accepted: the signature name of an RSA key
      `198.18.0.19 ssh-ed25519 ${k("ec").b64}`, // type does not match the key
      `|1|${b64(20)}|${b64(20)} ${k("ed1").type} ${k("ed1").b64}`, // a well-formed hashed host
      `|1|${b64(19)}|${b64(20)} ${k("ed1").type} ${k("ed1").b64}`,
      `|1|${b64(20)}|${b64(21)} ${k("ed1").type} ${k("ed1").b64}`,
      `|1|${b64(20)} ${k("ed1").type} ${k("ed1").b64}`,
      `x|1|${b64(20)}|${b64(20)} ${k("ed1").type} ${k("ed1").b64}`, // not hashed: a pattern
      `198.18.0.20 ${k("ed1").type} ${k("ed1").b64.replace(/=+$/, "")}`, // padding left out: same key
      `198.18.0.21 ${k("ed1").type} ${k("ed1").b64}AAAA`, // trailing bytes change the base64
    ].join("\n");
    const p = parseKnownHosts(text, "/kh");
    expect(p.problems).toEqual([
      { line: 1, message: "expected: [marker] hosts keytype base64-key [comment]" },
      { line: 3, message: "key type ssh-ed25519 does not match the key (ecdsa-sha2-nistp256)" },
      { line: 5, message: "malformed hashed host (expected |1|salt|hash)" },
      { line: 6, message: "malformed hashed host (expected |1|salt|hash)" },
      { line: 7, message: "malformed hashed host (expected |1|salt|hash)" },
    ]);
    expect(p.entries.map((e) => [e.line, e.keyType, e.hosts.kind])).toEqual([
      [2, "ssh-rsa", "patterns"],
      [4, "ssh-ed25519", "hashed"],
      [8, "ssh-ed25519", "patterns"],
      [9, "ssh-ed25519", "patterns"],
      [10, "ssh-ed25519", "patterns"],
    ]);
  });

  it("keyTypeOf refuses a blob whose type length is 0, over 64 or past its end, or whose type is not printable", () => {
    const blob = (len: number, type: string, extra = 0) => {
      const b = Buffer.alloc(4 + type.length + extra);
      b.writeUInt32BE(len, 0);
      b.write(type, 4, "latin1");
      return b;
    };
    expect(keyTypeOf(blob(11, "ssh-ed25519"))).toBe("ssh-ed25519");
    expect(keyTypeOf(blob(0, ""))).toBeUndefined();
    expect(keyTypeOf(blob(64, "x".repeat(64)))).toBe("x".repeat(64));
    expect(keyTypeOf(blob(65, "x".repeat(65)))).toBeUndefined();
    expect(keyTypeOf(blob(12, "ssh-ed25519"))).toBeUndefined(); // one byte past the end
    expect(keyTypeOf(blob(4, "ab d"))).toBeUndefined();
    expect(keyTypeOf(blob(3, "abc", 2))).toBe("abc");
    expect(keyTypeOf(Buffer.from([0, 0, 0]))).toBeUndefined();
    expect(keyTypeOf(Buffer.from([0, 0, 0, 0]))).toBeUndefined();
  });

  it("reads markers", () => {
    const p = parseKnownHosts(
      `@revoked * ${k("ed2").type} ${k("ed2").b64}\n@cert-authority *.lab ${k("ec").type} ${k("ec").b64}\n`,
      "/kh",
    );
    expect(p.entries.map((e) => e.marker)).toEqual(["revoked", "cert-authority"]);
    expect(p.endsWithNewline).toBe(true);
  });
});

describe("matching (checked against ssh-keygen -F)", () => {
  it("plain names, comma lists, [host]:port, wildcards and negation", () => {
    const file = join(dir, "patterns");
    const text = [
      line("198.18.0.11", k("ed1")),
      line("node-b,198.18.0.12", k("ed1")),
      line("[198.18.0.13]:2222", k("ed1")),
      line("198.18.1.*,!198.18.1.7", k("ed1")),
      line("198.18.2.?", k("ed1")),
    ].join("\n");
    writeFileSync(file, `${text}\n`);
    const { entries } = parseKnownHosts(text, file);
    const names = [
      "198.18.0.11",
      "198.18.0.12",
      "node-b",
      "198.18.0.13",
      "[198.18.0.13]:2222",
      "[198.18.0.11]:2222",
      "198.18.1.5",
      "198.18.1.7",
      "198.18.2.3",
      "198.18.2.33",
      "198.18.0.111",
    ];
    const theirs = sshKeygenFind(file, names);
    for (const name of names) {
      const ours = entries.filter((e) => entryMatches(e, name)).map((e) => e.line);
      expect({ name, lines: ours }).toEqual({ name, lines: theirs.get(name) });
    }
  });

  it("hashed entries written by ssh-keygen -H, on port 22 and 2222", () => {
    const file = join(dir, "hashed");
    writeFileSync(file, `${line("198.18.0.11", k("ed1"))}\n${line("[198.18.0.12]:2222", k("ec"))}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^\|1\|/);
    expect(text).not.toContain("198.18.0.11");
    const { entries } = parseKnownHosts(text, file);
    expect(entries.every((e) => e.hosts.kind === "hashed")).toBe(true);
    expect(checkHostKey(entries, hostKeyName("198.18.0.11", 22), k("ed1").blob)).toMatchObject({
      kind: "ok",
      entry: { line: 1 },
    });
    expect(checkHostKey(entries, hostKeyName("198.18.0.12", 2222), k("ec").blob)).toMatchObject({
      kind: "ok",
      entry: { line: 2 },
    });
    expect(checkHostKey(entries, hostKeyName("198.18.0.12", 22), k("ec").blob).kind).toBe("unknown");
    expect(checkHostKey(entries, hostKeyName("198.18.0.11", 22), k("ed2").blob)).toMatchObject({
      kind: "mismatch",
      entry: { line: 1 },
    });
  });
});

describe("checkHostKey", () => {
  const text = () =>
    [
      "# lab",
      line("198.18.0.11", k("ed1")),
      line("198.18.0.11", k("rsa")),
      line("198.18.0.12", k("ec")),
      `@revoked 198.18.0.* ${k("ed2").type} ${k("ed2").b64}`,
      `@cert-authority * ${k("ed2").type} ${k("ed2").b64}`,
    ].join("\n");
  const entries = () => parseKnownHosts(text(), "/lab/known_hosts").entries;

  it("accepts the recorded key, whichever of the host's keys is offered", () => {
    expect(checkHostKey(entries(), "198.18.0.11", k("ed1").blob)).toMatchObject({
      kind: "ok",
      entry: { line: 2 },
    });
    expect(checkHostKey(entries(), "198.18.0.11", k("rsa").blob)).toMatchObject({
      kind: "ok",
      entry: { line: 3 },
    });
  });

  it("refuses a different key of a known type, naming the old line", () => {
    const other = keygen("ec2", "ecdsa", 256);
    expect(checkHostKey(entries(), "198.18.0.12", other.blob)).toMatchObject({
      kind: "mismatch",
      entry: { line: 4 },
    });
  });

  it("refuses a revoked key even for an otherwise unknown host", () => {
    expect(checkHostKey(entries(), "198.18.0.99", k("ed2").blob)).toMatchObject({
      kind: "revoked",
      entry: { line: 5 },
    });
    // @revoked only covers the hosts its pattern matches; @cert-authority is ignored.
    expect(checkHostKey(entries(), "node-z", k("ed2").blob).kind).toBe("unknown");
  });

  it("reports an unknown host only when it has no key at all", () => {
    expect(checkHostKey(entries(), "198.18.0.50", k("ed1").blob)).toEqual({ kind: "unknown" });
  });

  it("refuses a host known only with another key type (ECDSA known, ed25519 offered, and back)", () => {
    expect(checkHostKey(entries(), "198.18.0.12", k("ed1").blob)).toMatchObject({
      kind: "mismatch",
      entry: { line: 4, keyType: k("ec").type },
    });
    const only = parseKnownHosts(line("198.18.0.13", k("ed1")), "/kh").entries;
    expect(checkHostKey(only, "198.18.0.13", k("ec").blob)).toMatchObject({
      kind: "mismatch",
      entry: { line: 1 },
    });
  });

  it("lists the known key types of a host (to prefer them in the key exchange)", () => {
    expect(knownKeyTypes(entries(), "198.18.0.11")).toEqual(["ssh-ed25519", "ssh-rsa"]);
    expect(knownKeyTypes(entries(), "198.18.0.77")).toEqual([]);
  });
});

describe("KnownHostsFile (accept-new)", () => {
  it("treats a missing file as empty and creates it on the first append", async () => {
    const file = join(dir, "sub", "new_known_hosts");
    const kh = await KnownHostsFile.load(file);
    expect(kh.check("198.18.0.11", k("ed1").blob).kind).toBe("unknown");
    const e = await kh.append("198.18.0.11", k("ed1").blob);
    expect(e.line).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(`198.18.0.11 ssh-ed25519 ${k("ed1").b64}\n`);
    expect(kh.check("198.18.0.11", k("ed1").blob).kind).toBe("ok");
  });

  it("appends many keys in parallel without interleaving, after a last line with no newline", async () => {
    const file = join(dir, "parallel");
    writeFileSync(file, `# mine\n${line("198.18.0.1", k("rsa"))}`); // no trailing newline
    const kh = await KnownHostsFile.load(file);
    const hosts = Array.from({ length: 40 }, (_, i) => hostKeyName(`198.18.0.${10 + i}`, i % 2 ? 2222 : 22));
    const added = await Promise.all(hosts.map((h, i) => kh.append(h, (i % 3 ? k("ed1") : k("ec")).blob)));
    expect(added.map((e) => e.line)).toEqual(hosts.map((_, i) => i + 3));
    const text = readFileSync(file, "utf8");
    const reparsed = parseKnownHosts(text, file);
    expect(reparsed.problems).toEqual([]);
    expect(reparsed.entries).toHaveLength(41);
    const theirs = sshKeygenFind(file, hosts);
    for (const [i, h] of hosts.entries()) {
      expect(theirs.get(h), h).toEqual([i + 3]);
      expect(checkHostKey(reparsed.entries, h, (i % 3 ? k("ed1") : k("ec")).blob).kind).toBe("ok");
    }
    // As ssh-keygen wrote the key (its .pub file), not as our own formatter would.
    expect(text.split("\n")[2]).toBe(`198.18.0.10 ecdsa-sha2-nistp256 ${k("ec").b64}`);
    expect(formatKnownHostsLine("198.18.0.10", k("ec").blob)).toBe(text.split("\n")[2]);
    expect(text.split("\n")[3]).toBe(`[198.18.0.11]:2222 ssh-ed25519 ${k("ed1").b64}`);
    // 40 appends and one ssh-keygen per host: seconds on a machine shared by eight jobs, not 5.
  }, 30_000);
});

describe("host key errors", () => {
  it("mismatch: the OpenSSH headline, the new fingerprint, file:line of the old entry, and the fix", () => {
    const fp = fingerprint(k("ed2").blob);
    const e = new HostKeyMismatchError("c1-node1", "198.18.0.11", "ssh-ed25519", fp, "/lab/known_hosts", 2);
    expect(e.message).toContain("REMOTE HOST IDENTIFICATION HAS CHANGED");
    expect(e.message).toContain(fp);
    expect(e.message).toContain("/lab/known_hosts:2");
    expect(e.message).toContain("ssh-keygen -R '198.18.0.11' -f /lab/known_hosts");
    expect(e.message.split("\n")).toHaveLength(2);
    expect(e.unreachable).toBe(true);
  });

  it("unknown: the fingerprint and both ways to fix it", () => {
    const fp = fingerprint(k("ed1").blob);
    const e = new HostKeyUnknownError(
      "c1-node1",
      "[198.18.0.11]:2222",
      "ssh-ed25519",
      fp,
      "/lab/known_hosts",
    );
    expect(e.message).toMatch(/^c1-node1: host key of \[198\.18\.0\.11\]:2222 is not in \/lab\/known_hosts/);
    expect(e.message).toContain(`ssh-ed25519 ${fp}`);
    expect(e.message).toContain("--accept-new-host-keys");
    expect(e.message).toContain("ssh-keyscan -t ed25519 -p 2222 198.18.0.11 >> /lab/known_hosts");
  });

  it("revoked", () => {
    const e = new HostKeyRevokedError("n", "198.18.0.11", "ssh-ed25519", "SHA256:x", "/kh", 5);
    expect(e.message).toContain("@revoked in /kh:5");
  });
});
