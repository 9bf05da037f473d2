/**
 * meshctl's routes are the ones carrying its protocol id, in any table (README "Ownership"). The real facts
 * and read-back scripts run here against a stand-in for iproute2 that filters like iproute2 does, so a script
 * that stopped asking for `proto N` would report every route of the node as meshctl's.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FactsScriptParams, factsScript, parseFacts, parseReadback } from "../../src/facts/index.js";
import { readbackScript } from "../../src/facts/script.js";
import { ifName, ipv4 } from "../../src/net/addr.js";

const FAKE = join(import.meta.dirname, "..", "support", "fake-iproute2.mjs");
const STUBS = `ip() { '${process.execPath}' '${FAKE}' ip "$@"; }\nbridge() { '${process.execPath}' '${FAKE}' bridge "$@"; }\n`;
const params: FactsScriptParams = {
  device: ifName("mshvx0"),
  routeProtocol: 77,
  localIp: ipv4("198.18.0.11"),
};
const sh = (script: string) => execFileSync("sh", ["-c", STUBS + script], { encoding: "utf8" });
const run = (script: string) => parseFacts(sh(script));
const show = (rs: readonly { table: string; dst: string; protocol: number | string }[]) =>
  rs.map((r) => `${r.table} ${r.dst} ${r.protocol}`);

describe("facts: which routes are meshctl's", () => {
  it("factsScript: only routes with protocol 77, from every table; the main table's others are foreign", () => {
    const f = run(factsScript(params));
    expect(show(f.routes)).toEqual(["main 198.18.32.0/26 77", "100 198.18.40.0/26 77"]);
    expect(show(f.foreignRoutes)).toEqual(["main 0.0.0.0/0 boot", "main 198.18.48.0/26 static"]);
    expect(f.underlay?.name).toBe("eth0");
  });

  it("another protocol id selects other routes", () => {
    const f = run(factsScript({ ...params, routeProtocol: 99 }));
    expect(show(f.routes)).toEqual(["7 198.18.64.0/26 99"]);
  });

  it("readbackScript: the same routes", () => {
    expect(show(parseReadback(sh(readbackScript(params)), run(factsScript(params))).routes)).toEqual([
      "main 198.18.32.0/26 77",
      "100 198.18.40.0/26 77",
    ]);
  });
});
