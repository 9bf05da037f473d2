/**
 * The facts layer's small readers, value by value and message by message: the JSON field readers
 * (src/facts/sections/read.ts) through the sections that use them, the capability line (caps.ts), the
 * questions over NodeFacts (query.ts), the read-back merge (parse.ts) and the error preview (errors.ts).
 * Inputs are built inside each test (Stryker switches a mutant on only once the tests run).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JSON_CAPS, parseCaps, TEXT_CAPS } from "../../src/facts/caps.js";
import { preview } from "../../src/facts/errors.js";
import {
  effectiveRpFilter,
  mergeReadback,
  nodeCapabilities,
  parseFacts,
  resolveUnderlay,
  routesOfDevice,
} from "../../src/facts/index.js";
import { parseLinks } from "../../src/facts/sections/link.js";
import { parseRouteList } from "../../src/facts/sections/route-list.js";
import { parseParams } from "../../src/facts/sections/system.js";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { Ipv4 } from "../../src/net/addr.js";
import { parseErrorOf } from "../support/facts-draft.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), "utf8");

const message = (f: () => unknown): string => parseErrorOf(f);
const device = (link: object) => JSON.stringify([{ ifindex: 5, ifname: "mshvx0", mtu: 1450, ...link }]);
const vxlan = (data: object) => device({ linkinfo: { info_kind: "vxlan", info_data: data } });

describe("JSON readers: values", () => {
  it("learning printed as a boolean or as 0/1", () => {
    const learning = (v: unknown) => parseLinks(vxlan({ id: 1, learning: v }), "device", true)[0]?.vxlan;
    expect(learning(true)).toStrictEqual({ vni: 1, learning: true });
    expect(learning(1)).toStrictEqual({ vni: 1, learning: true });
    expect(learning(0)).toStrictEqual({ vni: 1, learning: false });
    expect(learning(false)).toStrictEqual({ vni: 1, learning: false });
    expect(message(() => learning(2))).toBe(
      "device| cannot read node facts: section @@device: [0].linkinfo.info_data.learning: expected a boolean, got number 2",
    );
  });

  it("flags as a list, a lone string, an empty string or null", () => {
    const flags = (v: unknown) => parseLinks(device({ flags: v }), "device", true)[0]?.flags;
    expect(flags(["UP", "LOWER_UP"])).toStrictEqual(["UP", "LOWER_UP"]);
    expect(flags("UP")).toStrictEqual(["UP"]);
    expect(flags("")).toStrictEqual([]);
    expect(flags(null)).toStrictEqual([]);
    expect(message(() => flags({ UP: true }))).toBe(
      "device| cannot read node facts: section @@device: [0].flags: expected a list of strings, got an object",
    );
    expect(message(() => flags(["UP", 1]))).toContain("[0].flags: expected a list of strings, got an array");
  });

  it("remote, group and alias of a device, an IPv6 local left out, the MAC lower-cased", () => {
    const [l] = parseLinks(
      device({
        address: "02:6D:73:00:00:0A",
        ifalias: "meshctl",
        linkinfo: {
          info_kind: "vxlan",
          info_data: { id: 7, local6: "fd00::1", remote: "198.18.250.9", group: "239.1.1.1", port: 4789 },
        },
      }),
      "device",
      true,
    );
    expect(l).toStrictEqual({
      ifindex: 5,
      name: "mshvx0",
      mtu: 1450,
      flags: [],
      operstate: "UNKNOWN",
      mac: "02:6d:73:00:00:0a",
      alias: "meshctl",
      kind: "vxlan",
      vxlan: { vni: 7, port: 4789, remote: "198.18.250.9", group: "239.1.1.1" },
      addresses: [],
    });
    // a multicast group printed as IPv6 is not an Ipv4: left out like local6
    expect(parseLinks(vxlan({ group: "ff05::1", remote: "fd00::9" }), "d", true)[0]?.vxlan).toStrictEqual({});
  });

  it("a vxlan without info_data, a kind-less link, an empty alias, an IPv6 address skipped", () => {
    const [a, b] = parseLinks(
      JSON.stringify([
        { ifindex: 5, ifname: "mshvx0", mtu: 1450, ifalias: "", linkinfo: { info_kind: "vxlan" } },
        {
          ifindex: 3,
          ifname: "eth0",
          mtu: 1500,
          addr_info: [
            { family: "inet6", local: "fe80::1", prefixlen: 64 },
            { family: "inet", local: "198.18.250.2", prefixlen: 24 },
          ],
        },
      ]),
      "holder",
      true,
    );
    expect(a).toStrictEqual({
      ifindex: 5,
      name: "mshvx0",
      mtu: 1450,
      flags: [],
      operstate: "UNKNOWN",
      mac: "",
      kind: "vxlan",
      addresses: [],
    });
    expect(b?.kind).toBe("none");
    expect(b?.addresses).toStrictEqual([{ ip: "198.18.250.2", prefixLen: 24 }]);
  });

  it("nexthops of a multipath route: gateway, dev, weight and flags", () => {
    const r = parseRouteList(
      JSON.stringify([
        {
          dst: "198.18.255.128/25",
          protocol: "boot",
          nexthops: [
            { gateway: "198.18.250.10", dev: "eth0", weight: 1, flags: ["onlink"] },
            { dev: "eth1", flags: [] },
          ],
        },
      ]),
      "routes-main",
      true,
      "boot",
    );
    expect(r).toStrictEqual([
      {
        dst: "198.18.255.128/25",
        type: "unicast",
        protocol: "boot",
        table: "main",
        flags: [],
        nexthops: [
          { via: "198.18.250.10", dev: "eth0", weight: 1, flags: ["onlink"] },
          { dev: "eth1", flags: [] },
        ],
      },
    ]);
  });
});

describe("JSON readers: messages name the section and the path", () => {
  it.each([
    [device({ ifname: undefined }), "[0].ifname: missing"],
    [device({ addr_info: {} }), "[0].addr_info: expected a list, got an object"],
    [device({ addr_info: [null] }), "[0].addr_info[0]: expected an object, got null"],
    [device({ addr_info: [[]] }), "[0].addr_info[0]: expected an object, got an array"],
    [
      device({ mtu: "x".repeat(70) }),
      `[0].mtu: expected a non-negative integer, got string "${"x".repeat(59)}…`,
    ],
    [device({ mtu: -1 }), "[0].mtu: expected a non-negative integer, got number -1"],
    [device({ mtu: 1.5 }), "[0].mtu: expected a non-negative integer, got number 1.5"],
    [device({ mtu: "12345678901" }), '[0].mtu: expected a non-negative integer, got string "12345678901"'],
    [device({ linkinfo: "vxlan" }), '[0].linkinfo: expected an object, got string "vxlan"'],
  ])("%s → %s", (body, expected) => {
    expect(message(() => parseLinks(body, "device", true))).toBe(
      `device| cannot read node facts: section @@device: ${expected}`,
    );
  });

  it("numbers printed as decimal strings are read; a section that is not an array says what it is", () => {
    expect(parseLinks(device({ mtu: "1450", ifindex: "5" }), "device", true)[0]?.mtu).toBe(1450);
    expect(message(() => parseLinks("null", "vxlans", true))).toBe(
      "vxlans| cannot read node facts: section @@vxlans: expected a JSON array, got null",
    );
    expect(message(() => parseLinks('"x"', "vxlans", true))).toBe(
      'vxlans| cannot read node facts: section @@vxlans: expected a JSON array, got string "x"',
    );
  });

  it("a route's nexthops that are not a list; params that are not an object (no path)", () => {
    expect(
      message(() => parseRouteList('[{"dst":"default","nexthops":"x"}]', "routes-main", true, "boot")),
    ).toBe(
      'routes-main| cannot read node facts: section @@routes-main: [0].nexthops: expected a list, got string "x"',
    );
    expect(message(() => parseParams("[1]"))).toBe(
      "params| cannot read node facts: section @@params: expected an object, got an array",
    );
    expect(message(() => parseParams("{nope"))).toMatch(
      /^params\| cannot read node facts: section @@params: not JSON \(/,
    );
  });

  it("plain text that merely contains a bracket is still read as text", () => {
    expect(message(() => parseLinks('Error: argument "[mshvx0]" is wrong', "device", false))).toBe(
      'device| cannot read node facts: section @@device: unexpected line "Error: argument \\"[mshvx0]\\" is wrong"',
    );
  });
});

describe("preview: one line, at most 160 characters", () => {
  it("collapses whitespace and cuts long text", () => {
    expect(preview("  a\t\tb\n c  ")).toBe('"a b c"');
    expect(preview("x".repeat(160))).toBe(JSON.stringify("x".repeat(160)));
    expect(preview("x".repeat(161))).toBe(JSON.stringify(`${"x".repeat(160)}…`));
  });
});

describe("capabilities", () => {
  it("reads dotted versions of any width, and the kernel", () => {
    expect(
      parseCaps("ip utility, iproute2-6.10.0, libbpf 1.4.0\nkernel 6.12.5-amd64\nmode json\n"),
    ).toStrictEqual({
      caps: JSON_CAPS,
      versions: {
        ip: "ip utility, iproute2-6.10.0, libbpf 1.4.0",
        iproute2: { major: 6, minor: 10 },
        kernel: { major: 6, minor: 12 },
      },
    });
    expect(parseCaps("ip utility, iproute2-ss170501\nkernel 3.10.0-1160.el7.x86_64\nmode text\n").caps).toBe(
      TEXT_CAPS,
    );
    // no kernel line (the release unreadable): no kernel field
    expect(parseCaps("ip utility, iproute2-5.9.0\nmode json\n").versions).toStrictEqual({
      ip: "ip utility, iproute2-5.9.0",
      iproute2: { major: 5, minor: 9 },
    });
  });

  it("refusals name the section @@caps", () => {
    expect(message(() => parseCaps("kernel 5.4.0\nmode text\n"))).toBe(
      'caps| cannot read node facts: section @@caps: cannot tell the node\'s iproute2 version from `ip -V` (""): meshctl supports iproute2 4.11 (ss170501) and Linux 3.10 or newer',
    );
    expect(message(() => parseCaps("ip utility, iproute2-ss161212\nkernel 4.9.0\nmode text\n"))).toMatch(
      /^caps\| /,
    );
    expect(message(() => parseCaps("ip utility, iproute2-ss170501\nkernel 3.9.0\nmode text\n"))).toBe(
      "caps| cannot read node facts: section @@caps: the node's kernel 3.9 is too old: meshctl supports iproute2 4.11 (ss170501) and Linux 3.10 or newer",
    );
    expect(message(() => parseCaps("ip utility, iproute2-ss200127\nkernel 5.4.0\n"))).toBe(
      'caps| cannot read node facts: section @@caps: no mode line in "ip utility, iproute2-ss200127\\nkernel 5.4.0"',
    );
  });

  it("nodeCapabilities reads a whole output's @@caps", () => {
    expect(nodeCapabilities(fixture("a-configured.iproute2-4.11.out"))).toStrictEqual({
      caps: TEXT_CAPS,
      versions: {
        ip: "ip utility, iproute2-ss170501",
        iproute2: { snapshot: 170501 },
        kernel: expect.any(Object),
      },
    });
    expect(nodeCapabilities(fixture("a-configured.iproute2-6.4.out")).caps).toBe(JSON_CAPS);
  });
});

describe("questions over NodeFacts", () => {
  it("the underlay holds the local IP among other addresses; the device never counts", () => {
    const eth0 = {
      name: "eth0",
      ifindex: 3,
      mtu: 1500,
      up: true,
      addresses: [
        { ip: "198.18.250.7" as Ipv4, prefixLen: 24 },
        { ip: "198.18.250.2" as Ipv4, prefixLen: 24 },
      ],
    };
    const facts = { params: { device: "mshvx0" }, interfaces: [{ ...eth0, name: "mshvx0" }, eth0] };
    expect(resolveUnderlay(facts, "198.18.250.2" as Ipv4)).toBe(eth0);
  });

  it("rp_filter: max(all, own); own alone when all was not read", () => {
    expect(effectiveRpFilter({ sysctl: { "net.ipv4.conf.eth0.rp_filter": 1 } }, "eth0")).toBe(1);
    const both = { "net.ipv4.conf.all.rp_filter": 2, "net.ipv4.conf.eth0.rp_filter": 1 };
    expect(effectiveRpFilter({ sysctl: both }, "eth0")).toBe(2);
    expect(effectiveRpFilter({ sysctl: { ...both, "net.ipv4.conf.all.rp_filter": 0 } }, "eth0")).toBe(1);
  });

  it("routes through a device: by dev or by any nexthop's dev", () => {
    const r = (dst: string, more: Partial<RouteFact>) =>
      ({ dst, type: "unicast", protocol: 77, table: "main", flags: [], ...more }) as RouteFact;
    const routes = [
      r("198.18.252.0/26", { dev: "mshvx0" }),
      r("198.18.252.64/26", { dev: "eth0" }),
      r("198.18.252.128/26", {
        nexthops: [
          { dev: "eth0", flags: [] },
          { dev: "mshvx0", flags: [] },
        ],
      }),
      r("198.18.252.192/26", { nexthops: [{ dev: "eth0", flags: [] }] }),
    ];
    expect(routesOfDevice({ routes }, "mshvx0").map((x) => x.dst)).toStrictEqual([
      "198.18.252.0/26",
      "198.18.252.128/26",
    ]);
  });
});

describe("mergeReadback", () => {
  it("takes what meshctl manages from the read-back and the rest of the node from the facts before", () => {
    const before = parseFacts(fixture("a-configured.out"));
    const after = parseFacts(fixture("b-absent.out"));
    const elsewhere = { name: "eth9", ifindex: 9, mtu: 9000, up: true, addresses: [] };
    const m = mergeReadback(
      { ...before, sshClient: "198.18.0.1" as Ipv4 },
      { ...after, udpPorts: [1], sysctl: {}, interfaces: [], underlay: elsewhere },
    );
    expect(m.sshClient).toBe("198.18.0.1");
    // managed: as read back
    expect(m.device).toBeUndefined();
    expect(m.neighbours).toStrictEqual([]);
    expect(m.fdb).toStrictEqual([]);
    expect(m.routes).toStrictEqual([]);
    expect(m.connected).toStrictEqual([]);
    // the rest: as before
    expect(m.udpPorts).toStrictEqual(before.udpPorts);
    expect(m.sysctl).toStrictEqual(before.sysctl);
    expect(m.interfaces).toStrictEqual(before.interfaces);
    expect(m.underlay).toStrictEqual(before.underlay);
    expect(m.foreignRoutes).toStrictEqual(before.foreignRoutes);
    expect(m.vxlanPorts).toStrictEqual(before.vxlanPorts);
  });

  it("no underlay before: none after, even if the read-back found one", () => {
    const before: NodeFacts = { ...parseFacts(fixture("a-configured.out")) };
    delete before.underlay;
    const m = mergeReadback(before, parseFacts(fixture("a-configured.out")));
    expect(m).not.toHaveProperty("underlay");
    expect(m.device?.name).toBe("mshvx0");
  });
});
