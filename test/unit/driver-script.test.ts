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

  it("every node's driver is the same frame around its own facts and read-back, with its own lock wait", () => {
    const other = { ...params, device: "vx.9" as IfName, localIp: "198.18.7.7" as Ipv4 };
    const a = driverScript({ facts: factsScript(params), readback: readbackScript(params) });
    const b = driverScript({ facts: factsScript(other), readback: readbackScript(other) });
    const strip = (d: string, p: typeof params) =>
      d
        .replace(withoutComments(factsScript(p)), "FACTS")
        .replace(withoutComments(readbackScript(p)), "READBACK");
    expect(strip(a, params)).toBe(strip(b, other));
    expect(strip(a, params)).toMatch(/^facts\(\) \(\nFACTS\n\)\nreadback\(\) \(\nREADBACK\n\)$/m);
    expect(a).toContain("flock -w 30 9 ||");
    const quick = driverScript({ facts: factsScript(params), readback: readbackScript(params) }, 2.7);
    expect(quick).toContain("flock -w 2 9 ||");
    expect(quick.replace("flock -w 2 9", "flock -w 30 9")).toBe(a);
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
