/**
 * The edges of reading the `ip -batch` block (src/facts/split-batch.ts): the separator matched strictly,
 * ip's status and stderr, a batch that failed with its separators all there.
 */
import { describe, expect, it } from "vitest";
import { SEPARATOR_LINE } from "../../src/facts/batch.js";
import { splitSections } from "../../src/facts/split.js";
import { parseStatus, splitBatch, textParts } from "../../src/facts/split-batch.js";

const SEP = "local 127.0.0.1 dev lo table local src 127.0.0.1 uid 0 \n    cache <local> ";

describe("the separator line", () => {
  it.each([
    ["local 127.0.0.1 dev lo table main src 127.0.0.1 uid 0 ", true],
    ["local 127.0.0.1 dev lo table local src 127.0.0.1 uid 1000", true], // no trailing space, uid of a user
    ["local 127.0.0.1 dev lo src 127.0.0.1 ", true], // old kernel: no table, no uid
    ["  local 127.0.0.1 dev lo table main src 127.0.0.1 uid 0 ", false],
    ["x local 127.0.0.1 dev lo table main src 127.0.0.1 uid 0 ", false],
    ["local 127.0.0.1 dev lo table main src 127.0.0.1 uid 0 proto 77", false],
    ["local 127.0.0.1 dev lo table local scope host src 127.0.0.1 ", false],
    ["local 127.0.0.1 dev lo table main src 127.0.0.1 uid ", false],
  ])("%j: %s", (line, isSeparator) => {
    expect(SEPARATOR_LINE.test(line)).toBe(isSeparator);
  });

  it("only indented non-blank lines right after it belong to it", () => {
    expect(textParts("    first\nx")).toEqual(["    first\nx"]);
    expect(textParts(`a\n${SEP}\n    cache more\nb\n    detail`)).toEqual(["a", "b\n    detail"]);
    expect(textParts(`a\n${SEP}\n   \nb`)).toEqual(["a", "   \nb"]);
  });
});

describe("ip's status", () => {
  it.each(["1a", "a1", "", "1234"])("refuses %j", (rc) => {
    expect(() => parseStatus(rc, "")).toThrow(/@@ip-status: expected ip's exit status/);
  });

  it("reads the code and the trimmed stderr", () => {
    expect(parseStatus("255", "\nError: x\n\n")).toEqual({ rc: 255, stderr: "Error: x" });
    expect(parseStatus("0", "\n\n")).toEqual({ rc: 0, stderr: "" });
  });

  it("blank stderr lines are no failure; a non-zero status is, even with every separator there", () => {
    expect(splitBatch("ip-text", ["a", "b"], `x\n${SEP}\ny`, { rc: 0, stderr: "" })).toEqual(
      new Map([
        ["a", "x"],
        ["b", "y"],
      ]),
    );
    expect(() => splitBatch("ip-text", ["a", "b"], `x\n${SEP}\ny`, { rc: 1, stderr: "" })).toThrow(
      /section @@b: ip -batch failed here \(exit 1\)$/,
    );
    expect(() => splitBatch("ip-text", ["a", "b"], `x\n${SEP}\ny`, { rc: 0, stderr: "Warning: w" })).toThrow(
      /section @@b: ip -batch failed here: "Warning: w"$/,
    );
    expect(() => splitBatch("ip-batch", ["a"], "[]", { rc: 2, stderr: "" })).toThrow(
      /section @@a: ip -batch failed here \(exit 2\)$/,
    );
  });

  it("an output with @@ip-status and no @@ip-stderr: nothing on stderr", () => {
    const out = `@@meshctl-facts 2\n@@ip-status 0\n@@ip-text a b\nx\n${SEP}\ny\n@@end\n`;
    expect(splitSections(out).get("b")).toBe("y");
  });

  it("no names: nothing to split", () => {
    expect(splitBatch("ip-text", [], "", undefined).size).toBe(0);
  });
});
