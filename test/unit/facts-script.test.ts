import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  FACTS_MARKER,
  type FactsScriptParams,
  factsScript,
  READBACK_SECTIONS,
  readbackScript,
  SECTIONS,
} from "../../src/facts/index.js";
import { type IfName, type Ipv4, ifName, ipv4 } from "../../src/net/addr.js";

const base: FactsScriptParams = {
  device: ifName("mshvx0"),
  routeProtocol: 77,
  localIp: ipv4("198.18.250.2"),
};

/** `tool [options] sub verb …` of every ip/bridge command line (batch lines: `queue NAME 'sub verb …'`). */
function commands(text: string): string[] {
  const re =
    /\b(ip|bridge)((?: (?:-[a-z0-9]+|\$[a-z]+))*) ([a-z]+) ([a-z]+)|queue(?:_route)? [a-z-]+ '([a-z]+) ([a-z]+)/g;
  return [...text.matchAll(re)].map((m) =>
    m[1] === undefined ? `batch: ${m[5]} ${m[6]}` : `${m[1]}${m[2]} ${m[3]} ${m[4]}`,
  );
}

describe("factsScript", () => {
  it("probes the node's iproute2 first, then prints every section between the marker and @@end", () => {
    const script = factsScript({ ...base, underlayDev: ifName("eth0") });
    expect(script).toContain(`echo '${FACTS_MARKER}'`);
    expect(script.indexOf("ip -V")).toBeLessThan(script.indexOf("@@params"));
    for (const s of SECTIONS.filter((x) => x.name !== "params"))
      expect(script.includes(`@@${s.name}`) || script.includes(` ${s.name} '`), s.name).toBe(true);
  });

  it("echoes its parameters as JSON", () => {
    const script = factsScript({ ...base, underlayDev: ifName("eth0") });
    expect(script).toContain(
      `echo '{"device":"mshvx0","routeProtocol":77,"localIp":"198.18.250.2","underlayDev":"eth0"}'`,
    );
  });

  it("every ip read joins ONE `ip -batch` process, json and text mode alike (with `ip -V` and bridge: 3)", () => {
    const script = factsScript({ ...base, underlayDev: ifName("eth0") });
    expect(commands(script)).toEqual([
      "batch: addr show",
      "batch: addr show",
      "batch: addr show",
      "batch: addr show",
      "batch: neigh show",
      "batch: route show",
      "batch: route show",
      "batch: route show",
      "bridge $bo fdb show",
    ]);
    expect(script.match(/-batch -/g)).toHaveLength(1);
    expect(script).toContain("{ o=$(ip $ipo -batch - 2>&3 3>&- <<EOF");
    expect(script).toContain("ipo='-d -j' bo=-j hdr=ip-batch sep=\n");
    expect(script).toContain("ipo=-d bo= hdr=ip-text sep='route get 127.0.0.1'");
    expect(script).toContain("route show table main dev mshvx0 proto kernel");
  });

  it("asks only for what meshctl needs: never a dump of every link, never `-4` on a link read", () => {
    const script = factsScript({ ...base, underlayDev: ifName("eth0") });
    expect(script).not.toMatch(/addr show 2>|addr show'|link show 2>/);
    expect(script).toContain("addr show dev mshvx0");
    expect(script).toContain("addr show type vxlan");
    expect(script).toContain("addr show to 198.18.250.2/32");
    expect(script).toContain("addr show dev eth0");
    expect(script).not.toMatch(/ip -4/);
    // rp_filter of the links listed only, not of every interface
    expect(script).not.toContain("conf/*/rp_filter");
  });

  it("is valid sh (dash) and read-only", () => {
    const script = factsScript({ ...base, underlayDev: ifName("eth0") });
    execFileSync("sh", ["-n", "-c", script]);
    expect(script).not.toMatch(/>\s*\/(?!dev\/null)/);
    for (const c of commands(script)) expect(c).toMatch(/ show$/);
  });

  it("asks for the underlay only when one is named", () => {
    const s = factsScript(base);
    expect(s).toContain("hasu=; :\n");
    expect(factsScript({ ...base, underlayDev: ifName("eth0") })).toContain(
      "[ -e '/sys/class/net/eth0' ] && hasu=1",
    );
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

describe("factsScript: the bounds of what it accepts", () => {
  it("protocols 1 and 255, and a valid underlay name", () => {
    expect(factsScript({ ...base, routeProtocol: 1 })).toContain("'route show table all proto 1'");
    expect(factsScript({ ...base, routeProtocol: 255 })).toContain("'route show table all proto 255'");
    expect(factsScript({ ...base, underlayDev: ifName("eth0.100") })).toContain("'/sys/class/net/eth0.100'");
  });
});

describe("readbackScript", () => {
  it("is valid sh and read-only, and prints only the read-back sections", () => {
    const script = readbackScript(base);
    execFileSync("sh", ["-n", "-c", script]);
    expect(READBACK_SECTIONS.map((s) => s.name)).toEqual([
      "params",
      "device",
      "neigh",
      "fdb",
      "routes",
      "connected",
      "persist",
    ]);
    expect(commands(script)).toEqual([
      "batch: addr show",
      "batch: neigh show",
      "batch: route show",
      "batch: route show",
      "bridge $bo fdb show",
    ]);
  });

  it("refuses unvalidated values like factsScript", () => {
    expect(() => readbackScript({ ...base, device: "x; rm -rf /" as IfName })).toThrow(/refusing/);
  });
});
