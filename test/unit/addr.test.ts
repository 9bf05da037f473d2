import { describe, expect, it } from "vitest";
import {
  cidr,
  cidrBase,
  cidrBounds,
  cidrContainsCidr,
  cidrContainsIp,
  cidrPrefix,
  cidrsOverlap,
  intToIp,
  ipToInt,
  ipv4,
  mac,
  must,
  parseCidr,
  parseDnsLabel,
  parseIfName,
  parseIpv4,
  parseMac,
  routeDstToCidr,
} from "../../src/net/addr.js";

const error = (r: { ok: boolean; error?: string }) => (r.ok ? undefined : r.error);

describe("parseIpv4", () => {
  it.each(["0.0.0.0", "10.0.0.1", "192.168.0.21", "255.255.255.255", "1.2.3.4", "100.99.9.0"])(
    "accepts %s",
    (s) => {
      expect(parseIpv4(s)).toEqual({ ok: true, value: s });
    },
  );

  it.each([
    "010.0.0.1", // leading zero (octal in inet_aton)
    "10.00.0.1",
    "256.0.0.1",
    "10.0.0.256",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4/32",
    "a.b.c.d",
    "-1.2.3.4",
    "0x0a.0.0.1",
    "",
  ])("rejects %j", (s) => {
    expect(error(parseIpv4(s))).toBe(`"${s}" is not an IPv4 address (expected a.b.c.d)`);
  });
});

describe("parseCidr", () => {
  it.each([
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.234.64.0/18",
    "179.17.1.0/24",
    "10.1.2.64/26",
    "198.18.0.1/32",
    "255.255.255.255/32",
    "255.255.255.254/31",
    "128.0.0.0/1",
    "10.0.0.128/25",
  ])("accepts %s", (s) => {
    expect(parseCidr(s)).toEqual({ ok: true, value: s });
  });

  it.each([
    ["10.0.0.1/16", "10.0.0.0/16"],
    ["10.234.111.5/18", "10.234.64.0/18"],
    ["179.17.1.1/24", "179.17.1.0/24"],
    ["1.1.1.1/0", "0.0.0.0/0"],
    ["255.255.255.255/31", "255.255.255.254/31"],
    ["192.0.0.0/1", "128.0.0.0/1"],
    ["10.0.0.64/25", "10.0.0.0/25"],
  ])("%s has host bits set: suggests %s", (s, want) => {
    expect(error(parseCidr(s))).toBe(`"${s}" is not a network address: did you mean ${want}?`);
  });

  it.each([
    "10.0.0.0/33",
    "10.0.0.0/08",
    "10.0.0.0/",
    "10.0.0.0",
    "10.0.0.0/-1",
    "010.0.0.0/8",
    "10.0.0.0/100",
    "x/8",
    "",
  ])("rejects %j as not a CIDR", (s) => {
    expect(error(parseCidr(s))).toBe(`"${s}" is not an IPv4 CIDR (expected a.b.c.d/len)`);
  });

  it("routeDstToCidr normalises host routes printed without /32", () => {
    expect(routeDstToCidr("10.0.0.1")).toEqual({ ok: true, value: "10.0.0.1/32" });
    expect(routeDstToCidr("10.2.0.0/24")).toEqual({ ok: true, value: "10.2.0.0/24" });
    expect(routeDstToCidr("default").ok).toBe(false);
  });
});

describe("parseMac", () => {
  it("accepts a unicast MAC and normalises upper case to lower case", () => {
    expect(parseMac("C2:6A:9B:E5:39:8D")).toEqual({ ok: true, value: "c2:6a:9b:e5:39:8d" });
    expect(parseMac("02:6d:b3:11:01:15")).toEqual({ ok: true, value: "02:6d:b3:11:01:15" });
    expect(parseMac("fe:ff:ff:ff:ff:ff")).toEqual({ ok: true, value: "fe:ff:ff:ff:ff:ff" });
  });

  it.each(["01:00:5e:00:00:01", "33:33:00:00:00:01", "FF:FF:FF:FF:FF:FF", "03:00:00:00:00:00"])(
    "rejects multicast %s",
    (s) => {
      expect(error(parseMac(s))).toContain("is a multicast MAC");
    },
  );

  it("rejects the all-zero MAC", () => {
    expect(error(parseMac("00:00:00:00:00:00"))).toContain("all-zero MAC");
  });

  it.each([
    "02:00:00:00:00",
    "02-00-00-00-00-01",
    "0200.0000.0001",
    "02:00:00:00:00:0g",
    "2:0:0:0:0:1",
    "02:00:00:00:00:01:02",
    "",
  ])("rejects malformed %j", (s) => {
    expect(error(parseMac(s))).toBe(`"${s}" is not a MAC address (expected xx:xx:xx:xx:xx:xx)`);
  });
});

describe("parseIfName", () => {
  it.each(["eth0", "vxlan-mesh", "bond0.100", "a", "e_1", "x".repeat(15)])("accepts %s", (s) => {
    expect(parseIfName(s)).toEqual({ ok: true, value: s });
  });

  it("rejects 16 characters (IFNAMSIZ)", () => {
    expect(error(parseIfName("vxlan-mesh-01234"))).toBe(
      '"vxlan-mesh-01234" is longer than 15 characters (Linux IFNAMSIZ)',
    );
  });

  it.each(["a b", "eth0/1", "eth0:1", "", ".", "..", "eth0;rm", "$(x)", "tab\tx", "eth0\n"])(
    "rejects %j",
    (s) => {
      expect(error(parseIfName(s))).toContain("is not a valid interface name");
    },
  );
});

describe("parseDnsLabel (RFC 1123 names)", () => {
  it.each(["a", "test-cluster1", "multicluster-test-001", "0abc", "a".repeat(63)])("accepts %s", (s) => {
    expect(parseDnsLabel(s).ok).toBe(true);
  });

  it.each(["", "-a", "a-", "A", "Node1", "a_b", "a.b", "a b", "a".repeat(64)])("rejects %j", (s) => {
    expect(error(parseDnsLabel(s))).toContain("is not an RFC 1123 name");
  });
});

describe("must and the throwing shorthands", () => {
  it("unwrap a good value and throw the parser's message for a bad one", () => {
    expect(must(parseIpv4("1.2.3.4"))).toBe("1.2.3.4");
    expect(() => ipv4("1.2.3.256")).toThrow('"1.2.3.256" is not an IPv4 address');
    expect(() => cidr("10.0.0.1/8")).toThrow("did you mean 10.0.0.0/8?");
    expect(mac("AA:BB:CC:DD:EE:F0")).toBe("aa:bb:cc:dd:ee:f0");
  });
});

describe("arithmetic", () => {
  it("ipToInt / intToIp round-trip over the unsigned range", () => {
    expect(ipToInt("0.0.0.0")).toBe(0);
    expect(ipToInt("255.255.255.255")).toBe(2 ** 32 - 1);
    expect(ipToInt("179.17.1.21")).toBe(179 * 2 ** 24 + 17 * 2 ** 16 + 1 * 2 ** 8 + 21);
    expect(intToIp(2 ** 32 - 1)).toBe("255.255.255.255");
    expect(intToIp(-1)).toBe("255.255.255.255"); // as the unsigned 32-bit value
    for (const ip of ["1.2.3.4", "128.0.0.0", "10.255.0.1"]) expect(intToIp(ipToInt(ip))).toBe(ip);
  });

  it("ipToInt accepts and refuses exactly what the dotted-quad pattern does", () => {
    // The reference: the regular expression ipToInt used before it scanned by hand (#15).
    const reference = (ip: string): number | "refused" => {
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
      const o = m ? m.slice(1).map(Number) : [];
      if (o.length !== 4 || o.some((x) => x > 255)) return "refused";
      return o.reduce((n, x) => n * 256 + x, 0);
    };
    const ours = (ip: string): number | "refused" => {
      try {
        return ipToInt(ip);
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError);
        expect((e as Error).message).toBe(`not an IPv4 address: ${ip}`);
        return "refused";
      }
    };
    const fixed = [
      "",
      ".",
      "1.2.3",
      "1.2.3.4.",
      ".1.2.3.4",
      "1..2.3",
      "1.2.3.4.5",
      "1.2.3.256",
      "256.1.1.1",
      "1.2.3.0255",
      "001.002.003.004",
      "1.2.3.999",
      "1.2.3.4\n",
      " 1.2.3.4",
      "1.2.3.-4",
      "1.2.3.+4",
      "a.b.c.d",
      "1.2.3.4/32",
      "１.2.3.4",
      "0.0.0.0",
      "255.255.255.255",
      "9.99.199.249",
    ];
    // Random strings over the characters that matter, most of them close to addresses.
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    const random = Array.from({ length: 5000 }, () =>
      Array.from({ length: 1 + rand(16) }, () => "0123456789.....25x"[rand(18)]).join(""),
    );
    const quads = Array.from({ length: 2000 }, () =>
      Array.from({ length: 4 }, () => String(rand(300))).join("."),
    );
    const all = [...fixed, ...random, ...quads];
    expect(all.map(ours)).toEqual(all.map(reference));
    // The test covers both outcomes in number.
    expect(all.filter((ip) => reference(ip) !== "refused").length).toBeGreaterThan(1000);
  });

  it("cidrPrefix, cidrBase, cidrBounds", () => {
    const c = cidr("10.234.64.0/18");
    expect(cidrPrefix(c)).toBe(18);
    expect(cidrBase(c)).toBe("10.234.64.0");
    expect(cidrBounds(c).map(intToIp)).toEqual(["10.234.64.0", "10.234.127.255"]);
    expect(cidrBounds(cidr("0.0.0.0/0"))).toEqual([0, 2 ** 32 - 1]);
    expect(cidrBounds(cidr("198.18.0.1/32")).map(intToIp)).toEqual(["198.18.0.1", "198.18.0.1"]);
  });

  it("containment and overlap, at the edges", () => {
    const c = cidr("10.1.0.0/16");
    expect(cidrContainsIp(c, ipv4("10.1.0.0"))).toBe(true);
    expect(cidrContainsIp(c, ipv4("10.1.255.255"))).toBe(true);
    expect(cidrContainsIp(c, ipv4("10.2.0.0"))).toBe(false);
    expect(cidrContainsIp(c, ipv4("10.0.255.255"))).toBe(false);
    expect(cidrContainsCidr(c, cidr("10.1.255.0/24"))).toBe(true);
    expect(cidrContainsCidr(c, c)).toBe(true);
    expect(cidrContainsCidr(c, cidr("10.0.0.0/15"))).toBe(false);
    expect(cidrsOverlap(c, cidr("10.0.0.0/15"))).toBe(true);
    expect(cidrsOverlap(c, cidr("10.1.128.0/17"))).toBe(true);
    expect(cidrsOverlap(c, cidr("10.2.0.0/16"))).toBe(false);
    expect(cidrsOverlap(c, cidr("10.0.0.0/16"))).toBe(false);
    expect(cidrsOverlap(cidr("0.0.0.0/0"), c)).toBe(true);
  });
});
