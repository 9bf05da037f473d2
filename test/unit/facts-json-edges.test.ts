/**
 * The JSON side of the facts sections, field by field and message by message: every FDB field of
 * `bridge -j fdb show`, the values at the edge of what a reader accepts (0, "", a 60-character value), the
 * JSON path of a top-level key, and the section each parse error names. Every input is built inside its
 * test (Stryker switches a mutant on only once the tests run).
 */
import { describe, expect, it } from "vitest";
import { JSON_CAPS } from "../../src/facts/caps.js";
import { fdbSection } from "../../src/facts/sections/fdb.js";
import { parseLinks } from "../../src/facts/sections/link.js";
import { holderSection, underlaySection, vxlansSection } from "../../src/facts/sections/links.js";
import { jsonArray, kindOf, toInt } from "../../src/facts/sections/read.js";
import { parseRouteList } from "../../src/facts/sections/route-list.js";
import { connectedSection } from "../../src/facts/sections/routes.js";
import { parseParams } from "../../src/facts/sections/system.js";
import type { Draft } from "../../src/facts/sections/types.js";
import { draftFor, parseErrorOf } from "../support/facts-draft.js";

const draft = (): Draft => draftFor(JSON_CAPS);

const message = (f: () => unknown): string => parseErrorOf(f);

describe("FDB entries in JSON", () => {
  it("every field of an entry: src_vni, nhid, vlan and master too", () => {
    const d = draft();
    fdbSection.parse(
      JSON.stringify([
        {
          mac: "02:6d:73:00:00:09",
          dst: "198.18.250.9",
          port: 4789,
          vni: 10001,
          src_vni: 100,
          via: "eth0",
          nhid: 7,
          vlan: 12,
          master: "br0",
          flags: ["self"],
          state: "permanent",
        },
      ]),
      d,
    );
    expect(d.fdb).toStrictEqual([
      {
        mac: "02:6d:73:00:00:09",
        kind: "unicast",
        dst: "198.18.250.9",
        flags: ["self"],
        state: "permanent",
        port: 4789,
        vni: 10001,
        srcVni: 100,
        via: "eth0",
        nhid: 7,
        vlan: 12,
        master: "br0",
      },
    ]);
  });

  it("an entry without a state is a live (reachable) one", () => {
    const d = draft();
    fdbSection.parse('[{"mac":"02:6d:73:00:00:0a","dst":"198.18.250.10","flags":["self"]}]', d);
    expect(d.fdb).toStrictEqual([
      {
        mac: "02:6d:73:00:00:0a",
        kind: "unicast",
        dst: "198.18.250.10",
        flags: ["self"],
        state: "reachable",
      },
    ]);
  });
});

describe("values at the edge of a reader", () => {
  it("0 is a non-negative integer, as a number and as a string", () => {
    expect(toInt(0)).toBe(0);
    expect(toInt("0")).toBe(0);
    expect(toInt(-1)).toBe(undefined);
    const [r] = parseRouteList(
      '[{"dst":"198.18.252.0/26","dev":"mshvx0","protocol":"77","metric":0,"flags":[]}]',
      "routes",
      true,
      77,
    );
    expect(r).toStrictEqual({
      dst: "198.18.252.0/26",
      type: "unicast",
      dev: "mshvx0",
      protocol: 77,
      table: "main",
      metric: 0,
      flags: [],
    });
  });

  it('an empty table or protocol name ("") is refused, at its path', () => {
    const route = (extra: string) => () =>
      parseRouteList(`[{"dst":"198.18.252.0/26","dev":"mshvx0"${extra}}]`, "routes", true, 77);
    expect(message(route(',"table":""'))).toBe(
      'routes| cannot read node facts: section @@routes: [0].table: expected a table name or id, got string ""',
    );
    expect(message(route(',"protocol":""'))).toBe(
      'routes| cannot read node facts: section @@routes: [0].protocol: expected a protocol name or id, got string ""',
    );
    expect(
      parseRouteList('[{"dst":"198.18.252.0/26","table":"t1","protocol":"bird"}]', "r", true, 77),
    ).toStrictEqual([{ dst: "198.18.252.0/26", type: "unicast", protocol: "bird", table: "t1", flags: [] }]);
  });

  it('a VXLAN\'s underlay link "" is refused; a name or an ifindex is read', () => {
    const link = (v: unknown) => () =>
      parseLinks(
        JSON.stringify([
          {
            ifindex: 5,
            ifname: "mshvx0",
            mtu: 1450,
            linkinfo: { info_kind: "vxlan", info_data: { id: 1, link: v } },
          },
        ]),
        "device",
        true,
      )[0]?.vxlan;
    expect(message(link(""))).toBe(
      'device| cannot read node facts: section @@device: [0].linkinfo.info_data.link: expected a device name or ifindex, got string ""',
    );
    expect(link("eth0")()).toStrictEqual({ vni: 1, link: "eth0" });
    expect(link(3)()).toStrictEqual({ vni: 1, link: 3 });
  });

  it("a value is shown whole up to 60 characters of JSON, cut after them", () => {
    const a58 = "a".repeat(58); // 60 characters with its quotes
    expect(kindOf(a58)).toBe(`string "${a58}"`);
    expect(kindOf(`${a58}b`)).toBe(`string "${a58}b…`);
    expect(kindOf(12)).toBe("number 12");
  });

  it("a section of blanks only is empty, not bad JSON", () => {
    expect(message(() => jsonArray(" \n\t\n", "fdb"))).toBe(
      "fdb| cannot read node facts: section @@fdb: empty: the command printed nothing",
    );
    expect(jsonArray(" [] \n", "fdb")).toStrictEqual([]);
  });
});

describe("params: top-level keys are named without a leading dot", () => {
  it("a missing key, a bad local IP", () => {
    expect(message(() => parseParams('{"routeProtocol":77,"localIp":"198.18.250.2"}'))).toBe(
      "params| cannot read node facts: section @@params: device: missing",
    );
    expect(message(() => parseParams('{"device":"mshvx0","routeProtocol":77,"localIp":"198.18.250"}'))).toBe(
      'params| cannot read node facts: section @@params: localIp: "198.18.250" is not an IPv4 address (expected a.b.c.d)',
    );
  });

  it("without an underlay device there is no underlayDev key", () => {
    expect(parseParams('{"device":"mshvx0","routeProtocol":77,"localIp":"198.18.250.2"}')).toStrictEqual({
      device: "mshvx0",
      routeProtocol: 77,
      localIp: "198.18.250.2",
    });
    expect(
      parseParams('{"device":"d","routeProtocol":7,"localIp":"198.18.250.2","underlayDev":"eth1"}'),
    ).toStrictEqual({ device: "d", routeProtocol: 7, localIp: "198.18.250.2", underlayDev: "eth1" });
  });
});

describe("each section names itself in its parse errors", () => {
  it.each([
    ["vxlans", vxlansSection],
    ["holder", holderSection],
    ["underlay", underlaySection],
    ["connected", connectedSection],
  ])("%s", (name, section) => {
    expect(message(() => section.parse("{}", draft()))).toBe(
      `${name}| cannot read node facts: section @@${name}: expected a JSON array, got an object`,
    );
  });
});
