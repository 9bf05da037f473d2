/**
 * The word tables of the plain-text parsers, word by word: every route type and route flag, every FDB
 * state and flag, every neighbour flag and keyword, every first word of a `-d` detail line that is not a
 * link kind, and the table names of route JSON. A word missing from its table is misread (a flag taken
 * for a keyword that eats the next word, a type taken for the destination), so each gets its line.
 * Every input is built inside its test.
 */
import { describe, expect, it } from "vitest";
import { TEXT_CAPS } from "../../src/facts/caps.js";
import { fdbSection } from "../../src/facts/sections/fdb.js";
import { parseLinks } from "../../src/facts/sections/link.js";
import { neighSection } from "../../src/facts/sections/neighbours.js";
import { parseRouteList } from "../../src/facts/sections/route-list.js";
import type { Draft } from "../../src/facts/sections/types.js";
import { draftFor } from "../support/facts-draft.js";

const draft = (): Draft => draftFor(TEXT_CAPS);

describe("route words (ip/iproute.c print_route)", () => {
  it.each([
    "unicast",
    "local",
    "broadcast",
    "anycast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
    "nat",
    "xresolve",
  ])("type %s", (type) => {
    expect(
      parseRouteList(`${type} 198.18.253.0/24 proto boot scope global `, "routes-main", false, "boot"),
    ).toStrictEqual([
      { dst: "198.18.253.0/24", type, protocol: "boot", table: "main", scope: "global", flags: [] },
    ]);
  });

  it.each([
    "onlink",
    "dead",
    "linkdown",
    "pervasive",
    "offload",
    "trap",
    "notify",
    "unresolved",
    "rt_offload",
    "rt_trap",
    "rt_offload_failed",
  ])("flag %s before another flag", (flag) => {
    const next = flag === "onlink" ? "dead" : "onlink";
    const [r] = parseRouteList(
      `unicast 198.18.252.0/26 dev mshvx0 proto 77 ${flag} ${next} `,
      "routes",
      false,
      77,
    );
    expect(r?.flags).toStrictEqual([flag, next]);
  });

  it.each([
    [253, "default"],
    [254, "main"],
    [255, "local"],
    [100, "100"],
  ])("JSON table %i is %s", (table, name) => {
    expect(
      parseRouteList(JSON.stringify([{ dst: "198.18.252.0/26", table }]), "routes", true, 77)[0]?.table,
    ).toBe(name);
  });
});

describe("FDB words (bridge/fdb.c)", () => {
  const fdb = (text: string) => {
    const d = draft();
    fdbSection.parse(text, d);
    return d.fdb;
  };

  it.each(["permanent", "static", "stale"])("state %s", (state) => {
    expect(fdb(`02:6d:73:00:00:02 dst 198.18.250.3 self ${state}`)[0]?.state).toBe(state);
  });

  // (`master` before a word that is not a state is `master <bridge>`: facts-text-edges.test.ts)
  it.each(["router", "extern_learn", "offload", "sticky", "use"])("flag %s before the state", (flag) => {
    expect(fdb(`02:6d:73:00:00:02 dst 198.18.250.3 ${flag} self permanent`)[0]).toStrictEqual({
      mac: "02:6d:73:00:00:02",
      kind: "unicast",
      dst: "198.18.250.3",
      flags: [flag, "self"],
      state: "permanent",
    });
  });

  it.each(["02:6d:73:00:00:02:03", "x02:6d:73:00:00:02"])("refuses %s as a MAC", (mac) => {
    expect(() => fdb(`${mac} dst 198.18.250.3 self permanent`)).toThrow(/@@fdb: expected "<MAC>/);
    expect(() => fdbSection.parse(JSON.stringify([{ mac }]), draft())).toThrow(
      /\[0\]\.mac: expected a MAC address/,
    );
  });
});

describe("neighbour words (ip/ipneigh.c)", () => {
  const neigh = (text: string) => {
    const d = draft();
    neighSection.parse(text, d);
    return d.neighbours;
  };

  it.each(["router", "proxy", "extern_learn", "offload", "managed"])("flag %s, text and JSON", (flag) => {
    expect(neigh(`198.18.251.6 lladdr 02:6d:73:00:00:06 ${flag} REACHABLE`)).toStrictEqual([
      { ip: "198.18.251.6", mac: "02:6d:73:00:00:06", state: ["REACHABLE"], flags: [flag] },
    ]);
    expect(
      neigh(JSON.stringify([{ dst: "198.18.251.6", [flag]: null, state: ["REACHABLE"] }])),
    ).toStrictEqual([{ ip: "198.18.251.6", state: ["REACHABLE"], flags: [flag] }]);
  });

  it("a keyword's value is never a state: an upper-case device or VRF name", () => {
    expect(neigh("198.18.251.7 dev WAN lladdr 02:6d:73:00:00:07 vrf MGMT STALE")).toStrictEqual([
      { ip: "198.18.251.7", mac: "02:6d:73:00:00:07", state: ["STALE"], flags: [] },
    ]);
  });
});

describe("first words of a -d detail line that are not a link kind", () => {
  it.each([
    "addrgenmode eui64 numtxqueues 1 numrxqueues 1",
    "numtxqueues 1 numrxqueues 1 gso_max_size 65536",
    "numrxqueues 1",
    "gso_max_size 65536 gso_max_segs 65535",
    "gso_max_segs 65535",
    "tso_max_size 524280 tso_max_segs 65535",
    "gro_max_size 65536",
    "altname enp0s3",
    "parentbus pci parentdev 0000:00:03.0",
    "parentdev 0000:00:03.0",
    "vf 0 link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto",
    "prop list altname",
    "link-netnsid 0",
  ])("%s", (detail) => {
    const [l] = parseLinks(
      `12: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff promiscuity 0 \n    ${detail}\n`,
      "holder",
      false,
    );
    expect([l?.ifindex, l?.name, l?.kind]).toStrictEqual([12, "ens3", "none"]);
  });

  it("an alias line right after the link line is the alias, not a kind", () => {
    const [l] = parseLinks(
      "3: eth0: <UP> mtu 1500 qdisc noqueue state UP\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n    alias uplink\n",
      "holder",
      false,
    );
    expect([l?.kind, l?.alias]).toStrictEqual(["none", "uplink"]);
  });
});
