/** The diagnose output parser: real output captured in the lab, plus firewall listings. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseDiagnoseOutput, parseIptables, parseNft } from "../../src/diagnose/parse.js";
import { diagnoseScript, hexPort } from "../../src/diagnose/script.js";
import type { Cidr, IfName, Ipv4 } from "../../src/net/addr.js";
import { fixture } from "../support/diagnose-builders.js";

describe("parseDiagnoseOutput (captured in the lab)", () => {
  it("a converged node: facts, iptables without rules, the device's socket on the port, the mesh's routes only", () => {
    const { facts, extra } = parseDiagnoseOutput(fixture("diagnose-ok.out"));
    expect(facts.device?.vni).toBe(10001);
    expect(extra.iptables).toEqual({
      present: true,
      chains: [
        { source: "iptables", chain: "FORWARD", policyDrop: false, acceptsIn: false, acceptsOut: false },
      ],
    });
    expect(extra.nft).toEqual({ present: false });
    expect(extra.udpSockets).toHaveLength(1);
    expect(extra.udpSockets[0]).toMatchObject({ family: "udp", local: "00000000", uid: 0 });
    expect(extra.rootRoutes.map((r) => r.cidr)).toEqual(["198.18.32.0/20", "198.18.48.0/20"]);
    for (const r of extra.rootRoutes)
      expect(r.routes.every((x) => x.protocol === 77 && x.dev === "mshvx0")).toBe(true);
  });

  it("a broken node: strict rp_filter, forwarding off, shrunk underlay, a foreign link route into a remote block", () => {
    const { facts, extra } = parseDiagnoseOutput(fixture("diagnose-broken.out"));
    expect(facts.sysctl["net.ipv4.ip_forward"]).toBe(0);
    expect(facts.sysctl["net.ipv4.conf.all.rp_filter"]).toBe(1);
    expect(facts.underlay?.mtu).toBe(1400);
    expect(extra.rootRoutes[0]?.routes[0]).toEqual({
      dst: "198.18.16.0/27",
      type: "unicast",
      dev: "eth0",
      protocol: "boot",
      scope: "link",
    });
  });

  it("a node without the device: no sockets, empty route listings", () => {
    const { facts, extra } = parseDiagnoseOutput(fixture("diagnose-device-absent.out"));
    expect(facts.device).toBeUndefined();
    expect(extra.udpSockets).toEqual([]);
    expect(extra.rootRoutes.every((r) => r.routes.length === 0 && r.error === undefined)).toBe(true);
  });

  it("rejects facts without the diagnose part, or cut short", () => {
    const ok = fixture("diagnose-ok.out");
    expect(() => parseDiagnoseOutput(ok.slice(0, ok.indexOf("@@meshctl-diagnose")))).toThrow(
      /no "@@meshctl-diagnose 1"/,
    );
    expect(() => parseDiagnoseOutput(ok.slice(0, ok.lastIndexOf("@@end")))).toThrow(/before @@end/);
  });
});

describe("firewall listings", () => {
  it("iptables -S FORWARD: the policy, and ACCEPT rules that match the device only", () => {
    expect(parseIptables(["!absent"], "mshvx0")).toEqual({ present: false });
    expect(parseIptables(["-P FORWARD ACCEPT"], "mshvx0")).toEqual({
      present: true,
      chains: [
        { source: "iptables", chain: "FORWARD", policyDrop: false, acceptsIn: false, acceptsOut: false },
      ],
    });
    const docker = [
      "-P FORWARD DROP",
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -i mshvx0 -s 198.18.16.0/20 -j ACCEPT",
      "-A FORWARD -o mshvx0 -j ACCEPT",
    ];
    expect(parseIptables(docker, "mshvx0").present && parseIptables(docker, "mshvx0")).toMatchObject({
      chains: [{ policyDrop: true, acceptsIn: false, acceptsOut: true }],
    });
    expect(parseIptables(["!rc 3", "iptables: can't initialize iptables table `filter'"], "mshvx0")).toEqual({
      present: true,
      error: "iptables: can't initialize iptables table `filter'",
      chains: [],
    });
  });

  it("nft: forward-hook chains with their policy and accept rules naming the device", () => {
    const lines = [
      "table inet filter {",
      "\tchain input {",
      "\tchain forward {",
      "\t\ttype filter hook forward priority filter; policy drop;",
      '\t\tiifname "mshvx0" accept',
      '\t\toifname "mshvx0" counter packets 0 bytes 0 accept',
      "table ip nat {",
      "\tchain postrouting {",
    ];
    expect(parseNft(lines, "mshvx0")).toEqual({
      present: true,
      chains: [
        { source: "nft inet filter", chain: "forward", policyDrop: true, acceptsIn: true, acceptsOut: true },
      ],
    });
    expect(
      parseNft(
        ["table inet fw {", "chain fwd {", "type filter hook forward priority 0; policy drop;"],
        "mshvx0",
      ),
    ).toMatchObject({
      chains: [{ policyDrop: true, acceptsIn: false, acceptsOut: false }],
    });
  });
});

describe("diagnoseScript", () => {
  const params = {
    facts: { device: "mshvx0" as IfName, routeProtocol: 77, localIp: "198.18.0.11" as Ipv4 },
    device: "mshvx0" as IfName,
    port: 4899,
    remoteCidrs: ["198.18.32.0/20" as Cidr],
  };

  it("is the facts script plus its own read-only sections, valid POSIX sh", () => {
    const s = diagnoseScript(params);
    expect(s).toContain("@@meshctl-facts 2");
    expect(s).toContain("*:1323)");
    // in the facts' one `ip -batch`, json and text mode alike (a route listing: `queue_route`)
    expect(s).toContain("queue_route root-198-18-32-0-20 'route show table main root 198.18.32.0/20'");
    expect(s.match(/-batch -/g)).toHaveLength(1);
    expect(s).not.toMatch(/\b(ip|bridge) [^\n]*\b(add|del|replace|set)\b/);
    expect(spawnSync("sh", ["-n"], { input: s }).status).toBe(0);
    expect(hexPort(4789)).toBe("12B5");
  });

  it("refuses untyped values", () => {
    expect(() => diagnoseScript({ ...params, port: 70000 })).toThrow(/refusing/);
    expect(() => diagnoseScript({ ...params, remoteCidrs: ["x'; id; '" as Cidr] })).toThrow(/refusing/);
    expect(() => diagnoseScript({ ...params, device: "$(id)" as IfName })).toThrow(/refusing/);
  });
});
