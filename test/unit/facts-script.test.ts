import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FACTS_MARKER, FACTS_SECTIONS, type FactsScriptParams, factsScript } from "../../src/facts/index.js";
import { readbackScript } from "../../src/facts/script.js";
import { type IfName, type Ipv4, ifName, ipv4 } from "../../src/net/addr.js";

const base: FactsScriptParams = {
  device: ifName("mshvx0"),
  routeProtocol: 77,
  localIp: ipv4("198.18.250.2"),
};

describe("factsScript", () => {
  const script = factsScript({ ...base, underlayDev: ifName("eth0") });

  it("prints every section, in order, between the marker and @@end", () => {
    const printed = [...script.matchAll(/@@([a-z-]+)/g)].map((m) => m[1]);
    expect(printed[0]).toBe("meshctl-facts");
    expect(printed.slice(1)).toEqual([...FACTS_SECTIONS]);
    expect(script).toContain(`echo '${FACTS_MARKER}'`);
  });

  it("echoes its parameters as JSON", () => {
    expect(script).toContain(
      `echo '{"device":"mshvx0","routeProtocol":77,"localIp":"198.18.250.2","underlayDev":"eth0"}'`,
    );
  });

  it("lists every link once (the parser finds the underlay from the local IP) when no underlay is named", () => {
    const s = factsScript(base);
    expect(s).toContain("U=''");
    expect(s.match(/ip -j -d addr show 2>&1/g)).toHaveLength(1);
  });

  it("is valid sh (dash) and read-only: every ip/bridge command is a `show`", () => {
    execFileSync("sh", ["-n", "-c", script]);
    const commands = script
      .split("\n")
      .flatMap((l) => [...l.matchAll(/\b(ip|bridge)((?: -[a-z0-9]+)+) ([a-z]+) ([a-z]+)/g)])
      .map((m) => `${m[1]} ${m[3]} ${m[4]}`);
    // Five processes: links+addresses, neighbours, FDB, meshctl's routes, the main table's global routes.
    expect(commands).toEqual([
      "ip addr show",
      "ip neigh show",
      "bridge fdb show",
      "ip route show",
      "ip route show",
    ]);
    expect(script).not.toMatch(/>\s*\/(?!dev\/null)/);
  });

  it("interpolates only the validated values", () => {
    expect(script).toContain("D='mshvx0'\nL='198.18.250.2'\nP='77'\nU='eth0'\n");
  });

  it.each([
    ["a forged device name", { ...base, device: "x'; reboot; '" as IfName }, /device name/],
    ["a forged underlay", { ...base, underlayDev: "eth0 $(id)" as IfName }, /underlay device name/],
    ["a forged local IP", { ...base, localIp: "198.18.250.2' ; id '" as Ipv4 }, /local IP/],
    ["protocol 0", { ...base, routeProtocol: 0 }, /route protocol 0/],
    ["protocol 256", { ...base, routeProtocol: 256 }, /route protocol 256/],
    ["a fractional protocol", { ...base, routeProtocol: 7.5 }, /route protocol 7.5/],
  ])("refuses %s", (_what, p, message) => {
    expect(() => factsScript(p)).toThrow(message);
  });
});

describe("readbackScript", () => {
  const script = readbackScript(base);

  it("is valid sh and read-only, and prints every section the parser needs", () => {
    execFileSync("sh", ["-n", "-c", script]);
    const commands = [...script.matchAll(/\b(ip|bridge)((?: -[a-z0-9]+)+) ([a-z]+) ([a-z]+)/g)].map(
      (m) => `${m[1]} ${m[3]} ${m[4]}`,
    );
    expect(commands).toEqual(["ip addr show", "ip neigh show", "bridge fdb show", "ip route show"]);
    const printed = new Set([...script.matchAll(/@@([a-z-]+)/g)].map((m) => m[1]));
    for (const s of FACTS_SECTIONS) expect(printed.has(s), s).toBe(true);
  });

  it("refuses unvalidated values like factsScript", () => {
    expect(() => readbackScript({ ...base, device: "x; rm -rf /" as IfName })).toThrow(/refusing/);
  });
});
