/**
 * parseFacts on REAL output of the facts script (iproute2 6.1), captured by test/fixtures/facts/capture.ts
 * in a throwaway namespace; see test/fixtures/facts/scenarios.ts for the state behind each file.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { effectiveRpFilter, parseFacts, resolveUnderlay, routesOfDevice } from "../../src/facts/index.js";
import type { Ipv4 } from "../../src/net/addr.js";

/** Parsed inside each test (Stryker switches a mutant on only once the tests run). */
const fixture = (name: string) =>
  parseFacts(readFileSync(new URL(`../fixtures/facts/${name}.out`, import.meta.url), "utf8"));

const LOCAL = "198.18.250.2" as Ipv4;
const eth0 = { name: "eth0", ifindex: 3, mtu: 1500, up: true, addresses: [{ ip: LOCAL, prefixLen: 24 }] };

/** Foreign state every scenario shares (BASE in scenarios.ts). */
const baseForeignRoutes = [
  {
    dst: "0.0.0.0/0",
    type: "unicast",
    via: "198.18.250.1",
    dev: "eth0",
    protocol: "boot",
    table: "main",
    flags: [],
  },
  {
    dst: "198.18.254.0/24",
    type: "unicast",
    via: "198.18.250.1",
    dev: "eth0",
    protocol: "bird",
    table: "main",
    flags: [],
  },
  { dst: "198.18.255.0/24", type: "blackhole", protocol: "bird", table: "main", flags: [] },
  {
    dst: "198.18.255.128/25",
    type: "unicast",
    protocol: "boot",
    table: "main",
    flags: [],
    nexthops: [
      { via: "198.18.250.10", dev: "eth0", weight: 1, flags: [] },
      { via: "198.18.250.11", dev: "eth0", weight: 1, flags: [] },
    ],
  },
];
const calicoPort = { device: "vxlan.calico", port: 4789, vni: 4096, localIp: LOCAL, up: true };

describe("parseFacts: a fully configured node (a-configured)", () => {
  it("echoes the parameters it was gathered with", () => {
    const f = fixture("a-configured");
    expect(f.params).toStrictEqual({
      device: "mshvx0",
      routeProtocol: 77,
      localIp: LOCAL,
      underlayDev: "eth0",
    });
  });

  it("reads the device as created by meshctl", () => {
    const f = fixture("a-configured");
    expect(f.device).toStrictEqual({
      name: "mshvx0",
      ifindex: 5,
      kind: "vxlan",
      vni: 10001,
      port: 4899,
      localIp: LOCAL,
      underlayDev: "eth0",
      learning: false,
      mac: "02:6d:73:00:00:01",
      mtu: 1450,
      up: true,
      lowerUp: true,
      operstate: "UNKNOWN",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      // the kernel's fe80:: link-local address is not listed
      addresses: [{ ip: "198.18.251.1", prefixLen: 24 }],
    });
  });

  it("finds the underlay (interface holding the local IP) and the named underlay", () => {
    const f = fixture("a-configured");
    expect(f.underlay).toStrictEqual(eth0);
    expect(f.interfaces).toStrictEqual([eth0]); // eth0 is both: listed once
  });

  it("keeps every neighbour, permanent or not", () => {
    const f = fixture("a-configured");
    // (the kernel's dump order is not stable across captures)
    expect([...f.neighbours].sort((a, b) => b.ip.localeCompare(a.ip))).toStrictEqual([
      { ip: "198.18.251.9", mac: "02:6d:73:00:00:09", state: ["STALE"], flags: [] },
      { ip: "198.18.251.3", mac: "02:6d:73:00:00:03", state: ["PERMANENT"], flags: [] },
      { ip: "198.18.251.2", mac: "02:6d:73:00:00:02", state: ["PERMANENT"], flags: [] },
    ]);
  });

  it("tells the flood entry from meshctl's unicast FDB entries", () => {
    const f = fixture("a-configured");
    expect(f.fdb).toStrictEqual([
      { mac: "00:00:00:00:00:00", kind: "flood", dst: "198.18.250.9", flags: ["self"], state: "permanent" },
      { mac: "02:6d:73:00:00:03", kind: "unicast", dst: "198.18.250.4", flags: ["self"], state: "permanent" },
      { mac: "02:6d:73:00:00:02", kind: "unicast", dst: "198.18.250.3", flags: ["self"], state: "permanent" },
    ]);
  });

  it("lists meshctl's routes in every table, with the protocol the filtered listing omits", () => {
    const f = fixture("a-configured");
    const common = { type: "unicast", dev: "mshvx0", protocol: 77, scope: "global", flags: ["onlink"] };
    expect(f.routes).toStrictEqual([
      { ...common, dst: "198.18.252.192/26", via: "198.18.251.2", table: "100" },
      { ...common, dst: "198.18.252.0/26", via: "198.18.251.2", table: "main" },
      { ...common, dst: "198.18.252.64/26", via: "198.18.251.3", table: "main" },
      // printed as a bare address: normalised to /32
      { ...common, dst: "198.18.252.128/32", via: "198.18.251.3", table: "main" },
    ]);
    expect(routesOfDevice(f, "mshvx0")).toHaveLength(4);
  });

  it("keeps foreign routes apart, including one through meshctl's device", () => {
    const f = fixture("a-configured");
    expect(f.foreignRoutes).toStrictEqual([
      baseForeignRoutes[0],
      // the article's hand-made `route add`: proto boot on our device, not ours
      {
        dst: "198.18.253.0/24",
        type: "unicast",
        via: "198.18.251.3",
        dev: "mshvx0",
        protocol: "boot",
        table: "main",
        flags: ["onlink"],
      },
      ...baseForeignRoutes.slice(1),
    ]);
    expect(f.foreignRoutes.some((r) => r.protocol === 77)).toBe(false);
  });

  it("reads sysctls back and computes the effective rp_filter", () => {
    const f = fixture("a-configured");
    expect(f.sysctl).toStrictEqual({
      "net.ipv4.ip_forward": 1,
      "net.ipv4.conf.all.rp_filter": 1,
      "net.ipv4.conf.default.rp_filter": 0,
      "net.ipv4.conf.mshvx0.rp_filter": 2,
      "net.ipv4.conf.eth0.rp_filter": 1,
      // forwarding of the device and the underlay (diagnose checks the underlay's for direct peers, #14);
      // not of a foreign VXLAN device (vxlan.calico), whose settings are not meshctl's concern
      "net.ipv4.conf.mshvx0.forwarding": 1,
      "net.ipv4.conf.eth0.forwarding": 1,
    });
    expect(effectiveRpFilter(f, "mshvx0")).toBe(2);
    expect(effectiveRpFilter(f, "eth0")).toBe(1);
    expect(effectiveRpFilter(f, "eth9")).toBeUndefined();
  });

  it("reads the kernel's connected route and the boot persistence; no SSH client outside SSH", () => {
    const f = fixture("a-configured");
    expect(f.connected).toStrictEqual([
      {
        dst: "198.18.251.0/24",
        type: "unicast",
        protocol: "kernel",
        table: "main",
        scope: "link",
        prefsrc: "198.18.251.1",
        flags: [],
      },
    ]);
    expect(f.persist).toStrictEqual({ systemd: true, files: [] });
    // exactly these fields: no optional one set to undefined
    expect(Object.keys(f)).toStrictEqual([
      "params",
      "device",
      "underlay",
      "interfaces",
      "neighbours",
      "fdb",
      "routes",
      "foreignRoutes",
      "connected",
      "sysctl",
      "vxlanPorts",
      "udpPorts",
      "persist",
    ]);
  });

  it("lists every VXLAN device's port and the bound UDP ports", () => {
    const f = fixture("a-configured");
    expect(f.vxlanPorts).toStrictEqual([
      calicoPort,
      { device: "mshvx0", port: 4899, vni: 10001, localIp: LOCAL, up: true },
    ]);
    expect(f.udpPorts).toStrictEqual([4789, 4899]);
  });
});

describe("parseFacts: a node without the device (b-absent)", () => {
  it("has no device and nothing on it, and no error", () => {
    const f = fixture("b-absent");
    expect(f.device).toBeUndefined();
    expect(f.neighbours).toStrictEqual([]);
    expect(f.fdb).toStrictEqual([]);
    expect(f.routes).toStrictEqual([]);
    expect(f.connected).toStrictEqual([]);
    expect(Object.keys(f)).not.toContain("device");
  });

  it("still finds the underlay from the local IP alone", () => {
    const f = fixture("b-absent");
    expect(f.params.underlayDev).toBeUndefined();
    expect(f.underlay).toStrictEqual(eth0);
    expect(resolveUnderlay(f, LOCAL)).toStrictEqual(eth0);
    expect(resolveUnderlay(f, "198.18.250.99" as Ipv4)).toBeUndefined();
  });

  it("reads the underlay's rp_filter (name resolved by the script) and no device sysctl", () => {
    const f = fixture("b-absent");
    expect(f.sysctl).toStrictEqual({
      "net.ipv4.ip_forward": 1,
      "net.ipv4.conf.all.rp_filter": 1,
      "net.ipv4.conf.default.rp_filter": 0,
      "net.ipv4.conf.eth0.rp_filter": 1,
      "net.ipv4.conf.eth0.forwarding": 1,
    });
  });

  it("reports the foreign state as it is", () => {
    const f = fixture("b-absent");
    expect(f.foreignRoutes).toStrictEqual(baseForeignRoutes);
    expect(f.vxlanPorts).toStrictEqual([calicoPort]);
    expect(f.udpPorts).toStrictEqual([4789]);
  });
});

describe("parseFacts: a device with the wrong VNI and port (c-drift)", () => {
  it("reports the VNI, port and learning as they are", () => {
    const f = fixture("c-drift");
    expect(f.device).toStrictEqual({
      name: "mshvx0",
      ifindex: 5,
      kind: "vxlan",
      vni: 10002,
      port: 8472,
      localIp: LOCAL,
      underlayDev: "eth0",
      learning: true,
      mac: "02:6d:73:00:00:01",
      mtu: 1450,
      up: true,
      lowerUp: true,
      operstate: "UNKNOWN",
      flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      addresses: [{ ip: "198.18.251.1", prefixLen: 24 }],
    });
    expect(f.vxlanPorts).toContainEqual({
      device: "mshvx0",
      port: 8472,
      vni: 10002,
      localIp: LOCAL,
      up: true,
    });
    expect(f.udpPorts).toStrictEqual([4789, 8472]);
  });

  it("has an empty FDB (learning, nothing learnt yet) and no routes", () => {
    const f = fixture("c-drift");
    expect(f.fdb).toStrictEqual([]);
    expect(f.neighbours).toStrictEqual([]);
    expect(f.routes).toStrictEqual([]);
    expect(f.sysctl["net.ipv4.conf.mshvx0.rp_filter"]).toBe(0);
  });
});

describe("parseFacts: a device set down, MAC rewritten (d-down-mac)", () => {
  it("reads it down with the new MAC", () => {
    const f = fixture("d-down-mac");
    expect(f.device).toStrictEqual({
      name: "mshvx0",
      ifindex: 5,
      kind: "vxlan",
      vni: 10001,
      port: 4899,
      localIp: LOCAL,
      underlayDev: "eth0",
      learning: false,
      mac: "0e:5a:c1:7b:33:d4",
      mtu: 1450,
      up: false,
      lowerUp: false,
      operstate: "DOWN",
      flags: ["BROADCAST", "MULTICAST"],
      addresses: [{ ip: "198.18.251.1", prefixLen: 24 }],
    });
  });

  it("shows what the kernel dropped with the link: every neighbour (even permanent) and every route; not the FDB", () => {
    const f = fixture("d-down-mac");
    expect(f.neighbours).toStrictEqual([]);
    expect(f.routes).toStrictEqual([]);
    expect(f.foreignRoutes).toStrictEqual(baseForeignRoutes);
    expect(f.fdb.map((e) => [e.kind, e.mac, e.dst])).toStrictEqual([
      ["flood", "00:00:00:00:00:00", "198.18.250.9"],
      ["unicast", "02:6d:73:00:00:03", "198.18.250.4"],
      ["unicast", "02:6d:73:00:00:02", "198.18.250.3"],
    ]);
  });

  it("a down VXLAN device holds no UDP socket", () => {
    const f = fixture("d-down-mac");
    expect(f.vxlanPorts).toContainEqual({
      device: "mshvx0",
      port: 4899,
      vni: 10001,
      localIp: LOCAL,
      up: false,
    });
    expect(f.udpPorts).toStrictEqual([4789]);
  });
});

describe("parseFacts: the name taken by a foreign kind (e-foreign-kind)", () => {
  it("reports the foreign kind without VXLAN attributes", () => {
    const f = fixture("e-foreign-kind");
    expect(f.device).toStrictEqual({
      name: "mshvx0",
      ifindex: 6,
      kind: "veth",
      mac: "02:6d:73:00:00:0e",
      mtu: 1500,
      up: true,
      lowerUp: false,
      operstate: "LOWERLAYERDOWN",
      flags: ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP", "M-DOWN"],
      addresses: [],
    });
  });

  it("marks the kernel's own multicast `self permanent` FDB entries as such", () => {
    const f = fixture("e-foreign-kind");
    expect(f.fdb).toStrictEqual([
      { mac: "33:33:00:00:00:01", kind: "multicast", flags: ["self"], state: "permanent" },
      { mac: "01:00:5e:00:00:01", kind: "multicast", flags: ["self"], state: "permanent" },
    ]);
    expect(f.fdb.some((e) => e.kind === "unicast")).toBe(false);
  });

  it("an underlay named but absent is simply not among the interfaces", () => {
    const f = fixture("e-foreign-kind");
    expect(f.params.underlayDev).toBe("eth9");
    expect(f.interfaces).toStrictEqual([eth0]);
    expect(f.underlay).toStrictEqual(eth0);
    expect(Object.keys(f.sysctl)).not.toContain("net.ipv4.conf.eth9.rp_filter");
  });
});
