/**
 * The driver's cache of `ip -V` (src/exec/caps-cache.ts, #15): probed once while the key (the facts' ip's
 * path and stat identity) stays the same, probed again when it changes, and never trusted when cut short,
 * keyed by nothing, or not iproute2's. Run with a stub `ip` shell function that logs every `ip -V`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CAPS_CACHED, IP_CANDIDATES } from "../../src/exec/caps-cache.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "meshctl-caps-cache-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const V61 = "ip utility, iproute2-6.1.0, libbpf 1.1.2";
const V411 = "ip utility, iproute2-ss170501";
const KEY = "/usr/sbin/ip 2049:1234:780296:1764590000";

/** Runs the fragment with $D = the temp dir; returns the probes made, $caps_ip and $caps_mode. */
function run(ipkey: string, version: string): { probes: number; ip: string; mode: string } {
  const log = join(dir, "probes");
  writeFileSync(log, "");
  const out = execFileSync(
    "sh",
    [
      "-c",
      `ip() { echo x >>"$LOG"; echo "$VER"; }
D=$DIR; ipkey=$KEY
${CAPS_CACHED}
printf '%s\\n%s\\n' "$caps_ip" "$caps_mode"`,
    ],
    { encoding: "utf8", env: { LOG: log, VER: version, DIR: dir, KEY: ipkey } },
  );
  const [ip = "", mode = ""] = out.split("\n");
  return { probes: readFileSync(log, "utf8").split("\n").filter(Boolean).length, ip, mode };
}
const cache = () => readFileSync(join(dir, "caps"), "utf8");

describe("ip -V, cached by the identity of the ip binary", () => {
  it("probes once, then reads the cache while the key stays the same", () => {
    expect(run(KEY, V61)).toEqual({ probes: 1, ip: V61, mode: "json" });
    expect(cache()).toBe(`${KEY}\n${V61}\nend\n`);
    // the stub now answers differently: a cache hit never asks it
    expect(run(KEY, V411)).toEqual({ probes: 0, ip: V61, mode: "json" });
  });

  it("probes again when the key changes (an upgrade writes a new file) and keeps the new answer", () => {
    run(KEY, V61);
    const upgraded = KEY.replace("1234", "5678");
    expect(run(upgraded, V411)).toEqual({ probes: 1, ip: V411, mode: "text" });
    expect(cache()).toBe(`${upgraded}\n${V411}\nend\n`);
    expect(run(KEY, V61).probes).toBe(1); // the old key is gone
  });

  it("ignores a cache cut short or with another key, and keeps nothing without a key", () => {
    writeFileSync(join(dir, "caps"), `${KEY}\n${V411}\n`); // no end line
    expect(run(KEY, V61)).toEqual({ probes: 1, ip: V61, mode: "json" });
    expect(run("", V411)).toEqual({ probes: 1, ip: V411, mode: "text" });
    expect(cache()).toBe(`${KEY}\n${V61}\nend\n`); // untouched by the run without a key
  });

  it("never keeps an answer that is not iproute2's, and never writes through a link", () => {
    expect(run(KEY, "sh: 1: ip: not found")).toEqual({ probes: 1, ip: "sh: 1: ip: not found", mode: "text" });
    expect(() => cache()).toThrow(/ENOENT/);
    const elsewhere = join(dir, "elsewhere");
    writeFileSync(elsewhere, `${KEY}\n${V411}\nend\n`);
    symlinkSync(elsewhere, join(dir, "caps"));
    expect(run(KEY, V61)).toEqual({ probes: 1, ip: V61, mode: "json" });
    expect(readFileSync(elsewhere, "utf8")).toBe(`${KEY}\n${V411}\nend\n`);
  });

  it("looks for ip where the facts' PATH does, in the same order", () => {
    expect(IP_CANDIDATES).toEqual([
      "/usr/local/sbin/ip",
      "/usr/local/bin/ip",
      "/usr/sbin/ip",
      "/usr/bin/ip",
      "/sbin/ip",
      "/bin/ip",
    ]);
  });
});
