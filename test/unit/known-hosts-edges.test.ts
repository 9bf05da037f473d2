/**
 * known_hosts: what each bad line is told, the hashed-host and key-type edges, which old entry a mismatch
 * names, and the file and store around it (missing vs unreadable, 0600 on creation, loaded once per path).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkHostKey,
  entryMatches,
  formatKnownHostsLine,
  KnownHostsFile,
  KnownHostsStore,
  knownKeyTypes,
  parseKnownHosts,
} from "../../src/exec/ssh/known-hosts.js";
import { type Key, keygen, knownHostsLine as line } from "../support/ssh-keys.js";

let dir: string;
const keys: Record<string, Key> = {};
const k = (name: string): Key => keys[name] as Key;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "meshctl-kh-edges-"));
  keys.ed1 = keygen(dir, "ed1", "ed25519");
  keys.ed2 = keygen(dir, "ed2", "ed25519");
  keys.ec = keygen(dir, "ec", "ecdsa", 256);
  keys.ec384 = keygen(dir, "ec384", "ecdsa", 384); // its base64 ends in "=="
  keys.rsa = keygen(dir, "rsa", "rsa", 2048);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const problems = (text: string) => parseKnownHosts(text, "/kh").problems;
const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64");

describe("what each bad line is told", () => {
  it("garbage, a key that is not SSH base64, an unknown marker, a type that does not match", () => {
    const starred = `${k("ed1").b64.slice(0, 10)}*${k("ed1").b64.slice(10)}`; // Buffer.from skips the *
    expect(
      problems(
        [
          "garbage",
          "198.18.0.12 ssh-ed25519 notbase64!!",
          `198.18.0.12 ssh-ed25519 ${starred}`,
          `@weird 198.18.0.13 ${k("ed1").type} ${k("ed1").b64}`,
          `198.18.0.16 ssh-rsa ${k("ed1").b64}`,
          `198.18.0.17 ssh-ed25519 ${k("rsa").b64}`, // an RSA key under another type's name
          `198.18.0.18 rsa-sha2-256 ${k("ed1").b64}`, // rsa-sha2-* names only an ssh-rsa key
        ].join("\n"),
      ),
    ).toEqual([
      { line: 1, message: "expected: [marker] hosts keytype base64-key [comment]" },
      { line: 2, message: "the key is not valid base64 of an SSH public key" },
      { line: 3, message: "the key is not valid base64 of an SSH public key" },
      { line: 4, message: "unknown marker @weird" },
      { line: 5, message: "key type ssh-rsa does not match the key (ssh-ed25519)" },
      { line: 6, message: "key type ssh-ed25519 does not match the key (ssh-rsa)" },
      { line: 7, message: "key type rsa-sha2-256 does not match the key (ssh-ed25519)" },
    ]);
  });

  it("padding '==' written in full or left out is the same key", () => {
    const full = k("ec384").b64;
    expect(full.endsWith("==")).toBe(true);
    const p = parseKnownHosts(
      `198.18.0.20 ${k("ec384").type} ${full}\n198.18.0.21 ${k("ec384").type} ${full.replace(/=+$/, "")}\n`,
      "/kh",
    );
    expect(p.problems).toEqual([]);
    expect(p.entries.map((e) => e.key.equals(k("ec384").blob))).toEqual([true, true]);
  });

  it("fields apart by several spaces or tabs; empty host patterns dropped", () => {
    const p = parseKnownHosts(`198.18.0.14,,198.18.0.15,  \t${k("ec").type}   ${k("ec").b64}  c\n`, "/kh");
    expect(p.problems).toEqual([]);
    expect(p.entries[0]?.hosts).toEqual({ kind: "patterns", patterns: ["198.18.0.14", "198.18.0.15"] });
  });

  it("a hashed host is exactly |1|salt|hash", () => {
    const tail = `${k("ed1").type} ${k("ed1").b64}`;
    const malformed = { message: "malformed hashed host (expected |1|salt|hash)" };
    expect(problems(`|0|1|${b64(20)}|${b64(20)} ${tail}\n|1|${b64(20)}|${b64(20)}|x ${tail}`)).toEqual([
      { line: 1, ...malformed },
      { line: 2, ...malformed },
    ]);
  });
});

describe("matching and verdicts", () => {
  it("host patterns match whatever their case (the lookup name is lower-cased)", () => {
    const [e] = parseKnownHosts(line("NODE-1.Lab,[Node-2]:2222", k("ed1")), "/kh").entries;
    if (!e) throw new Error("no entry");
    expect(entryMatches(e, "node-1.lab")).toBe(true);
    expect(entryMatches(e, "[node-2]:2222")).toBe(true);
    expect(entryMatches(e, "node-3.lab")).toBe(false);
  });

  it("a mismatch names the old entry of the offered key's type, not merely the host's first", () => {
    const entries = parseKnownHosts([line("h", k("ec")), line("h", k("ed1"))].join("\n"), "/kh").entries;
    expect(checkHostKey(entries, "h", k("ed2").blob)).toMatchObject({ kind: "mismatch", entry: { line: 2 } });
    expect(checkHostKey(entries, "h", k("rsa").blob)).toMatchObject({ kind: "mismatch", entry: { line: 1 } });
  });

  it("a blob without a readable type is written as 'unknown'", () => {
    expect(formatKnownHostsLine("h", Buffer.from([0, 0, 0, 9, 1]))).toBe("h unknown AAAACQE=");
  });
});

describe("KnownHostsFile and KnownHostsStore", () => {
  it("a file it creates is 0600; the appended entry is known at once with its key type", async () => {
    const file = join(dir, "fresh", "known_hosts");
    const kh = await KnownHostsFile.load(file);
    await kh.append("198.18.0.11", k("ec").blob);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(kh.problems).toEqual([]);
    expect(kh.entries.map((e) => [e.line, e.keyType])).toEqual([[1, "ecdsa-sha2-nistp256"]]);
    expect(knownKeyTypes(kh.entries, "198.18.0.11")).toEqual(["ecdsa-sha2-nistp256"]);
    expect(kh.check("198.18.0.11", k("ed1").blob).kind).toBe("mismatch");
    expect(readFileSync(file, "utf8")).toBe(`198.18.0.11 ${k("ec").type} ${k("ec").b64}\n`);
  });

  it("only a missing file is empty: an unreadable one is an error", async () => {
    const notAFile = join(dir, "a-directory");
    mkdirSync(notAFile);
    await expect(KnownHostsFile.load(notAFile)).rejects.toMatchObject({ code: "EISDIR" });
  });

  it("the store loads a path once, and forgets a failed load so the next get tries again", async () => {
    const store = new KnownHostsStore();
    const file = join(dir, "stored");
    const first = await store.get(file);
    expect(await store.get(file)).toBe(first);
    expect(await store.get(join(dir, "other"))).not.toBe(first);
    const later = join(dir, "later");
    mkdirSync(later);
    await expect(store.get(later)).rejects.toMatchObject({ code: "EISDIR" });
    rmSync(later, { recursive: true });
    expect((await store.get(later)).entries).toEqual([]);
  });
});
