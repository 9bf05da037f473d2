/**
 * The plain-text path (iproute2 before 5.5, where `ip -j` is refused, ignored or prints invalid JSON):
 * - REAL text: test/fixtures/facts/<scenario>.text.out, captured by capture.ts from this machine's iproute2
 *   (6.1) behind a wrapper that answers `ip -V` as 4.11 and refuses `-json` as 4.11 does, in the same
 *   namespace state as <scenario>.out (JSON): both must give the same facts.
 * - REAL BUILDS: <scenario>.iproute2-<version>.out, the same state read by `ip` and `bridge` built from
 *   iproute2's release tags 4.11 to 6.4; see test/fixtures/facts/README.md.
 * - OLDER SPELLINGS, one line each, written from the print functions of iproute2's history
 *   (github.com/iproute2/iproute2, read at the tags named): where the text drifted between versions.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CAPS_PROBE, JSON_CAPS, parseCaps, TEXT_CAPS } from "../../src/facts/caps.js";
import { FactsParseError, parseFacts, UnsupportedNodeError } from "../../src/facts/index.js";
import { fdbSection } from "../../src/facts/sections/fdb.js";
import { parseLinks } from "../../src/facts/sections/link.js";
import { neighSection } from "../../src/facts/sections/neighbours.js";
import { parseRouteList } from "../../src/facts/sections/route-list.js";
import type { Draft } from "../../src/facts/sections/types.js";
import { draftFor } from "../support/facts-draft.js";

const read = (f: string) => readFileSync(new URL(`../fixtures/facts/${f}`, import.meta.url), "utf8");
const SCENARIOS = ["a-configured", "b-absent", "c-drift", "d-down-mac", "e-foreign-kind"];

describe("real plain text (this machine's iproute2, JSON refused as 4.11 does)", () => {
  it.each(SCENARIOS)("%s: the text facts equal the JSON facts of the same state", (name) => {
    const text = read(`${name}.text.out`);
    expect(text).toContain("iproute2-ss170501");
    expect(text).toContain("\nmode text\n");
    expect(text).not.toContain("@@ip-batch");
    expect(parseFacts(text)).toStrictEqual(parseFacts(read(`${name}.out`)));
  });
});

describe("real output of iproute2 builds from 4.11 to 6.4 (test/fixtures/facts/README.md)", () => {
  // [file suffix, `ip -V`, the mode the probe chose]
  const builds = [
    ["4.11", "iproute2-ss170501", "text"], // CentOS 7
    ["4.15", "iproute2-ss180129", "text"], // Ubuntu 18.04
    ["4.18", "iproute2-ss180813", "text"], // RHEL 8.0: invalid route JSON, fdb `dst` without keyword
    ["4.20", "iproute2-ss190107", "text"], // Debian 10
    ["5.3", "iproute2-ss190924", "text"], // RHEL 8.2: multipath nexthops as text inside JSON
    ["5.5", "iproute2-ss200127", "json"], // Ubuntu 20.04
    ["5.5.text", "iproute2-ss170501", "text"], // 5.5's plain text (`ip -V` answering as 4.11)
    ["6.4", "iproute2-6.4.0", "json"],
    ["6.4.text", "iproute2-ss170501", "text"], // 6.4's text: nolearning last, only non-default flags
  ] as const;
  const cases = SCENARIOS.flatMap((name) => builds.map(([v, ss, mode]) => [name, v, ss, mode] as const));
  it.each(cases)(
    "%s read by %s: the probe's mode, and the facts equal the JSON facts of the same state",
    (name, v, ss, mode) => {
      const text = read(`${name}.iproute2-${v}.out`);
      expect(text).toContain(`ip utility, ${ss}\n`);
      expect(text).toContain(`\nmode ${mode}\n`);
      expect(parseFacts(text)).toStrictEqual(parseFacts(read(`${name}.out`)));
    },
  );

  it.each(cases)(
    "%s read by %s: every ip read in one `ip -batch`, exit 0 and nothing on stderr",
    (name, v, ss) => {
      const text = read(`${name}.iproute2-${v}.out`);
      const batches = [...text.matchAll(/^@@(ip-batch|ip-text) (.*)$/gm)];
      expect(batches).toHaveLength(1);
      expect(text).toMatch(/^@@ip-stderr\n\n@@ip-status 0\n\n@@ip-(text|batch) /m);
      const names = (batches[0]?.[2] ?? "").split(" ");
      // route listings run apart from the batch (a guarded one whose device is absent is `[]`, no process)
      const alone = ["routes-main", "connected"].filter((n) =>
        new RegExp(`^@@${n}\n(?!\\[\\])`, "m").test(text),
      );
      // iproute2 before 4.13 (ss170501) ends a batch at `route show`: one route listing in it, last
      if (ss === "iproute2-ss170501") {
        expect(names[names.length - 1]).toBe("routes");
        expect(alone).toEqual(name === "b-absent" ? ["routes-main"] : ["routes-main", "connected"]);
      } else {
        expect(alone).toEqual([]);
        expect(names).toContain("routes-main");
      }
    },
  );
});

const draft = (): Draft => draftFor(TEXT_CAPS);

describe("links: older and newer spellings", () => {
  const head =
    "5: mshvx0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000";
  const link = "    link/ether 02:6d:73:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 ";
  const inet = "    inet 198.18.251.1/24 scope global mshvx0\n       valid_lft forever preferred_lft forever";

  it("4.11 (ip/iplink_vxlan.c vxlan_print_opt at v4.11.0): the underlay as an ifindex, nolearning before ageing", () => {
    const [l] = parseLinks(
      `${head}\n${link}\n    vxlan id 10001 local 198.18.250.2 dev 3 srcport 0 0 dstport 4899 nolearning ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 \n${inet}`,
      "device",
      false,
    );
    expect(l).toMatchObject({
      name: "mshvx0",
      kind: "vxlan",
      mtu: 1450,
      mac: "02:6d:73:00:00:01",
      vxlan: { vni: 10001, port: 4899, localIp: "198.18.250.2", link: 3, learning: false },
      addresses: [{ ip: "198.18.251.1", prefixLen: 24 }],
    });
  });

  it("6.4+ (v6.4.0 print_bool_opt: only non-default flags, after the other options): nolearning last, learning silent", () => {
    const off = parseLinks(
      `${head}\n${link}\n    vxlan id 10001 local 198.18.250.2 dev eth0 srcport 0 0 dstport 4899 ttl auto ageing 300 nolearning \n`,
      "d",
      false,
    );
    const on = parseLinks(
      `${head}\n${link}\n    vxlan id 4096 local 198.18.250.2 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300 \n`,
      "d",
      false,
    );
    expect(off[0]?.vxlan?.learning).toBe(false);
    expect(on[0]?.vxlan).toMatchObject({ learning: true, vni: 4096, port: 4789 });
  });

  it("a veth peer `name@peer`, a NIC without a kind (`addrgenmode …` first), altname and alias lines", () => {
    const list = parseLinks(
      [
        "3: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000",
        "    link/ether de:42:aa:57:77:7e brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0 ",
        "    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 ",
        "    inet 198.18.250.2/24 brd 198.18.250.255 scope global eth0",
        "2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc mq state UP group default qlen 1000",
        "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff promiscuity 0 ",
        "    addrgenmode none numtxqueues 1 numrxqueues 1 ",
        "    altname enp0s3",
        "    inet 198.18.9.9 peer 198.18.9.10/32 scope global ens3",
      ].join("\n"),
      "holder",
      false,
    );
    expect(list.map((l) => [l.name, l.kind, l.mtu, l.addresses])).toEqual([
      ["eth0", "veth", 1500, [{ ip: "198.18.250.2", prefixLen: 24 }]],
      ["ens3", "none", 9000, [{ ip: "198.18.9.9", prefixLen: 32 }]],
    ]);
  });

  it("rejects what is not a link listing (an error message left in the section)", () => {
    expect(() => parseLinks('Device "mshvx0" does not exist.', "device", false)).toThrow(FactsParseError);
  });
});

describe("fdb: older spellings", () => {
  const fdb = (text: string) => {
    const d = draft();
    fdbSection.parse(text, d);
    return d.fdb;
  };
  it("before 4.20 `dev` is printed even with the dev filter, sometimes twice (bridge/fdb.c at v4.11.0, v4.19.0)", () => {
    expect(
      fdb(
        "02:6d:73:00:00:02 dev mshvx0 dst 198.18.250.3 self permanent\n02:6d:73:00:00:03 dev mshvx0 dev mshvx0 dst 198.18.250.4 self permanent\n",
      ),
    ).toEqual([
      { mac: "02:6d:73:00:00:02", kind: "unicast", dst: "198.18.250.3", flags: ["self"], state: "permanent" },
      { mac: "02:6d:73:00:00:03", kind: "unicast", dst: "198.18.250.4", flags: ["self"], state: "permanent" },
    ]);
  });
  it("4.17–4.18 print the destination without `dst` (bridge/fdb.c at v4.18.0; fixed by 4abb8c72 in 4.19)", () => {
    expect(
      fdb("00:00:00:00:00:00 198.18.250.9 self permanent\n02:6d:73:00:00:03 198.18.250.4 self permanent\n"),
    ).toEqual([
      { mac: "00:00:00:00:00:00", kind: "flood", dst: "198.18.250.9", flags: ["self"], state: "permanent" },
      { mac: "02:6d:73:00:00:03", kind: "unicast", dst: "198.18.250.4", flags: ["self"], state: "permanent" },
    ]);
  });
  it("a learned entry has no state word; per-entry overrides are read", () => {
    expect(
      fdb(
        "02:6d:73:00:00:05 dst 198.18.250.5 port 4789 vni 7 via eth0 self \n33:33:00:00:00:01 self permanent\n00:00:00:00:00:00 dst 198.18.250.9 self permanent",
      ),
    ).toEqual([
      {
        mac: "02:6d:73:00:00:05",
        kind: "unicast",
        dst: "198.18.250.5",
        flags: ["self"],
        state: "reachable",
        port: 4789,
        vni: 7,
        via: "eth0",
      },
      { mac: "33:33:00:00:00:01", kind: "multicast", flags: ["self"], state: "permanent" },
      { mac: "00:00:00:00:00:00", kind: "flood", dst: "198.18.250.9", flags: ["self"], state: "permanent" },
    ]);
  });
  it("rejects a line that is not an entry", () => {
    expect(() => fdb('Error: Cannot find device "mshvx0"')).toThrow(/@@fdb: expected "<MAC>/);
  });
});

describe("neigh and routes: older spellings", () => {
  it("neighbours: FAILED without lladdr, flags, the unfiltered `dev`, IPv6 skipped", () => {
    const d = draft();
    neighSection.parse(
      "198.18.251.5 dev mshvx0  FAILED\n198.18.251.6 lladdr 02:6d:73:00:00:06 router REACHABLE\nfe80::1 lladdr 02:6d:73:00:00:07 STALE\n",
      d,
    );
    expect(d.neighbours).toEqual([
      { ip: "198.18.251.5", state: ["FAILED"], flags: [] },
      { ip: "198.18.251.6", mac: "02:6d:73:00:00:06", state: ["REACHABLE"], flags: ["router"] },
    ]);
  });

  it("routes (ip/iproute.c print_route at v4.11.0): `via inet`, metrics with lock, cache lines, flags", () => {
    const r = parseRouteList(
      [
        "unicast 198.18.252.0/26 via inet 198.18.251.2 dev mshvx0 table main proto 77 scope global onlink ",
        "unicast 198.18.252.64/26 via 198.18.251.3 dev mshvx0 table 100 proto 77 scope global metric 5 mtu lock 1400 linkdown ",
        "    cache expires 30sec ",
        "unreachable 198.18.253.0/24 table main proto boot scope global ",
      ].join("\n"),
      "routes",
      false,
      77,
    );
    expect(r).toEqual([
      {
        dst: "198.18.252.0/26",
        type: "unicast",
        via: "198.18.251.2",
        dev: "mshvx0",
        protocol: 77,
        table: "main",
        scope: "global",
        flags: ["onlink"],
      },
      {
        dst: "198.18.252.64/26",
        type: "unicast",
        via: "198.18.251.3",
        dev: "mshvx0",
        protocol: 77,
        table: "100",
        scope: "global",
        metric: 5,
        flags: ["linkdown"],
      },
      {
        dst: "198.18.253.0/24",
        type: "unreachable",
        protocol: "boot",
        table: "main",
        scope: "global",
        flags: [],
      },
    ]);
  });

  it("routes: a bad destination or gateway names the section", () => {
    expect(() => parseRouteList("unicast 198.18.252.1/24 dev x", "routes", false, 77)).toThrow(
      /@@routes: \[0\]\.dst/,
    );
    expect(() => parseRouteList("unicast 198.18.252.0/24 via fe80::1 dev x", "routes", false, 77)).toThrow(
      /gateway/,
    );
  });
});

describe("capabilities: the probe decides JSON or text from `ip -V`", () => {
  /** Runs the probe with `ip -V` answering `line`. */
  const probe = (line: string) =>
    execFileSync("sh", ["-c", `ip() { echo '${line}'; }\n${CAPS_PROBE}\necho "=$caps_mode"`], {
      encoding: "utf8",
    });
  it.each([
    ["ip utility, iproute2-ss170501", "text"], // 4.11, CentOS 7
    ["ip utility, iproute2-ss171112", "text"], // 4.14: -json for link/addr only
    ["ip utility, iproute2-ss180129", "text"], // 4.15, Ubuntu 18.04: ip -j route prints text
    ["ip utility, iproute2-ss180402", "text"], // 4.16
    ["ip utility, iproute2-ss180608", "text"], // 4.17: route JSON without the type's key
    ["ip utility, iproute2-ss180813", "text"], // 4.18, RHEL 8.0
    ["ip utility, iproute2-ss190107", "text"], // 4.20, Debian 10
    ["ip utility, iproute2-ss190924", "text"], // 5.3, RHEL 8.2: multipath nexthops as text inside JSON
    ["ip utility, iproute2-ss191125", "text"], // 5.4
    ["ip utility, iproute2-ss200127", "json"], // 5.5, Ubuntu 20.04: the first valid route JSON
    ["ip utility, iproute2-5.9.0", "json"],
    ["ip utility, iproute2-v5.7.0-77-gb687d1067169", "json"], // 5.8's git describe
    ["ip utility, iproute2-v5.4.0-12-gabcdef", "text"],
    ["ip utility, iproute2-6.1.0, libbpf 1.1.2", "json"], // Debian 12
    ["sh: ip: not found", "text"],
  ])("%s → %s", (line, mode) => {
    const out = probe(line);
    expect(out).toContain(`@@caps\n${line}\n`);
    expect(out.trim().endsWith(`=${mode}`)).toBe(true);
    if (line.startsWith("ip utility"))
      expect(parseCaps(out.replace(/^[\s\S]*?@@caps\n|=\w+\s*$/g, "")).caps).toEqual(
        mode === "json" ? JSON_CAPS : TEXT_CAPS,
      );
  });

  it("refuses iproute2 older than 4.11 and a kernel older than 3.10, naming both", () => {
    const old = () => parseCaps("ip utility, iproute2-ss161212\nkernel 4.9.0\nmode text\n");
    expect(old).toThrow(UnsupportedNodeError);
    expect(old).toThrow(
      /too old \("ip utility, iproute2-ss161212"\): meshctl supports iproute2 4\.11 \(ss170501\) and Linux 3\.10 or newer/,
    );
    expect(() =>
      parseCaps("ip utility, iproute2-ss170501\nkernel 2.6.32-754.el6.x86_64\nmode text\n"),
    ).toThrow(/kernel 2\.6 is too old: meshctl supports iproute2 4\.11/);
    expect(() => parseCaps("sh: ip: not found\nkernel 5.4.0\nmode text\n")).toThrow(
      /cannot tell the node's iproute2 version/,
    );
    expect(
      parseCaps("ip utility, iproute2-ss170501\nkernel 3.10.0-1160.el7.x86_64\nmode text\n").versions,
    ).toEqual({
      ip: "ip utility, iproute2-ss170501",
      iproute2: { snapshot: 170501 },
      kernel: { major: 3, minor: 10 },
    });
  });
});
