/**
 * The edges of the facts' plain-text lines and of the script's output as a whole: route lines (blank,
 * indented or `nexthop` first, a lone word at the end, `mtu lock N`), an FDB line ending in `master`, the
 * UDP ports (sorted, port 0), an SSH client that is no IPv4 address, brackets inside the JSON strings of an
 * `ip -batch` block and a `]` outside them, and ip's stderr over several lines. Every input is built
 * inside its test (Stryker switches a mutant on only once the tests run).
 */
import { describe, expect, it } from "vitest";
import { TEXT_CAPS } from "../../src/facts/caps.js";
import { fdbSection } from "../../src/facts/sections/fdb.js";
import { parseRouteList } from "../../src/facts/sections/route-list.js";
import { sessionSection, udpSection } from "../../src/facts/sections/system.js";
import type { Draft } from "../../src/facts/sections/types.js";
import { splitSections } from "../../src/facts/split.js";
import { jsonValues } from "../../src/facts/split-batch.js";
import { draftFor, parseErrorOf } from "../support/facts-draft.js";

const draft = (): Draft => draftFor(TEXT_CAPS);

const message = (f: () => unknown): string => parseErrorOf(f);

describe("route lines", () => {
  it("a first line of blanks only is skipped", () => {
    expect(parseRouteList("   \nunicast 198.18.252.0/26 dev mshvx0 ", "routes", false, 77)).toStrictEqual([
      { dst: "198.18.252.0/26", type: "unicast", dev: "mshvx0", protocol: 77, table: "main", flags: [] },
    ]);
  });

  it("an indented first line is a route (only later ones continue the route above)", () => {
    expect(
      parseRouteList("  unicast 198.18.252.0/26 dev mshvx0\n    cache expires 5sec", "routes", false, 77),
    ).toStrictEqual([
      { dst: "198.18.252.0/26", type: "unicast", dev: "mshvx0", protocol: 77, table: "main", flags: [] },
    ]);
  });

  it("a `nexthop` line with no route above it is refused as a route without a destination", () => {
    expect(
      message(() => parseRouteList("\tnexthop via 198.18.250.10 dev eth0 weight 1", "routes", false, 77)),
    ).toBe(
      'routes| cannot read node facts: section @@routes: [0].dst: "nexthop/32" is not an IPv4 CIDR (expected a.b.c.d/len)',
    );
  });

  it("an unknown word alone at the end of a line is a flag", () => {
    expect(
      parseRouteList("unicast 198.18.252.0/26 dev mshvx0 proto 77 newflag", "routes", false, 77),
    ).toStrictEqual([
      {
        dst: "198.18.252.0/26",
        type: "unicast",
        dev: "mshvx0",
        protocol: 77,
        table: "main",
        flags: ["newflag"],
      },
    ]);
  });

  it("reading goes on after `mtu lock N`, never back over the word before it", () => {
    // a device named like a keyword: read again as a keyword, `proto` would take `mtu` as its value
    expect(
      parseRouteList(
        "unicast 198.18.252.0/26 dev proto mtu lock 1400 scope global",
        "routes-main",
        false,
        "boot",
      ),
    ).toStrictEqual([
      {
        dst: "198.18.252.0/26",
        type: "unicast",
        dev: "proto",
        protocol: "boot",
        table: "main",
        scope: "global",
        flags: [],
      },
    ]);
  });
});

describe("an FDB line", () => {
  it("ending in the master flag (no bridge named after it)", () => {
    const d = draft();
    fdbSection.parse("02:6d:73:00:00:02 dst 198.18.250.3 self master\n", d);
    expect(d.fdb).toStrictEqual([
      {
        mac: "02:6d:73:00:00:02",
        kind: "unicast",
        dst: "198.18.250.3",
        flags: ["self", "master"],
        state: "reachable",
      },
    ]);
  });
});

describe("the UDP ports and the SSH client", () => {
  it("ports are listed once each, sorted, without the unbound sockets' port 0", () => {
    const d = draft();
    udpSection.parse("1F90\n0000\n12B5\n0035\n12b5\n", d);
    expect(d.udpPorts).toStrictEqual([53, 4789, 8080]);
  });

  it("an IPv6 or empty client sets no sshClient key; an IPv4 or IPv4-mapped one is read", () => {
    const d = draft();
    sessionSection.parse("2001:db8::1 50000 2001:db8::2 22\n", d);
    sessionSection.parse("\n", d);
    expect(d).toStrictEqual(draft());
    sessionSection.parse("::ffff:198.18.250.1 50000 198.18.250.2 22\n", d);
    expect(d.sshClient).toBe("198.18.250.1");
  });
});

describe("the JSON values of an ip -batch block", () => {
  it("brackets inside strings are not counted", () => {
    expect(jsonValues('[{"ifalias":"a]b}"}]\n[{"ifalias":"[{"}]\n')).toStrictEqual({
      values: ['[{"ifalias":"a]b}"}]', '[{"ifalias":"[{"}]'],
      stray: "",
    });
  });

  it("a `]` or `}` outside any value is stray text", () => {
    expect(jsonValues("oops] []\n} [1]")).toStrictEqual({ values: ["[]", "[1]"], stray: "oops] \n}" });
  });

  it("ip's stderr over several lines is shown line after line", () => {
    const out =
      "@@meshctl-facts 2\n@@ip-status 1\n@@ip-stderr\nError: a\nError: b\n@@ip-batch a\n[]\n@@end\n";
    expect(message(() => splitSections(out))).toBe(
      'a| cannot read node facts: section @@a: ip -batch failed here (exit 1): "Error: a Error: b"',
    );
  });
});
