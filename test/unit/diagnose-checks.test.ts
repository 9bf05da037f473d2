/** The pure checks of `meshctl diagnose` on NodeFacts built in every shape that breaks a mesh. */
import { describe, expect, it } from "vitest";
import { checkCalicoPort } from "../../src/cni/calico/checks.js";
import { clusterFindings, nodeFindings } from "../../src/diagnose/checks.js";
import { checkDevice, checkMtu, checkUnderlay } from "../../src/diagnose/device-checks.js";
import { checkEntries } from "../../src/diagnose/entry-checks.js";
import { parseDiagnoseOutput } from "../../src/diagnose/parse.js";
import { checkForwarding, checkRpFilter } from "../../src/diagnose/sysctl-checks.js";
import { checkFirewall, checkOverlaps, checkPort } from "../../src/diagnose/traffic-checks.js";
import type { Finding } from "../../src/diagnose/types.js";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { Cidr, Ipv4 } from "../../src/net/addr.js";
import { resolveNode } from "../../src/plan/node-diff.js";
import { DIRECT_METRIC } from "../../src/plan/ownership.js";
import { bareFacts, convergedFacts, ip, model, nodeOf, THREE_BY_TWO } from "../support/builders.js";
import { bareExtra, fixture, iptablesChain, labModel, vxlanSocket } from "../support/diagnose-builders.js";

const m = model();
const a1 = nodeOf(m, "a1");
const ok = convergedFacts(a1);
const okSysctl = {
  "net.ipv4.ip_forward": 1,
  "net.ipv4.conf.all.rp_filter": 0,
  "net.ipv4.conf.mshvx0.rp_filter": 2,
  "net.ipv4.conf.eth0.rp_filter": 0,
};
const facts = (over: Partial<NodeFacts> = {}): NodeFacts => ({ ...ok, sysctl: okSysctl, ...over });
const dev = (over: Partial<NonNullable<NodeFacts["device"]>>): NodeFacts =>
  facts({ device: { ...(ok.device as NonNullable<NodeFacts["device"]>), ...over } });
const failing = (fs: Finding[]) => fs.filter((f) => !f.ok);
const ctx = { inventory: "inv.yaml" };

describe("a converged node", () => {
  it("passes every check; the only finding without tools is the unread firewall (a warning)", () => {
    const fs = nodeFindings(m, a1, facts(), bareExtra({ udpSockets: [vxlanSocket()] }), ctx);
    expect(failing(fs).map((f) => `${f.check} ${f.severity}`)).toEqual(["forward-policy warning"]);
    expect(fs.filter((f) => f.ok).map((f) => f.check)).toEqual([
      "underlay",
      "lock-out",
      "mode",
      "device",
      "mac",
      "device-up",
      "overlay-address",
      "entries",
      "ip-forward",
      "rp-filter",
      "rp-filter",
      "calico-port",
      "udp-port",
      "mtu",
      "route-overlap",
    ]);
    expect(fs.every((f) => f.node === "a1")).toBe(true);
  });

  it("on the lab's captured output too", () => {
    // (captured with iptables installed, FORWARD policy ACCEPT: nothing fails)
    const lm = labModel();
    const { facts: f, extra } = parseDiagnoseOutput(fixture("diagnose-ok.out"));
    expect(failing(nodeFindings(lm, nodeOf(lm, "c1-node1"), f, extra)).map((x) => x.check)).toEqual([]);
  });
});

describe("device", () => {
  it("absent → error, fix: apply", () => {
    const [f] = checkDevice(a1, bareFacts(a1), ctx);
    expect(f).toMatchObject({
      check: "device",
      ok: false,
      severity: "error",
      fix: "meshctl apply -i inv.yaml --limit a1",
    });
  });

  it("wrong VNI / port / local IP → one error naming each, fix: apply recreates it", () => {
    const [f] = failing(checkDevice(a1, dev({ vni: 999, port: 4789, localIp: "198.18.0.99" as Ipv4 }), ctx));
    expect(f?.finding).toMatch(
      /VNI 999 \(inventory: 10001\), UDP port 4789 \(inventory: 4899\), local IP 198\.18\.0\.99/,
    );
    expect(f?.fix).toMatch(/^meshctl apply -i inv\.yaml --limit a1 \(recreates the device/);
  });

  it("a MAC other than the inventory's → udev may have rewritten it; fix: a .link file with MACAddressPolicy=none, then apply", () => {
    const [f] = failing(checkDevice(a1, dev({ mac: "02:11:22:33:44:55" })));
    expect(f?.check).toBe("mac");
    expect(f?.finding).toMatch(
      /MAC 02:11:22:33:44:55, the inventory says 02:.*udev \(MACAddressPolicy=persistent\) may have rewritten/,
    );
    expect(f?.fix).toContain("OriginalName=mshvx0");
    expect(f?.fix).toContain("MACAddressPolicy=none");
    expect(f?.fix).toContain("/etc/systemd/network/10-mshvx0.link");
    expect(f?.fix).toMatch(/meshctl apply/);
  });

  it("a foreign kind, down, without its address, with a remote", () => {
    expect(failing(checkDevice(a1, dev({ kind: "bridge" })))[0]?.finding).toMatch(
      /is a bridge device, not meshctl's/,
    );
    expect(failing(checkDevice(a1, dev({ up: false })))[0]).toMatchObject({
      check: "device-up",
      fix: "ip link set dev mshvx0 up",
    });
    expect(failing(checkDevice(a1, dev({ addresses: [] })))[0]?.check).toBe("overlay-address");
    expect(failing(checkDevice(a1, dev({ remote: "198.18.0.50" as Ipv4 })))[0]).toMatchObject({
      check: "device-remote",
      severity: "warning",
    });
  });

  it("no interface holds the underlay address → error with the inventory change", () => {
    const f = checkUnderlay(a1, { ...facts(), underlay: undefined } as unknown as NodeFacts)[0];
    expect(f).toMatchObject({ ok: false, severity: "error" });
    expect(f?.fix).toMatch(/inventory: set underlay_ip of a1/);
  });

  it("missing FDB entries, neighbours, routes → what is missing, fix: apply", () => {
    const f = failing(checkEntries(a1, facts({ fdb: ok.fdb.slice(1) }), ctx))[0];
    expect(f?.finding).toMatch(
      /^1 mesh entries missing, wrong or not wanted: FDB .* \(a2\): missing \(dst 198\.18\.0\.12\)$/,
    );
    expect(f?.fix).toBe("meshctl apply -i inv.yaml --limit a1");
  });

  it("entries are judged by the plan's diff: a route via the right peer on another device or without onlink is wrong, a stale one is not wanted", () => {
    const [r0, ...rest] = ok.routes;
    if (!r0) throw new Error("converged facts have routes");
    const notOnlink = failing(checkEntries(a1, facts({ routes: [{ ...r0, flags: [] }, ...rest] })))[0];
    expect(notOnlink?.finding).toMatch(
      new RegExp(
        `^1 mesh entries .*: route ${r0.dst} \\(b\\d\\): .*\\(wanted: via ${r0.via} dev mshvx0 onlink\\)$`,
      ),
    );
    const stale = { ...r0, dst: "198.18.48.0/26" as Cidr };
    expect(failing(checkEntries(a1, facts({ routes: [...ok.routes, stale] })))[0]?.finding).toMatch(
      /: route 198\.18\.48\.0\/26 via .* dev mshvx0 proto 77: not wanted$/,
    );
    const elsewhere = { ...r0, dev: "eth0" };
    const foreign = failing(checkEntries(a1, facts({ routes: [elsewhere, ...rest] })));
    expect(foreign.map((f) => f.check)).toEqual(["ownership"]);
    expect(foreign[0]?.finding).toMatch(
      /^apply refuses this node: route .* carries meshctl's protocol id but it is not on mshvx0/,
    );
  });

  it("an address the inventory does not give the device → a warning (apply deletes it); an unmarked device of the same VNI passes", () => {
    const d = ok.device as NonNullable<NodeFacts["device"]>;
    const extra = failing(
      checkDevice(a1, dev({ addresses: [...d.addresses, { ip: ip("198.18.1.200"), prefixLen: 24 }] })),
    );
    expect(extra).toMatchObject([{ check: "overlay-address", severity: "warning" }]);
    expect(extra[0]?.finding).toContain("also holds 198.18.1.200/24");
    const { alias: _, ...unmarked } = d;
    expect(failing(checkDevice(a1, facts({ device: unmarked })))).toEqual([]);
    expect(failing(checkDevice(a1, dev({ alias: "other" })))[0]?.finding).toMatch(
      /alias "other".*not meshctl's/,
    );
  });
});

describe("direct mode: diagnose follows the diff's paths", () => {
  const dm = model(THREE_BY_TWO.replace("  route_protocol: 77\n", "  route_protocol: 77\n  mode: direct\n"));
  const d1 = nodeOf(dm, "a1");
  const direct = resolveNode(d1, bareFacts(d1)).routes.map(
    (r): RouteFact => ({
      dst: r.dst,
      type: "unicast",
      via: r.via,
      dev: "eth0",
      protocol: 77,
      table: "main",
      metric: DIRECT_METRIC,
      flags: [],
    }),
  );
  const converged = { ...bareFacts(d1), routes: direct };

  it("no device is wanted, and a converged node passes; a missing direct route is a missing entry", () => {
    expect(failing([...checkDevice(d1, converged), ...checkEntries(d1, converged)])).toEqual([]);
    expect(checkDevice(d1, converged)[0]?.finding).toMatch(/no VXLAN device needed/);
    const [f] = failing(checkEntries(d1, { ...converged, routes: direct.slice(1) }));
    expect(f?.finding).toMatch(
      /^1 mesh entries .*: route 198\.18\.32\.0\/26 \(b1\): missing \(via 198\.18\.0\.13 dev eth0/,
    );
  });

  it("a peer off the underlay's subnets: the diff's refusal is the finding", () => {
    const u = bareFacts(d1).underlay as NonNullable<NodeFacts["underlay"]>;
    const narrow = { ...u, addresses: [{ ip: ip("198.18.0.11"), prefixLen: 30 }] };
    const f = { ...converged, underlay: narrow, interfaces: [narrow] };
    expect(checkDevice(d1, f)).toEqual([]);
    expect(failing(checkEntries(d1, f))[0]?.finding).toMatch(/^apply refuses this node: mode direct: b1/);
  });
});

describe("sysctls", () => {
  it("ip_forward off → error with the sysctl", () => {
    const f = checkForwarding(a1, facts({ sysctl: { ...okSysctl, "net.ipv4.ip_forward": 0 } }))[0];
    expect(f).toMatchObject({ ok: false, severity: "error" });
    expect(f?.fix).toMatch(/^sysctl -w net\.ipv4\.ip_forward=1/);
  });

  it("rp_filter: the effective value is max(all, dev); strict passes (the mesh's routes are symmetric) and says what it drops", () => {
    // conf.all = 1 makes eth0 (0) strict; mshvx0 at 2 stays loose.
    const fs = checkRpFilter(a1, facts({ sysctl: { ...okSysctl, "net.ipv4.conf.all.rp_filter": 1 } }));
    expect(fs.map((f) => [f.ok, f.finding.split(" ")[3]])).toEqual([
      [true, "(the"],
      [true, "(the"],
    ]);
    expect(fs[0]?.finding).toBe("rp_filter on mshvx0 (the mesh device) is loose (2)");
    expect(fs[1]?.finding).toMatch(
      /^rp_filter on eth0 \(the underlay\) is strict: effective 1 = max\(conf\.all 1, conf\.eth0 0\); the mesh's traffic passes: VXLAN packets/,
    );
    const own = checkRpFilter(a1, facts({ sysctl: { ...okSysctl, "net.ipv4.conf.mshvx0.rp_filter": 1 } }));
    expect(own[0]?.ok).toBe(true);
    expect(own[0]?.finding).toMatch(
      /mshvx0 \(the mesh device\) is strict: .*routes back to every remote pod block .* SNATed/,
    );
    expect(own[1]?.finding).toBe("rp_filter on eth0 (the underlay) is off (0)");
    const unread = failing(checkRpFilter(a1, facts({ sysctl: { "net.ipv4.ip_forward": 1 } })));
    expect(unread.map((f) => [f.severity, f.fix])).toEqual([
      ["warning", "sysctl net.ipv4.conf.mshvx0.rp_filter"],
      ["warning", "sysctl net.ipv4.conf.eth0.rp_filter"],
    ]);
  });
});

describe("UDP port", () => {
  it("Calico's vxlanPort (its device's, or the default 4789 on a Calico cluster) is an error", () => {
    const onCalico = { ...a1, device: { ...a1.device, port: 4789 } };
    expect(failing(checkCalicoPort(onCalico, facts()))[0]).toMatchObject({
      check: "calico-port",
      severity: "error",
    });
    const onPort = facts({ vxlanPorts: [{ device: "vxlan.calico", port: 4899, vni: 4096, up: true }] });
    const f = failing([...checkCalicoPort(a1, onPort), ...checkPort(a1, onPort, bareExtra())]);
    expect(f.map((x) => x.check)).toEqual(["calico-port", "udp-port"]);
    expect(f[0]?.finding).toMatch(/Felix drops/);
    expect(f[0]?.fix).toMatch(/inventory: set mesh\.port/);
  });

  it("another VXLAN device on the port: an error with the same VNI, a warning otherwise", () => {
    const other = (vni: number) =>
      facts({ vxlanPorts: [{ device: "flannel.1", port: 4899, vni, up: true }] });
    expect(failing(checkPort(a1, other(10001), bareExtra()))[0]).toMatchObject({
      check: "udp-port",
      severity: "error",
    });
    expect(failing(checkPort(a1, other(1), bareExtra()))[0]).toMatchObject({
      check: "udp-port",
      severity: "warning",
    });
  });

  it("a socket on the port that is not the device's → error with how to find the process", () => {
    const mine = facts({ vxlanPorts: [{ device: "mshvx0", port: 4899, vni: 10001, up: true }] });
    expect(failing(checkPort(a1, mine, bareExtra({ udpSockets: [vxlanSocket()] })))).toEqual([]);
    const extra = bareExtra({
      udpSockets: [vxlanSocket(), { family: "udp6", local: "0".repeat(32), uid: 1000, inode: 42 }],
    });
    const f = failing(checkPort(a1, mine, extra))[0];
    expect(f?.finding).toMatch(/1 socket\(s\) besides the VXLAN device's are bound to UDP 4899/);
    expect(f?.fix).toMatch(/ss -uapn 'sport = :4899'/);
    // Device absent, a process holds the port: the device cannot come up.
    const held = failing(
      checkPort(a1, bareFacts(a1), bareExtra({ udpSockets: [{ ...vxlanSocket(), uid: 1000 }] })),
    )[0];
    expect(held?.finding).toMatch(/cannot come up/);
  });
});

describe("firewall", () => {
  it("neither tool → a warning that it was not checked", () => {
    expect(checkFirewall(a1, bareExtra())[0]).toMatchObject({
      ok: false,
      severity: "warning",
      finding: expect.stringMatching(/neither iptables nor nft/),
    });
  });

  it("FORWARD policy DROP without accept rules for the device → warning with the iptables fix", () => {
    const f = checkFirewall(a1, bareExtra({ iptables: iptablesChain({ policyDrop: true }) }));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ ok: false, severity: "warning" });
    expect(f[0]?.fix).toBe(
      "iptables -I FORWARD -i mshvx0 -j ACCEPT; iptables -I FORWARD -o mshvx0 -j ACCEPT",
    );
    expect(
      checkFirewall(
        a1,
        bareExtra({ iptables: iptablesChain({ policyDrop: true, acceptsIn: true, acceptsOut: true }) }),
      )[0]?.ok,
    ).toBe(true);
    expect(checkFirewall(a1, bareExtra({ iptables: iptablesChain() }))[0]?.ok).toBe(true);
  });

  it("nft forward chain with policy drop → the nft fix; iptables-nft's mirror is reported once", () => {
    const nft = {
      present: true as const,
      chains: [
        {
          source: "nft inet filter",
          chain: "forward",
          policyDrop: true,
          acceptsIn: false,
          acceptsOut: false,
        },
      ],
    };
    expect(checkFirewall(a1, bareExtra({ nft }))[0]?.fix).toBe(
      'nft insert rule inet filter forward iifname "mshvx0" accept; nft insert rule inet filter forward oifname "mshvx0" accept',
    );
    const mirror = {
      present: true as const,
      chains: [
        { source: "nft ip filter", chain: "FORWARD", policyDrop: true, acceptsIn: false, acceptsOut: false },
      ],
    };
    expect(
      checkFirewall(a1, bareExtra({ nft: mirror, iptables: iptablesChain({ policyDrop: true }) })),
    ).toHaveLength(1);
  });
});

describe("MTU", () => {
  it("device MTU above underlay − 50 → error with the exact command", () => {
    const f = checkMtu(a1, dev({ mtu: 1500 }), ctx)[0];
    expect(f).toMatchObject({ ok: false, severity: "error" });
    expect(f?.finding).toMatch(/MTU 1500 is more than the underlay eth0's 1500 − 50 = 1450/);
    expect(f?.fix).toMatch(/^ip link set dev mshvx0 mtu 1450/);
    const small = facts({ underlay: { ...(ok.underlay as NonNullable<NodeFacts["underlay"]>), mtu: 1400 } });
    expect(checkMtu(a1, small)[0]?.finding).toMatch(/1450 is more than .* 1400 − 50 = 1350/);
  });

  it("an explicit inventory MTU too big → the inventory change", () => {
    const big = { ...a1, device: { ...a1.device, mtu: 1500 } };
    expect(checkMtu(big, dev({ mtu: 1500 }))[0]?.fix).toMatch(/^inventory: set mesh\.mtu to auto/);
  });

  it("smaller than wanted → warning; equal → ok", () => {
    expect(checkMtu(a1, dev({ mtu: 1400 }))[0]).toMatchObject({ ok: false, severity: "warning" });
    expect(checkMtu(a1, facts())[0]?.ok).toBe(true);
  });
});

describe("overlapping routes", () => {
  const b1Block = "198.18.32.0/26" as Cidr;

  it("a foreign route as or more specific than a remote pod block steals it → error with ip route del", () => {
    const extra = bareExtra({
      rootRoutes: [
        {
          cidr: "198.18.32.0/20" as Cidr,
          routes: [
            { dst: "198.18.32.0/27" as Cidr, type: "unicast", dev: "eth0", protocol: "boot", scope: "link" },
            { dst: b1Block, type: "unicast", via: "198.18.1.13" as Ipv4, dev: "mshvx0", protocol: 77 },
          ],
        },
      ],
    });
    const f = failing(checkOverlaps(m, a1, facts(), extra));
    expect(f).toHaveLength(1);
    expect(f[0]?.finding).toMatch(
      /route 198\.18\.32\.0\/27 dev eth0 proto boot is as specific as or more specific than b1's pod block 198\.18\.32\.0\/26/,
    );
    expect(f[0]?.fix).toMatch(/^ip route del 198\.18\.32\.0\/27 dev eth0/);
  });

  it("less specific routes (a default, a covering /16) do not steal; foreignRoutes are checked too", () => {
    const wide = facts({
      foreignRoutes: [
        {
          dst: "0.0.0.0/0" as Cidr,
          type: "unicast",
          via: "198.18.0.1" as Ipv4,
          dev: "eth0",
          protocol: "boot",
          table: "main",
          flags: [],
        },
        {
          dst: "198.18.0.0/16" as Cidr,
          type: "unicast",
          dev: "eth0",
          protocol: "static",
          table: "main",
          flags: [],
        },
        { dst: b1Block, type: "blackhole", protocol: "bird", table: "main", flags: [] },
      ],
    });
    const f = failing(checkOverlaps(m, a1, wide, bareExtra()));
    expect(f.map((x) => x.fix)).toEqual([
      "ip route del blackhole 198.18.32.0/26 (if nothing needs it; else renumber the overlapping network)",
    ]);
  });

  it("on the lab's captured broken node", () => {
    const lm = labModel();
    const { facts: f, extra } = parseDiagnoseOutput(fixture("diagnose-broken.out"));
    const fs = failing(nodeFindings(lm, nodeOf(lm, "c3-node1"), f, extra));
    expect(fs.map((x) => x.check)).toEqual(["ip-forward", "mtu", "route-overlap"]);
    expect(fs.find((x) => x.check === "route-overlap")?.finding).toMatch(
      /198\.18\.16\.0\/27 dev eth0 .* c1-node1's pod block 198\.18\.16\.0\/26/,
    );
  });
});

describe("cluster checks", () => {
  it("test endpoints: none, or outside the pod CIDR → warning", () => {
    const [c1, c2] = m.clusters;
    if (!c1 || !c2) throw new Error("clusters");
    expect(clusterFindings(c1)[0]).toMatchObject({
      cluster: "c1",
      check: "test-endpoints",
      ok: false,
      severity: "warning",
    });
    expect(clusterFindings({ ...c2, testEndpoints: ["10.0.0.1" as Ipv4] })[0]?.finding).toMatch(
      /outside the pod CIDR/,
    );
    expect(clusterFindings({ ...c2, testEndpoints: ["198.18.32.5" as Ipv4] })[0]?.ok).toBe(true);
  });
});
