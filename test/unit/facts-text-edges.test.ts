/**
 * The plain-text parsers (iproute2 before 5.5) on the edges of their formats, exact value by exact value
 * (toStrictEqual: an attribute the text does not print must be absent, not undefined), and their refusals
 * message by message. Lines are spelled as iproute2's print functions print them (see facts-text.test.ts
 * for the real captured builds). Every input is built inside its test.
 */
import { describe, expect, it } from "vitest";
import { TEXT_CAPS } from "../../src/facts/caps.js";
import { fdbSection } from "../../src/facts/sections/fdb.js";
import { parseLinks } from "../../src/facts/sections/link.js";
import { neighSection } from "../../src/facts/sections/neighbours.js";
import { parseRouteList } from "../../src/facts/sections/route-list.js";
import type { Draft } from "../../src/facts/sections/types.js";
import { draftFor, parseErrorOf } from "../support/facts-draft.js";

const draft = (): Draft => draftFor(TEXT_CAPS);

const message = (f: () => unknown): string => parseErrorOf(f, false);

const HEAD =
  "5: mshvx0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000";
const ETHER = "    link/ether 02:6d:73:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 ";
const vx = (details: string) => parseLinks(`${HEAD}\n${ETHER}\n    vxlan ${details}\n`, "device", false)[0];

describe("links in text: VXLAN details", () => {
  it("remote, group, an ifindex underlay; learning on unless nolearning", () => {
    expect(
      vx("id 42 remote 198.18.250.9 dev 12 srcport 0 0 dstport 4789 ttl auto ageing 300")?.vxlan,
    ).toStrictEqual({
      vni: 42,
      port: 4789,
      link: 12,
      learning: true,
      remote: "198.18.250.9",
    });
    expect(vx("id 42 group 239.1.1.1 dev eth0 srcport 0 0 dstport 8472 nolearning")?.vxlan).toStrictEqual({
      vni: 42,
      port: 8472,
      link: "eth0",
      learning: false,
      group: "239.1.1.1",
    });
  });

  it("what is not printed is absent: no dev, no dstport, an IPv6 group or local", () => {
    expect(vx("id 42 srcport 0 0")?.vxlan).toStrictEqual({ vni: 42, learning: true });
    expect(vx("id 42 group ff05::1 local fd00::1 dev eth0 dstport 4789")?.vxlan).toStrictEqual({
      vni: 42,
      port: 4789,
      link: "eth0",
      learning: true,
    });
    // an underlay whose name starts with digits is a name, not an ifindex
    expect(vx("id 42 local 198.18.250.2 dev 10g0 dstport 4789")?.vxlan).toStrictEqual({
      vni: 42,
      port: 4789,
      localIp: "198.18.250.2",
      link: "10g0",
      learning: true,
    });
  });
});

describe("links in text: headers and detail lines", () => {
  it("a header without state or mtu, empty flags; a link without an Ethernet address", () => {
    expect(
      parseLinks("7: tun0: <> mtu 1400 qdisc noop\n    link/none \n    tun type tun pi off \n", "d", false),
    ).toStrictEqual([
      {
        ifindex: 7,
        name: "tun0",
        mtu: 1400,
        flags: [],
        operstate: "UNKNOWN",
        mac: "",
        kind: "tun",
        addresses: [],
      },
    ]);
    expect(parseLinks("8: x0: <UP> qdisc noop state DOWN\n", "d", false)[0]).toMatchObject({
      mtu: 0,
      flags: ["UP"],
      operstate: "DOWN",
    });
  });

  it("an InfiniBand address (20 bytes) is not a MAC", () => {
    const [ib] = parseLinks(
      [
        "4: ib0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 2044 qdisc mq state UP group default qlen 256",
        "    link/infiniband 80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:8b:31 brd 00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff promiscuity 0 ",
        "    ipoib pkey  0xffff mode  datagram umcast  0000 ",
        "    inet 198.18.250.2/24 brd 198.18.250.255 scope global ib0",
      ].join("\n"),
      "holder",
      false,
    );
    expect(ib).toStrictEqual({
      ifindex: 4,
      name: "ib0",
      mtu: 2044,
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      operstate: "UP",
      mac: "",
      kind: "ipoib",
      addresses: [{ ip: "198.18.250.2", prefixLen: 24 }],
    });
  });

  it("the alias line, several words; inet6 right after the link line is not a kind; a peer's prefix", () => {
    const [l] = parseLinks(
      [
        "2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc mq state UP group default qlen 1000",
        "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff",
        "    inet6 fe80::5054:ff:fe12:3456/64 scope link ",
        "    inet 198.18.9.9 peer 198.18.9.8/30 scope global ens3",
        "    alias managed by  meshctl",
      ].join("\n"),
      "holder",
      false,
    );
    expect(l).toStrictEqual({
      ifindex: 2,
      name: "ens3",
      mtu: 9000,
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      operstate: "UP",
      mac: "52:54:00:12:34:56",
      kind: "none",
      alias: "managed by  meshctl",
      addresses: [{ ip: "198.18.9.9", prefixLen: 30 }],
    });
  });

  it("blank lines anywhere are skipped", () => {
    expect(
      parseLinks(`   \n${HEAD}\n${ETHER}\n\n    veth \n`, "d", false).map((l) => [l.name, l.kind]),
    ).toStrictEqual([["mshvx0", "veth"]]);
  });

  it("refuses an address that is not IPv4, and text that is not a listing, quoting the line", () => {
    expect(
      message(() =>
        parseLinks(`${HEAD}\n${ETHER}\n    inet 198.18.251/24 scope global mshvx0`, "device", false),
      ),
    ).toBe(
      'cannot read node facts: section @@device: bad address line "inet 198.18.251/24 scope global mshvx0"',
    );
    expect(
      message(() => parseLinks(`${HEAD}\n${ETHER}\nDevice "mshvx1" does not exist.`, "device", false)),
    ).toBe('cannot read node facts: section @@device: unexpected line "Device \\"mshvx1\\" does not exist."');
    expect(message(() => parseLinks("    link/ether 02:6d:73:00:00:01", "device", false))).toBe(
      'cannot read node facts: section @@device: unexpected line "link/ether 02:6d:73:00:00:01"',
    );
  });
});

describe("fdb in text", () => {
  const fdb = (text: string) => {
    const d = draft();
    fdbSection.parse(text, d);
    return d.fdb;
  };

  it("a bridge port's entry: master and vlan; `master` as a flag before the state", () => {
    expect(
      fdb(
        "02:6d:73:00:00:07 dev vx0 vlan 10 master br0 permanent\n02:6d:73:00:00:08 dev vx0 self master stale",
      ),
    ).toStrictEqual([
      { mac: "02:6d:73:00:00:07", kind: "unicast", flags: [], state: "permanent", vlan: 10, master: "br0" },
      { mac: "02:6d:73:00:00:08", kind: "unicast", flags: ["self", "master"], state: "stale" },
    ]);
  });

  it("per-entry src_vni and nhid; `dev` before a multicast entry is not its destination; blank lines", () => {
    expect(
      fdb(
        "02:6d:73:00:00:09 dst 198.18.250.9 src_vni 100 nhid 7 self permanent\n   \n33:33:00:00:00:01 dev mshvx0 self permanent\n",
      ),
    ).toStrictEqual([
      {
        mac: "02:6d:73:00:00:09",
        kind: "unicast",
        dst: "198.18.250.9",
        flags: ["self"],
        state: "permanent",
        srcVni: 100,
        nhid: 7,
      },
      { mac: "33:33:00:00:00:01", kind: "multicast", flags: ["self"], state: "permanent" },
    ]);
  });

  it("refuses a line without a MAC, quoting it", () => {
    expect(message(() => fdb('Error: Cannot find device "mshvx0"'))).toBe(
      'cannot read node facts: section @@fdb: expected "<MAC> … [state]", got "Error: Cannot find device \\"mshvx0\\""',
    );
  });
});

describe("neighbours in text", () => {
  const neigh = (text: string) => {
    const d = draft();
    neighSection.parse(text, d);
    return d.neighbours;
  };

  it("no MAC is absent, not undefined; unknown lower-case words are not flags", () => {
    expect(
      neigh(
        "198.18.251.5 dev mshvx0  FAILED\n198.18.251.8 lladdr 02:6D:73:00:00:08 extern_valid proto 4 REACHABLE\n",
      ),
    ).toStrictEqual([
      { ip: "198.18.251.5", state: ["FAILED"], flags: [] },
      { ip: "198.18.251.8", mac: "02:6d:73:00:00:08", state: ["REACHABLE"], flags: [] },
    ]);
  });

  it("refuses a line that is neither IPv4 nor IPv6, quoting it", () => {
    expect(message(() => neigh('Device "mshvx0" does not exist.'))).toBe(
      'cannot read node facts: section @@neigh: expected "<IPv4> [lladdr MAC] STATE", got "Device \\"mshvx0\\" does not exist."',
    );
  });
});

describe("routes in text and JSON", () => {
  it("two lone flags in a row; a JSON route without a type is unicast", () => {
    expect(
      parseRouteList(
        "unicast 198.18.252.0/26 via 198.18.251.2 dev mshvx0 proto 77 scope global onlink linkdown",
        "routes",
        false,
        77,
      ),
    ).toStrictEqual([
      {
        dst: "198.18.252.0/26",
        type: "unicast",
        via: "198.18.251.2",
        dev: "mshvx0",
        protocol: 77,
        table: "main",
        scope: "global",
        flags: ["onlink", "linkdown"],
      },
    ]);
    expect(parseRouteList('[{"dst":"198.18.252.0/26","dev":"mshvx0"}]', "routes", true, 77)).toStrictEqual([
      { dst: "198.18.252.0/26", type: "unicast", dev: "mshvx0", protocol: 77, table: "main", flags: [] },
    ]);
  });

  it("`via inet`, a prefsrc, multipath nexthops as text", () => {
    expect(
      parseRouteList(
        [
          "unicast 198.18.251.0/24 dev mshvx0 table main proto kernel scope link src 198.18.251.1 ",
          "unicast 198.18.255.128/25 table main proto boot scope global ",
          "\tnexthop via inet 198.18.250.10 dev eth0 weight 1 onlink",
          "\tnexthop dev eth1 weight 2 ",
        ].join("\n"),
        "routes-main",
        false,
        "boot",
      ),
    ).toStrictEqual([
      {
        dst: "198.18.251.0/24",
        type: "unicast",
        dev: "mshvx0",
        protocol: "kernel",
        table: "main",
        scope: "link",
        prefsrc: "198.18.251.1",
        flags: [],
      },
      {
        dst: "198.18.255.128/25",
        type: "unicast",
        protocol: "boot",
        table: "main",
        scope: "global",
        flags: [],
        nexthops: [
          { via: "198.18.250.10", dev: "eth0", weight: 1, flags: ["onlink"] },
          { dev: "eth1", weight: 2, flags: [] },
        ],
      },
    ]);
  });

  it("refuses a line with a type and nothing else, and a bad nexthop gateway, naming the route", () => {
    expect(message(() => parseRouteList("blackhole", "routes-main", false, "boot"))).toBe(
      'cannot read node facts: section @@routes-main: unexpected line "blackhole"',
    );
    expect(
      message(() =>
        parseRouteList(
          "unicast 198.18.255.128/25 proto boot\n\tnexthop via fe80::1 dev eth0",
          "routes-main",
          false,
          "boot",
        ),
      ),
    ).toBe(
      'cannot read node facts: section @@routes-main: [1].gateway: expected an IPv4 address, got "fe80::1"',
    );
  });
});
