/**
 * `ip -V` runs once per node session (#11): the driver detects iproute2's capabilities before the facts,
 * and neither the facts nor the read-back (subshells inheriting them) start `ip -V` again. A script run
 * alone still detects for itself. Run with stub `ip`/`bridge` shell functions that log every call.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CAPS_CACHED } from "../../src/exec/caps-cache.js";
import { driverScript } from "../../src/exec/driver.js";
import { CAPS_DETECT } from "../../src/facts/caps.js";
import { factsScript, readbackScript } from "../../src/facts/script.js";
import { ifName, ipv4 } from "../../src/net/addr.js";

// "lo": a device that exists wherever the test runs, so the guarded sections (bridge fdb) run too
const params = { device: ifName("lo"), routeProtocol: 77, localIp: ipv4("198.18.250.2") };

/** Runs `body` with stub tools; returns every ip/bridge call (one line each) and stdout. */
function run(body: string, version: string): { calls: string[]; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "meshctl-caps-"));
  const log = join(dir, "calls");
  const stubs = `ip() { echo "ip $*" >>"$LOG"; case "$1" in -V) echo '${version}' ;; *) cat >/dev/null; echo '[]' ;; esac; }
bridge() { echo "bridge $*" >>"$LOG"; echo '[]'; }
: >"$LOG"
`;
  try {
    const out = execFileSync("sh", ["-c", stubs + body], { encoding: "utf8", env: { LOG: log } });
    return { calls: readFileSync(log, "utf8").trim().split("\n"), out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("iproute2 capabilities are probed once per session", () => {
  for (const [name, version, mode] of [
    ["JSON (6.1)", "ip utility, iproute2-6.1.0, libbpf 1.1.2", "json"],
    ["text (4.11)", "ip utility, iproute2-ss170501", "text"],
  ] as const) {
    it(`as the driver runs them: detect, facts, read-back → one ip -V (${name})`, () => {
      const { calls, out } = run(
        `${CAPS_DETECT}\n(\n${factsScript(params)}\n)\n(\n${readbackScript(params)}\n)\n`,
        version,
      );
      expect(calls.filter((c) => c === "ip -V")).toHaveLength(1);
      // both scripts still report what was detected
      expect(out.match(new RegExp(`^mode ${mode}$`, "gm"))).toHaveLength(2);
      expect(out.match(new RegExp(`^${version}$`, "gm"))).toHaveLength(2);
      if (mode === "json") {
        // facts: ip -batch + bridge; read-back: ip -batch + bridge
        expect(calls.filter((c) => c !== "ip -V")).toHaveLength(4);
      }
    });
  }

  it("a facts script run alone detects for itself", () => {
    const { calls, out } = run(factsScript(params), "ip utility, iproute2-6.1.0");
    expect(calls.filter((c) => c === "ip -V")).toHaveLength(1);
    expect(out).toMatch(/^mode json$/m);
  });

  it("the driver detects once (from its cache, src/exec/caps-cache.ts), under the lock, before the facts", () => {
    const d = driverScript({ facts: factsScript(params), readback: readbackScript(params) });
    const detect = d.indexOf(CAPS_CACHED);
    expect(detect).toBeGreaterThan(d.indexOf("flock -w"));
    expect(detect).toBeLessThan(d.indexOf("\nemit_facts facts"));
    // the facts and read-back functions hold only the guarded probe
    expect(d.split("caps_ip=$(ip -V 2>&1)").length - 1).toBe(2);
    expect(d.split(`if [ -z "\${caps_mode-}" ]; then`).length - 1).toBe(2);
  });
});
