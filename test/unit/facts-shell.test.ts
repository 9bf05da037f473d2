/**
 * The sections the facts script reads with the shell itself (sysctls from /proc/sys, bound UDP ports from
 * /proc/net/udp, the SSH client from $1, the boot persistence), run for real by /bin/sh on this machine,
 * with a stand-in for `ip` and `bridge` (test/support/fake-iproute2.mjs; no root). Each value must equal
 * what the test reads from /proc itself. The links whose sysctls are read: the device and the named
 * underlay by name, the local IP's holder as `ip` listed it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FactsScriptParams, factsScript, parseFacts } from "../../src/facts/index.js";
import { ifName, ipv4 } from "../../src/net/addr.js";

const FAKE = join(import.meta.dirname, "..", "support", "fake-iproute2.mjs");

/** The facts of `p`, read by /bin/sh here; `$1` is what the SSH session would pass. Nothing on stderr. */
function facts(p: FactsScriptParams, arg1 = "") {
  const stubs = `ip() { '${process.execPath}' '${FAKE}' ip "$@"; }\nbridge() { '${process.execPath}' '${FAKE}' bridge "$@"; }\n`;
  const r = spawnSync("/bin/sh", ["-c", stubs + factsScript(p), "sh", arg1], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return parseFacts(r.stdout);
}

/** What /proc/sys says for the sysctls of these links (a link without the file is not listed). */
function sysctlsOf(links: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  const read = (file: string, key: string) => {
    const path = `/proc/sys/net/ipv4/${file}`;
    if (existsSync(path)) out[`net.ipv4.${key}`] = Number(readFileSync(path, "utf8").trim());
  };
  read("ip_forward", "ip_forward");
  for (const n of ["all", "default", ...links]) read(`conf/${n}/rp_filter`, `conf.${n}.rp_filter`);
  for (const n of links) read(`conf/${n}/forwarding`, `conf.${n}.forwarding`);
  return out;
}

describe("the shell-read sections, run for real", () => {
  it("sysctls of the device and of the named underlay, by name (no link holds the local IP)", () => {
    const params = { routeProtocol: 77, localIp: ipv4("198.18.0.99") };
    const device = facts({ ...params, device: ifName("lo") });
    expect(device.sysctl).toStrictEqual(sysctlsOf(["lo"]));
    expect(device.sysctl["net.ipv4.conf.lo.rp_filter"]).toBeTypeOf("number");
    expect(device.sysctl["net.ipv4.ip_forward"]).toBeTypeOf("number");
    const underlay = facts({ ...params, device: ifName("mshvx9"), underlayDev: ifName("lo") });
    expect(underlay.sysctl).toStrictEqual(sysctlsOf(["lo"]));
    expect(facts({ ...params, device: ifName("mshvx9") }).sysctl).toStrictEqual(sysctlsOf([]));
  });

  it("sysctls of the local IP's holder, found in ip's listing (the device absent here)", () => {
    const f = facts({ device: ifName("mshvx9"), routeProtocol: 77, localIp: ipv4("127.0.0.1") });
    expect(f.underlay?.name).toBe("lo");
    expect(f.sysctl).toStrictEqual(sysctlsOf(["lo"]));
    expect(Object.keys(f.sysctl)).toContain("net.ipv4.conf.lo.forwarding");
  });

  it("a bound UDP port, the SSH client from $1, no boot persistence", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    try {
      const port = socket.address().port;
      const f = facts(
        { device: ifName("lo"), routeProtocol: 77, localIp: ipv4("198.18.0.11") },
        "198.18.0.1 52144 198.18.0.11 22",
      );
      expect(f.udpPorts).toContain(port);
      expect(f.udpPorts.every((p) => Number.isInteger(p) && p > 0 && p < 65536)).toBe(true);
      expect(f.sshClient).toBe("198.18.0.1");
      const systemd =
        existsSync("/run/systemd/system") ||
        execFileSync("sh", ["-c", "command -v systemctl || true"], { encoding: "utf8" }).trim() !== "";
      expect(f.persist).toStrictEqual({ systemd, files: [] });
    } finally {
      socket.close();
    }
  });

  it("without $1 (not over SSH) there is no client", () => {
    const f = facts({ device: ifName("lo"), routeProtocol: 77, localIp: ipv4("198.18.0.11") });
    expect(f).not.toHaveProperty("sshClient");
  });
});
