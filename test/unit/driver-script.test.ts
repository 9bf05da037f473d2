import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { driverScript, withoutComments } from "../../src/exec/driver.js";
import { factsScript, readbackScript } from "../../src/facts/script.js";
import type { IfName, Ipv4 } from "../../src/net/addr.js";

const params = { device: "mshvx0" as IfName, routeProtocol: 77, localIp: "198.18.0.11" as Ipv4 };

describe("the driver script sent to every node", () => {
  it("carries no comment line, and is the commented source less exactly those lines", () => {
    const d = driverScript({ facts: factsScript(params), readback: readbackScript(params) });
    const lines = d.split("\n");
    expect(lines.filter((l) => /^\s*#/.test(l))).toEqual([]);
    // sh parses it (dash, like most nodes' /bin/sh)
    execFileSync("sh", ["-n", "-c", d]);
    // every facts line that is not a comment is still there, in order
    const kept = factsScript(params)
      .split("\n")
      .filter((l) => !/^\s*#/.test(l));
    let at = 0;
    for (const l of kept) {
      const i = lines.indexOf(l, at);
      expect(i, l).toBeGreaterThanOrEqual(at);
      at = i + 1;
    }
  });

  it("keeps a here-document's lines, '#' ones included, and a '#' after code", () => {
    const s = [
      "# top",
      "cat <<EOF",
      "# data",
      "  # more data",
      "EOF",
      "  # indented comment",
      "echo '#x' # tail",
    ].join("\n");
    expect(withoutComments(s)).toBe(
      ["cat <<EOF", "# data", "  # more data", "EOF", "echo '#x' # tail"].join("\n"),
    );
    expect(execFileSync("sh", ["-c", withoutComments(s)]).toString()).toBe("# data\n  # more data\n#x\n");
  });
});
