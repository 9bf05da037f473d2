/**
 * The edges of reading the script's output as a whole, message by message: sections (split.ts), the
 * JSON values of a batch and ip's status (split-batch.ts), the shell-read sections (params, session,
 * persist). Every input is built inside its test.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FactsParseError } from "../../src/facts/errors.js";
import { parseFacts } from "../../src/facts/index.js";
import { parsePersist } from "../../src/facts/sections/persist.js";
import { parseParams, sessionSection } from "../../src/facts/sections/system.js";
import type { Draft } from "../../src/facts/sections/types.js";
import { splitSections } from "../../src/facts/split.js";
import { jsonValues, parseStatus, splitBatch } from "../../src/facts/split-batch.js";

function error(f: () => unknown): { section: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof FactsParseError) return { section: e.section, message: e.message };
    throw e;
  }
  throw new Error("no FactsParseError");
}

describe("sections", () => {
  it("the marker alone, or a marker and sections without @@end: truncated, naming where it stops", () => {
    expect(error(() => splitSections("@@meshctl-facts 2\n"))).toStrictEqual({
      section: "end",
      message:
        "cannot read node facts: section @@end: the output stops in @@meshctl-facts before @@end: truncated (script interrupted or connection lost)",
    });
    expect(error(() => splitSections("@@meshctl-facts 2\n@@caps\nx\n")).message).toContain(
      "the output stops in @@caps before @@end",
    );
  });

  it("an ip status without a stderr section reads as ip having said nothing", () => {
    const s = splitSections("@@meshctl-facts 2\n@@ip-status 0\n@@ip-batch a b\n[]\n[1]\n@@end\n");
    expect([...s]).toStrictEqual([
      ["a", "[]"],
      ["b", "[1]"],
    ]);
  });
});

describe("optional sections", () => {
  it("output captured before @@connected, @@persist and @@session existed still parses, without them", () => {
    const text = readFileSync(
      new URL("../fixtures/facts/a-configured.iproute2-4.11.out", import.meta.url),
      "utf8",
    );
    const full = parseFacts(text);
    expect(full.connected).toHaveLength(1);
    expect(full.persist).toStrictEqual({ systemd: true, files: [] });
    const old = parseFacts(text.replace(/^@@(connected|persist|session)\n[\s\S]*?(?=^@@)/gm, ""));
    for (const k of ["connected", "persist", "sshClient"]) expect(old).not.toHaveProperty(k);
    expect(old.device).toStrictEqual(full.device);
  });
});

describe("the JSON values of a batch", () => {
  it("a backslash escapes the next character inside a string", () => {
    expect(jsonValues('[{"ifalias":"a\\"]["}] [{"x":"\\\\"}]')).toStrictEqual({
      values: ['[{"ifalias":"a\\"]["}]', '[{"x":"\\\\"}]'],
      stray: "",
    });
  });

  it("an unterminated value is stray text, with anything between values", () => {
    expect(jsonValues('[1] Error: x [{"a":[2]')).toStrictEqual({
      values: ["[1]"],
      stray: 'Error: x [{"a":[2]',
    });
  });

  it("ip's stderr and the stray text are both quoted, space-separated", () => {
    expect(
      error(() => splitBatch("ip-batch", ["a", "b"], "[] oops", { rc: 1, stderr: "Error: x" })),
    ).toStrictEqual({
      section: "b",
      message: 'cannot read node facts: section @@b: ip -batch failed here (exit 1): "Error: x oops"',
    });
  });

  it("a status that is not a number is quoted as printed", () => {
    expect(error(() => parseStatus("abc", "")).message).toBe(
      'cannot read node facts: section @@ip-status: expected ip\'s exit status, got "abc"',
    );
    expect(error(() => parseStatus(undefined, "")).message).toBe(
      'cannot read node facts: section @@ip-status: expected ip\'s exit status, got ""',
    );
  });
});

describe("sections the shell reads", () => {
  it("params that are not JSON are quoted", () => {
    const e = error(() => parseParams("{nope\n"));
    expect(e.section).toBe("params");
    expect(e.message).toMatch(/^cannot read node facts: section @@params: not JSON \(.+\): "\{nope"$/);
  });

  it("the session's client: IPv4, IPv4-mapped IPv6, nothing else", () => {
    const client = (text: string) => {
      const d = { sysctl: {} } as Draft;
      sessionSection.parse(text, d);
      return d.sshClient;
    };
    expect(client("198.18.0.1 52144 198.18.250.2 22\n")).toBe("198.18.0.1");
    expect(client("  ::FFFF:198.18.0.1 52144 ::ffff:198.18.250.2 22")).toBe("198.18.0.1");
    expect(client("fd00::1 52144 fd00::2 22")).toBeUndefined();
    expect(client("\n")).toBeUndefined();
  });

  it("persist: a file the glob matched with a blank in its name is named, with what to do", () => {
    const out = "systemd 1\n@ boot file /var/lib/meshctl/mshvx0@1 copy.ip\n";
    expect(error(() => parsePersist(out))).toStrictEqual({
      section: "persist",
      message:
        'cannot read node facts: section @@persist: "/var/lib/meshctl/mshvx0@1 copy.ip" is named like meshctl\'s boot files but is not one (meshctl writes <device>@<n>.ip and .bridge, plain names only): move it out of /var/lib/meshctl',
    });
  });

  it("persist: an unknown line and a file without its hash are refused by section", () => {
    expect(error(() => parsePersist("systemd 1\n@ unit maybe /etc/x"))).toStrictEqual({
      section: "persist",
      message: 'cannot read node facts: section @@persist: unexpected line "@ unit maybe /etc/x"',
    });
    const unit = "/etc/systemd/system/meshctl-mshvx0.service";
    expect(error(() => parsePersist(`systemd 1\n@ unit file ${unit}`))).toStrictEqual({
      section: "persist",
      message: `cannot read node facts: section @@persist: no SHA-256 of ${unit} (sha256sum, from coreutils, is needed)`,
    });
  });
});
