/** Lock-out refusal in the inventory (#10.1a): no routed or addressed range may hold a node's address. */
import { describe, expect, it } from "vitest";
import { InputError, type InputIssue } from "../../src/inventory/errors.js";
import { loadInventoryText } from "../../src/inventory/load.js";
import { lockoutIssues } from "../../src/inventory/lockout.js";
import type { RelationInventory, RelationNode } from "../../src/inventory/relation-types.js";
import { type Cidr, cidrContainsIp, type Ipv4 } from "../../src/net/addr.js";

interface NodeSpec {
  name: string;
  host: string;
  underlay?: string;
  blocks?: string[];
}

/** Two clusters: east (pod 10.10.0.0/16, services 10.96.0.0/16) and west, whose CIDRs the test sets. */
function inventory(
  west: { pod: string; service: string },
  east: NodeSpec[],
  overlay = "179.17.1.0/24",
): string {
  const node = (n: NodeSpec) =>
    [
      `      - name: ${n.name}`,
      `        host: ${n.host}`,
      ...(n.underlay ? [`        underlay_ip: ${n.underlay}`] : []),
      ...(n.blocks ? [`        pod_blocks: [${n.blocks.join(", ")}]`] : []),
    ].join("\n");
  return `mesh:
  overlay: ${overlay}
clusters:
  - name: east
    pod_cidr: 10.10.0.0/16
    service_cidr: 10.96.0.0/16
    nodes:
${east.map(node).join("\n")}
  - name: west
    pod_cidr: ${west.pod}
    service_cidr: ${west.service}
    nodes:
      - name: west-1
        host: 172.16.0.1
`;
}

function issuesOf(text: string): InputIssue[] {
  try {
    loadInventoryText(text, "t.yaml");
  } catch (e) {
    if (e instanceof InputError) return e.issues;
    throw e;
  }
  return [];
}

const lockouts = (text: string) => issuesOf(text).filter((i) => /lock-out/.test(i.message));
const where = (i: InputIssue) => `${i.file}:${i.line}:${i.col} ${i.path}`;
const WEST = { pod: "10.20.0.0/16", service: "10.30.0.0/16" };
const EAST: NodeSpec[] = [
  { name: "east-1", host: "10.1.1.11" },
  { name: "east-2", host: "10.1.1.12" },
];

describe("a range that holds a node's address is refused, at the range's file:line", () => {
  it("a clean inventory has no lock-out problem", () => {
    expect(issuesOf(inventory(WEST, EAST))).toEqual([]);
  });

  it("pod_cidr holding another cluster's node's SSH address", () => {
    const [i, ...rest] = lockouts(inventory({ ...WEST, pod: "10.1.0.0/16" }, EAST));
    expect(rest).toEqual([]);
    expect(where(i as InputIssue)).toBe("t.yaml:13:15 clusters[1].pod_cidr");
    expect(i?.message).toBe(
      "west's pod_cidr 10.1.0.0/16 contains node east-1's SSH and underlay address 10.1.1.11, node east-2's SSH and underlay address 10.1.1.12: a route or address for it would take over the path to that node (lock-out); choose a range that holds no node address",
    );
  });

  it("a range holding a cluster's API server address (api_server), and api_server outside every range", () => {
    const withApi = (api: string) =>
      inventory(WEST, EAST).replace(
        "    service_cidr: 10.96.0.0/16\n",
        `    service_cidr: 10.96.0.0/16\n    api_server: ${api}\n`,
      );
    expect(lockouts(withApi("10.1.1.100"))).toEqual([]);
    const found = lockouts(withApi("10.20.0.10")); // inside west's pod_cidr: east's kubelets would lose it
    expect(found.map(where)).toEqual(["t.yaml:14:15 clusters[1].pod_cidr"]);
    expect(found[0]?.message).toMatch(
      /^west's pod_cidr 10\.20\.0\.0\/16 contains cluster east's API server address 10\.20\.0\.10: .*\(lock-out\)/,
    );
    expect(issuesOf(withApi("10.1.1"))[0]?.message).toMatch(/IPv4 address/);
  });

  it("service_cidr holding an underlay address of a node reached by name", () => {
    const east = [{ name: "east-1", host: "east-1.example.com", underlay: "10.30.7.7" }];
    const found = lockouts(inventory(WEST, east));
    expect(found.map(where)).toEqual(["t.yaml:13:19 clusters[1].service_cidr"]);
    expect(found[0]?.message).toMatch(
      /^west's service_cidr 10\.30\.0\.0\/16 contains node east-1's underlay address 10\.30\.7\.7:/,
    );
  });

  it("a pod block holding a node's SSH address (the underlay elsewhere)", () => {
    const east = [
      { name: "east-1", host: "10.10.3.4", underlay: "10.1.1.11", blocks: ["10.10.3.0/26"] },
      { name: "east-2", host: "10.1.1.12" },
    ];
    const found = lockouts(inventory(WEST, east));
    // The block and the pod CIDR around it both hold it.
    expect(found.map(where)).toEqual([
      "t.yaml:5:15 clusters[0].pod_cidr",
      "t.yaml:11:22 clusters[0].nodes[0].pod_blocks[0]",
    ]);
    const block = found.find((i) => i.path.includes("pod_blocks"));
    expect(block?.message).toMatch(
      /^node east-1's pod block 10\.10\.3\.0\/26 contains node east-1's SSH address 10\.10\.3\.4:/,
    );
  });

  it("the overlay holding an SSH address that is not the underlay", () => {
    const east = [{ name: "east-1", host: "179.17.1.200", underlay: "10.1.1.11" }];
    const found = lockouts(inventory(WEST, east));
    expect(found.map(where)).toEqual(["t.yaml:2:12 mesh.overlay"]);
    expect(found[0]?.message).toMatch(
      /^overlay 179\.17\.1\.0\/24 contains node east-1's SSH address 179\.17\.1\.200:/,
    );
  });

  it("only the one node of many that is captured is named", () => {
    const east = Array.from({ length: 12 }, (_, i) => ({ name: `east-${i + 1}`, host: `10.1.1.${i + 11}` }));
    east[6] = { name: "east-7", host: "10.20.9.9" };
    const found = lockouts(inventory(WEST, east));
    expect(found.map((i) => i.path)).toEqual(["clusters[1].pod_cidr"]);
    expect(found[0]?.message).toContain("contains node east-7's SSH and underlay address 10.20.9.9:");
    expect(found[0]?.message).not.toMatch(/east-(?!7)/);
  });

  it("many captured nodes: three named, the rest counted", () => {
    const east = Array.from({ length: 5 }, (_, i) => ({ name: `east-${i + 1}`, host: `10.20.0.${i + 1}` }));
    const [i] = lockouts(inventory(WEST, east));
    expect(i?.message).toContain("node east-3's SSH and underlay address 10.20.0.3 and 2 more:");
    expect(i?.message).not.toContain("east-4");
  });
});

describe("IPv4 edges: the network and broadcast addresses are inside, their neighbours outside", () => {
  const captured = (host: string, pod: string) =>
    lockouts(inventory({ ...WEST, pod }, [{ name: "east-1", host }])).map((i) => i.path);

  it.each([
    ["10.20.0.0", "10.20.0.0/16", true],
    ["10.20.255.255", "10.20.0.0/16", true],
    ["10.19.255.255", "10.20.0.0/16", false],
    ["10.21.0.0", "10.20.0.0/16", false],
    ["10.20.0.7", "10.20.0.7/32", true],
    ["10.20.0.8", "10.20.0.7/32", false],
    ["10.20.0.4", "10.20.0.4/30", true],
    ["10.20.0.7", "10.20.0.4/30", true],
    ["10.20.0.8", "10.20.0.4/30", false],
    ["10.20.0.3", "10.20.0.4/30", false],
  ])("%s in %s: %s", (host, pod, inside) => {
    expect(captured(host, pod)).toEqual(inside ? ["clusters[1].pod_cidr"] : []);
  });
});

describe("lockoutIssues on many nodes", () => {
  it("names the same addresses, in the same order, as checking every range against every address", () => {
    let seed = 11;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    // Addresses and ranges packed into 10.0.0.0/20, so that many ranges hold several nodes' addresses.
    const ip = () => `10.0.${rand(16)}.${rand(256)}`;
    const block = () => {
      const len = 22 + rand(11);
      const base = (10 << 24) + rand(4096);
      const mask = len === 32 ? -1 : ~((1 << (32 - len)) - 1);
      const b = (base & mask) >>> 0;
      return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${len}`;
    };
    const node = (i: number): RelationNode => ({
      name: `n${i}`,
      host: rand(4) === 0 ? `host${i}.lan` : ip(),
      ...(rand(2) === 0 ? { underlay_ip: ip() } : {}),
      pod_blocks: Array.from({ length: rand(3) }, block),
    });
    const inv: RelationInventory = {
      mesh: { overlay: "10.0.4.0/22" },
      clusters: [0, 1, 2].map((c) => ({
        name: `c${c}`,
        pod_cidr: block(),
        service_cidr: block(),
        api_server: ip(),
        nodes: Array.from({ length: 120 }, (_, i) => node(c * 1000 + i)),
      })),
    };
    // The reference: every address of the inventory, in order, checked against every range.
    const addrs: { ip: string; what: string }[] = [];
    for (const c of inv.clusters) {
      for (const n of c?.nodes ?? []) {
        const host = n?.host && /^[\d.]+$/.test(n.host) ? n.host : undefined;
        const underlay = n?.underlay_ip ?? host;
        const at = (k: string) => `node ${n?.name}'s ${k} address`;
        if (host !== undefined && host === underlay) addrs.push({ ip: host, what: at("SSH and underlay") });
        else {
          if (host !== undefined) addrs.push({ ip: host, what: at("SSH") });
          if (underlay !== undefined) addrs.push({ ip: underlay, what: at("underlay") });
        }
      }
      addrs.push({ ip: c?.api_server as string, what: `cluster ${c?.name}'s API server address` });
    }
    const ranges = [
      inv.mesh.overlay as string,
      ...inv.clusters.flatMap((c) => [
        c?.pod_cidr as string,
        c?.service_cidr as string,
        ...(c?.nodes ?? []).flatMap((n) => n?.pod_blocks ?? []),
      ]),
    ];
    const expected = ranges.flatMap((r) => {
      const caught = addrs.filter((a) => cidrContainsIp(r as Cidr, a.ip as Ipv4));
      if (caught.length === 0) return [];
      const named = caught.slice(0, 3).map((a) => `${a.what} ${a.ip}`);
      const more = caught.length > 3 ? ` and ${caught.length - 3} more` : "";
      return [`${r} contains ${named.join(", ")}${more}:`];
    });
    const got = lockoutIssues(inv).map((i) =>
      i.message.replace(/^.*? (\d+\.\d+\.\d+\.\d+\/\d+ contains .*?:) .*$/, "$1"),
    );
    expect(got).toEqual(expected);
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.filter((e) => e.includes(" more:")).length).toBeGreaterThan(5);
  });
});

describe("how many captured addresses a refusal names", () => {
  const hosts = (n: number): NodeSpec[] =>
    Array.from({ length: n }, (_, i) => ({ name: `east-${i + 1}`, host: `10.20.0.${i + 1}` }));

  it("three: all three, no 'and 0 more'; four: three and 1 more", () => {
    const [three] = lockouts(inventory(WEST, hosts(3)));
    expect(three?.message).toBe(
      "west's pod_cidr 10.20.0.0/16 contains node east-1's SSH and underlay address 10.20.0.1, node east-2's SSH and underlay address 10.20.0.2, node east-3's SSH and underlay address 10.20.0.3: a route or address for it would take over the path to that node (lock-out); choose a range that holds no node address",
    );
    const [four] = lockouts(inventory(WEST, hosts(4)));
    expect(four?.message).toContain("node east-3's SSH and underlay address 10.20.0.3 and 1 more: a route");
  });
});
