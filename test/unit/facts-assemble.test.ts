/**
 * `finish` (src/facts/assemble.ts) on drafts built by hand, value by value: the device picked by name, its
 * underlay resolved from a name, an ifindex or iproute2's `ifN`, optional attributes present only when the
 * kernel printed them, the VXLAN ports, the rp_filter sysctls kept, and which main-table routes are foreign.
 * Every draft is built inside its test (Stryker switches a mutant on only once the tests run).
 */
import { describe, expect, it } from "vitest";
import { finish } from "../../src/facts/assemble.js";
import { JSON_CAPS } from "../../src/facts/caps.js";
import { FactsParseError } from "../../src/facts/errors.js";
import type { Link } from "../../src/facts/sections/link-types.js";
import type { Draft } from "../../src/facts/sections/types.js";
import type { RouteFact } from "../../src/facts/types.js";
import type { Ipv4 } from "../../src/net/addr.js";
import { draftFor } from "../support/facts-draft.js";

const LOCAL = "198.18.250.2" as Ipv4;

function link(name: string, ifindex: number, more: Partial<Link> = {}): Link {
  return {
    ifindex,
    name,
    mtu: 1500,
    flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
    operstate: "UP",
    mac: "02:6d:73:00:00:aa",
    kind: "none",
    addresses: [],
    ...more,
  };
}

const draft = (more: Partial<Draft> = {}): Draft => draftFor(JSON_CAPS, more);

const eth0 = () => link("eth0", 3, { addresses: [{ ip: LOCAL, prefixLen: 24 }] });
/** The device as printed with `vxlan.link` = `to`, the holder eth0 (ifindex 3) and `others` known. */
const deviceWithLink = (to: string | number | undefined, others: Link[] = []) =>
  finish(
    draft({
      device: [
        link("mshvx0", 5, { kind: "vxlan", vxlan: to === undefined ? { vni: 1 } : { vni: 1, link: to } }),
      ],
      holders: [eth0(), ...others],
    }),
  ).device;

describe("finish: the device's underlay", () => {
  it("a name is kept as printed, with no index", () => {
    expect(deviceWithLink("eth0")).toMatchObject({ underlayDev: "eth0" });
    expect(deviceWithLink("eth0")).not.toHaveProperty("underlayIndex");
    // a name the script did not list (not a holder, not the named underlay) is still just a name
    expect(deviceWithLink("ens9")).toMatchObject({ underlayDev: "ens9" });
    expect(deviceWithLink("ens9")).not.toHaveProperty("underlayIndex");
    // names that only look like iproute2's fallback: a Xen `vif3`, a VLAN `if3.100`
    expect(deviceWithLink("vif3")).toMatchObject({ underlayDev: "vif3" });
    expect(deviceWithLink("vif3")).not.toHaveProperty("underlayIndex");
    expect(deviceWithLink("if3.100")).toMatchObject({ underlayDev: "if3.100" });
    expect(deviceWithLink("if3.100")).not.toHaveProperty("underlayIndex");
  });

  it("an ifindex or `ifN` resolves against the links the script listed", () => {
    expect(deviceWithLink(3)).toMatchObject({ underlayDev: "eth0", underlayIndex: 3 });
    expect(deviceWithLink("if3")).toMatchObject({ underlayDev: "eth0", underlayIndex: 3 });
    const ens12 = link("ens12", 12);
    expect(deviceWithLink("if12", [ens12])).toMatchObject({ underlayDev: "ens12", underlayIndex: 12 });
    // unknown index: the number alone; `ifN` unknown: the text as printed
    expect(deviceWithLink(42)).toMatchObject({ underlayIndex: 42 });
    expect(deviceWithLink(42)).not.toHaveProperty("underlayDev");
    expect(deviceWithLink("if42")).toMatchObject({ underlayIndex: 42, underlayDev: "if42" });
  });

  it("a link really named `ifN` is a name, not an index", () => {
    const if7 = link("if7", 9);
    const seven = link("eth7", 7);
    expect(deviceWithLink("if7", [if7, seven])).toMatchObject({ underlayDev: "if7" });
    expect(deviceWithLink("if7", [if7, seven])).not.toHaveProperty("underlayIndex");
  });

  it("no underlay printed: neither field", () => {
    const d = deviceWithLink(undefined);
    expect(d).not.toHaveProperty("underlayDev");
    expect(d).not.toHaveProperty("underlayIndex");
  });
});

describe("finish: the device's attributes", () => {
  it("every VXLAN attribute the kernel printed, the alias, and nothing else", () => {
    const f = finish(
      draft({
        device: [
          link("mshvx0", 5, {
            kind: "vxlan",
            alias: "meshctl",
            flags: ["BROADCAST", "MULTICAST", "UP"],
            operstate: "DOWN",
            vxlan: {
              vni: 7,
              port: 4899,
              localIp: LOCAL,
              link: "eth0",
              learning: true,
              remote: "198.18.250.9" as Ipv4,
              group: "239.1.1.1" as Ipv4,
            },
          }),
        ],
      }),
    );
    expect(f.device).toStrictEqual({
      name: "mshvx0",
      ifindex: 5,
      kind: "vxlan",
      vni: 7,
      port: 4899,
      localIp: LOCAL,
      underlayDev: "eth0",
      learning: true,
      remote: "198.18.250.9",
      group: "239.1.1.1",
      alias: "meshctl",
      mac: "02:6d:73:00:00:aa",
      mtu: 1500,
      up: true,
      lowerUp: false,
      operstate: "DOWN",
      flags: ["BROADCAST", "MULTICAST", "UP"],
      addresses: [],
    });
  });

  it("a foreign kind: no VXLAN attribute at all", () => {
    const f = finish(draft({ device: [link("mshvx0", 6, { kind: "veth" })] }));
    expect(Object.keys(f.device ?? {})).toStrictEqual([
      "name",
      "ifindex",
      "kind",
      "mac",
      "mtu",
      "up",
      "lowerUp",
      "operstate",
      "flags",
      "addresses",
    ]);
  });

  it("only the link with the device's name is the device; two of them are refused", () => {
    const f = finish(draft({ device: [link("other0", 8, { kind: "veth" })] }));
    expect(f).not.toHaveProperty("device");
    const two = () => finish(draft({ device: [link("mshvx0", 5), link("mshvx0", 6)] }));
    expect(two).toThrow(FactsParseError);
    expect(two).toThrow(
      expect.objectContaining({
        section: "device",
        message: "cannot read node facts: section @@device: expected at most one link named mshvx0, got 2",
      }),
    );
  });
});

describe("finish: interfaces, VXLAN ports, sysctls", () => {
  it("the named underlay is listed only when it is the one named; a holder listed once", () => {
    const ens4 = link("ens4", 4, { mtu: 9000, flags: ["BROADCAST"] });
    const f = finish(
      draft({
        params: { device: "mshvx0", routeProtocol: 77, localIp: LOCAL, underlayDev: "ens4" },
        holders: [eth0()],
        underlays: [ens4, link("ens5", 5)],
      }),
    );
    expect(f.interfaces).toStrictEqual([
      { name: "eth0", ifindex: 3, mtu: 1500, up: true, addresses: [{ ip: LOCAL, prefixLen: 24 }] },
      { name: "ens4", ifindex: 4, mtu: 9000, up: false, addresses: [] },
    ]);
    expect(f.underlay?.name).toBe("eth0");
  });

  it("VXLAN ports: only VXLAN links that print a port; VNI and local only when printed", () => {
    const f = finish(
      draft({
        vxlans: [
          link("vx-a", 10, { kind: "vxlan", vxlan: { port: 4789 } }),
          link("vx-b", 11, { kind: "vxlan", vxlan: { vni: 9 }, flags: [] }),
          link("gre0", 12, { kind: "gre", vxlan: { port: 1 } }),
          // a VXLAN listed without its details (JSON without `-d`): no port known
          link("vx-d", 14, { kind: "vxlan" }),
          link("vx-c", 13, { kind: "vxlan", vxlan: { port: 8472, vni: 1, localIp: LOCAL }, flags: [] }),
        ],
      }),
    );
    expect(f.vxlanPorts).toStrictEqual([
      { device: "vx-a", port: 4789, up: true },
      { device: "vx-c", port: 8472, vni: 1, localIp: LOCAL, up: false },
    ]);
  });

  it("keeps rp_filter of all, default, the device and the underlay only; other sysctls all", () => {
    const f = finish(
      draft({
        params: { device: "mshvx0", routeProtocol: 77, localIp: LOCAL, underlayDev: "ens4" },
        holders: [eth0()],
        sysctl: {
          "net.ipv4.ip_forward": 1,
          "net.ipv4.conf.all.rp_filter": 1,
          "net.ipv4.conf.default.rp_filter": 0,
          "net.ipv4.conf.mshvx0.rp_filter": 2,
          "net.ipv4.conf.eth0.rp_filter": 1,
          "net.ipv4.conf.ens4.rp_filter": 0,
          "net.ipv4.conf.vxlan.calico.rp_filter": 2,
          "net.ipv4.conf.vxlan.calico.forwarding": 1,
        },
      }),
    );
    expect(f.sysctl).toStrictEqual({
      "net.ipv4.ip_forward": 1,
      "net.ipv4.conf.all.rp_filter": 1,
      "net.ipv4.conf.default.rp_filter": 0,
      "net.ipv4.conf.mshvx0.rp_filter": 2,
      "net.ipv4.conf.eth0.rp_filter": 1,
      "net.ipv4.conf.ens4.rp_filter": 0,
      "net.ipv4.conf.vxlan.calico.forwarding": 1,
    });
  });
});

describe("finish: foreign routes and optional sections", () => {
  const route = (dst: string, protocol: number | string, more: Partial<RouteFact> = {}): RouteFact =>
    ({ dst, type: "unicast", protocol, table: "main", flags: [], ...more }) as RouteFact;

  it("a main-table route is foreign unless it is of meshctl's protocol or one of meshctl's main routes", () => {
    const f = finish(
      draft({
        routes: [
          route("198.18.252.0/26", 77),
          route("198.18.252.64/26", 77, { metric: 5 }),
          route("198.18.253.0/24", 77, { table: "100" }),
        ],
        mainRoutes: [
          // meshctl's own, printed without its protocol (a listing that omits it reads `boot`)
          route("198.18.252.0/26", "boot"),
          route("198.18.252.64/26", "boot", { metric: 5 }),
          // same destination as an own route but another metric, or as one in another table: foreign
          route("198.18.252.0/26", "boot", { metric: 100 }),
          route("198.18.253.0/24", "bird"),
          // meshctl's protocol: never foreign, listed or not
          route("198.18.254.0/24", 77),
        ],
      }),
    );
    expect(f.foreignRoutes).toStrictEqual([
      route("198.18.252.0/26", "boot", { metric: 100 }),
      route("198.18.253.0/24", "bird"),
    ]);
  });

  it("connected, persist and sshClient only when their sections were read", () => {
    const none = finish(draft());
    for (const k of ["device", "underlay", "connected", "persist", "sshClient"])
      expect(none).not.toHaveProperty(k);
    const all = finish(
      draft({
        holders: [eth0()],
        connected: [],
        persist: { systemd: false, files: [] },
        sshClient: "198.18.0.1" as Ipv4,
      }),
    );
    expect(all.connected).toStrictEqual([]);
    expect(all.persist).toStrictEqual({ systemd: false, files: [] });
    expect(all.sshClient).toBe("198.18.0.1");
    expect(all.underlay?.name).toBe("eth0");
  });
});
