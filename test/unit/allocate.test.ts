import { describe, expect, it } from "vitest";
import { type AllocationInput, allocate, macFor, overlayIpFor } from "../../src/inventory/allocate.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import { cidr, intToIp, ipv4, mac, parseMac } from "../../src/net/addr.js";

const node = (name: string, underlay: string, pin: { ip?: string; mac?: string } = {}): AllocationInput => ({
  path: ["nodes", name],
  name,
  underlayIp: ipv4(underlay),
  ...(pin.ip === undefined ? {} : { overlayIp: ipv4(pin.ip) }),
  ...(pin.mac === undefined ? {} : { mac: mac(pin.mac) }),
});

/** Small deterministic PRNG (mulberry32), so the property tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("overlayIpFor: overlay network + the underlay's host bits", () => {
  it.each([
    // the seed's convention
    ["179.17.1.0/24", "192.168.0.21", "179.17.1.21"],
    ["179.17.1.0/24", "192.168.0.31", "179.17.1.31"],
    ["179.17.1.0/24", "192.168.0.16", "179.17.1.16"],
    ["179.17.1.0/24", "192.168.0.44", "179.17.1.44"],
    // /16: two octets of host bits
    ["179.17.0.0/16", "192.168.1.11", "179.17.1.11"],
    ["179.17.0.0/16", "10.0.254.1", "179.17.254.1"],
    ["100.64.0.0/10", "192.168.1.11", "100.104.1.11"],
    // prefixes that are not octet-aligned
    ["10.1.2.64/26", "192.168.0.200", "10.1.2.72"],
    ["10.1.2.0/23", "192.168.3.7", "10.1.3.7"],
    // edges: /1 (31 host bits), /0 (identity), /32 (the only address)
    ["128.0.0.0/1", "10.1.2.3", "138.1.2.3"],
    ["0.0.0.0/0", "203.0.113.9", "203.0.113.9"],
    ["198.18.0.1/32", "192.168.0.21", "198.18.0.1"],
  ])("%s, %s → %s", (overlay, underlay, want) => {
    expect(overlayIpFor(cidr(overlay), ipv4(underlay))).toBe(want);
  });
});

describe("macFor: 02:6d + the four octets of the overlay IP", () => {
  it.each([
    ["179.17.1.21", "02:6d:b3:11:01:15"],
    ["179.17.200.1", "02:6d:b3:11:c8:01"],
    ["10.0.0.1", "02:6d:0a:00:00:01"],
    ["255.255.255.255", "02:6d:ff:ff:ff:ff"],
  ])("%s → %s", (ip, want) => {
    expect(macFor(ipv4(ip))).toBe(want);
  });

  it("is a valid unicast, locally administered MAC, and distinct for distinct IPs", () => {
    const next = rng(7);
    const seen = new Map<string, string>();
    for (let i = 0; i < 500; i++) {
      const ip = intToIp(Math.floor(next() * 2 ** 32));
      const m = macFor(ip);
      expect(parseMac(m)).toEqual({ ok: true, value: m });
      const first = Number.parseInt(m.slice(0, 2), 16);
      expect(first & 1).toBe(0); // unicast
      expect(first & 2).toBe(2); // locally administered
      seen.set(ip, m);
    }
    // 500 distinct IPs (checked, not assumed) give 500 distinct MACs.
    expect(seen.size).toBe(500);
    expect(new Set(seen.values()).size).toBe(500);
  });

  it("IPs that differ in any one octet get different MACs", () => {
    const macs = ["10.0.0.1", "10.0.0.2", "10.0.1.1", "10.1.0.1", "11.0.0.1"].map((ip) => macFor(ipv4(ip)));
    expect(macs).toEqual([
      "02:6d:0a:00:00:01",
      "02:6d:0a:00:00:02",
      "02:6d:0a:00:01:01",
      "02:6d:0a:01:00:01",
      "02:6d:0b:00:00:01",
    ]);
  });
});

describe("allocate", () => {
  const overlay = cidr("179.17.1.0/24");

  it("allocates the seed's convention and keeps pinned values (pinned MAC as given, derived MAC from a pinned IP)", () => {
    const { allocations, issues } = allocate(overlay, [
      node("a", "192.168.0.21"),
      node("b", "192.168.0.31", { ip: "179.17.1.100" }),
      node("c", "192.168.0.16", { mac: "c2:6a:9b:e5:39:8d" }),
      node("d", "192.168.0.44", { ip: "179.17.1.44", mac: "12:d1:df:44:3d:aa" }),
    ]);
    expect(issues).toEqual([]);
    expect(allocations).toEqual([
      { overlayIp: "179.17.1.21", mac: "02:6d:b3:11:01:15" },
      { overlayIp: "179.17.1.100", mac: "02:6d:b3:11:01:64" },
      { overlayIp: "179.17.1.16", mac: "c2:6a:9b:e5:39:8d" },
      { overlayIp: "179.17.1.44", mac: "12:d1:df:44:3d:aa" },
    ]);
  });

  it("two underlays with the same host bits: one error naming both nodes and what to pin (no MAC echo)", () => {
    const { issues } = allocate(overlay, [node("alpha", "192.168.0.21"), node("beta", "10.9.9.21")]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toEqual(["nodes", "beta"]);
    expect(issues[0]?.message).toContain("179.17.1.21");
    expect(issues[0]?.message).toContain("beta");
    expect(issues[0]?.message).toContain("alpha");
    expect(issues[0]?.message).toContain("pin overlay_ip");
  });

  it("an allocated IP that collides with a pinned one is reported on the later node", () => {
    const pinnedFirst = allocate(overlay, [
      node("p", "192.168.0.5", { ip: "179.17.1.21" }),
      node("q", "192.168.0.21"),
    ]);
    expect(pinnedFirst.issues.map((i) => i.path)).toEqual([["nodes", "q"]]);
    expect(pinnedFirst.issues[0]?.message).toMatch(
      /node q \(allocated from its underlay IP\) collides with node p's: pin/,
    );
    const pinnedLast = allocate(overlay, [
      node("q", "192.168.0.21"),
      node("p", "192.168.0.5", { ip: "179.17.1.21" }),
    ]);
    expect(pinnedLast.issues.map((i) => i.path)).toEqual([["nodes", "p", "overlay_ip"]]);
    expect(pinnedLast.issues[0]?.message).toContain("collides with node q's");
  });

  it("pinned MACs collide case-insensitively with derived and with pinned ones", () => {
    const { issues } = allocate(overlay, [
      node("a", "192.168.0.21"),
      node("b", "192.168.0.22", { mac: "02:6d:b3:11:01:15" }),
      node("c", "192.168.0.23", { mac: "02:00:00:00:00:0a" }),
      node("d", "192.168.0.24", { mac: "02:00:00:00:00:0a" }),
      node("e", "192.168.0.25", { mac: "02:00:00:00:00:0a" }),
    ]);
    expect(issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["nodes.b.mac", "MAC 02:6d:b3:11:01:15 of node b collides with node a's: pin mac on one of them"],
      ["nodes.d.mac", "MAC 02:00:00:00:00:0a of node d collides with node c's: pin mac on one of them"],
      ["nodes.e.mac", "MAC 02:00:00:00:00:0a of node e collides with node c's: pin mac on one of them"],
    ]);
  });

  it("network and broadcast addresses: allocated ones say what to pin, pinned ones point at overlay_ip", () => {
    const allocated = allocate(overlay, [node("net", "192.168.5.0"), node("bcast", "192.168.5.255")]);
    expect(allocated.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "nodes.net",
        "overlay IP 179.17.1.0 is the network address of 179.17.1.0/24 (allocated from underlay 192.168.5.0; pin overlay_ip for node net)",
      ],
      [
        "nodes.bcast",
        "overlay IP 179.17.1.255 is the broadcast address of 179.17.1.0/24 (allocated from underlay 192.168.5.255; pin overlay_ip for node bcast)",
      ],
    ]);
    const pinned = allocate(overlay, [
      node("pnet", "192.168.0.1", { ip: "179.17.1.0" }),
      node("pbcast", "192.168.0.2", { ip: "179.17.1.255" }),
      node("ok", "192.168.0.3", { ip: "179.17.1.254" }),
    ]);
    expect(pinned.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["nodes.pnet.overlay_ip", "overlay IP 179.17.1.0 is the network address of 179.17.1.0/24"],
      ["nodes.pbcast.overlay_ip", "overlay IP 179.17.1.255 is the broadcast address of 179.17.1.0/24"],
    ]);
  });

  it("a /31 overlay has no network or broadcast address (RFC 3021)", () => {
    const { allocations, issues } = allocate(cidr("179.17.1.0/31"), [
      node("a", "10.0.0.2"),
      node("b", "10.0.0.3"),
    ]);
    expect(issues).toEqual([]);
    expect(allocations.map((a) => a.overlayIp)).toEqual(["179.17.1.0", "179.17.1.1"]);
  });

  it("a pinned IP outside the subnet is an error at overlay_ip", () => {
    const { issues } = allocate(overlay, [node("a", "192.168.0.21", { ip: "179.17.2.21" })]);
    expect(issues).toEqual([
      {
        path: ["nodes", "a", "overlay_ip"],
        message: "overlay IP 179.17.2.21 is outside the overlay subnet 179.17.1.0/24",
      },
    ]);
  });
});

describe("stability: adding or removing nodes never changes the others' allocations", () => {
  const overlay = cidr("10.200.0.0/16");
  let macs = 0;

  /** n nodes with distinct host bits (1..65534) under random /16 underlay prefixes; some pinned. */
  function generate(next: () => number, n: number, used: Set<number>, tag: string): AllocationInput[] {
    const out: AllocationInput[] = [];
    while (out.length < n) {
      const host = 1 + Math.floor(next() * 65534);
      if (used.has(host)) continue;
      used.add(host);
      const prefix = (Math.floor(next() * 200) + 1) * 2 ** 24 + Math.floor(next() * 256) * 2 ** 16;
      const name = `${tag}-${out.length}`;
      const pinIp = next() < 0.2;
      // A pinned IP takes a host part of its own, so it cannot collide with an allocated one.
      let pinned = 0;
      while (pinIp && (pinned === 0 || used.has(pinned))) pinned = 1 + Math.floor(next() * 65534);
      if (pinIp) used.add(pinned);
      const pinMac = next() < 0.2;
      macs++;
      out.push(
        node(name, intToIp(prefix + host), {
          ...(pinIp ? { ip: intToIp(0x0ac80000 + pinned) } : {}),
          // 06:… never equals a derived 02:6d:… MAC; the counter keeps pinned ones distinct.
          ...(pinMac
            ? {
                mac: `06:00:00:00:${(macs >> 8).toString(16).padStart(2, "0")}:${(macs & 255).toString(16).padStart(2, "0")}`,
              }
            : {}),
        }),
      );
    }
    return out;
  }

  const byName = (nodes: AllocationInput[]) => {
    const { allocations, issues } = allocate(overlay, nodes);
    expect(issues).toEqual([]);
    return new Map(nodes.map((n, i) => [n.name, allocations[i]]));
  };

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    it(`seed ${seed}: remove, add and reorder`, () => {
      const next = rng(seed);
      const used = new Set<number>();
      const base = generate(next, 40, used, "n");
      const before = byName(base);
      expect(new Set([...before.values()].map((a) => a?.overlayIp)).size).toBe(base.length);

      const kept = base.filter(() => next() < 0.6);
      const added = generate(next, 15, used, "new");
      const shuffled = [...kept, ...added].sort(() => next() - 0.5);
      const after = byName(shuffled);
      for (const n of kept) expect(after.get(n.name)).toEqual(before.get(n.name));
      expect(after.size).toBe(kept.length + added.length);
    });
  }

  it("through the inventory loader: adding a node in front of the others renumbers nothing", () => {
    const inv = (extra: string) => `mesh: {overlay: 179.17.0.0/16}
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
${extra}      - {name: a-1, host: 192.168.1.11}
      - {name: a-2, host: 192.168.2.12, overlay_ip: 179.17.9.9}
      - {name: a-3, host: 192.168.3.13}
`;
    const addrs = (text: string) =>
      Object.fromEntries(
        loadInventoryText(text).clusters.flatMap((c) => c.nodes.map((n) => [n.name, [n.overlayIp, n.mac]])),
      );
    const before = addrs(inv(""));
    const after = addrs(inv("      - {name: a-0, host: 192.168.0.10}\n"));
    expect(after).toEqual({ ...before, "a-0": ["179.17.0.10", "02:6d:b3:11:00:0a"] });
    const removed = addrs(inv("").replace(/ {6}- \{name: a-1.*\n/, ""));
    expect(removed).toEqual({ "a-2": before["a-2"], "a-3": before["a-3"] });
  });
});
