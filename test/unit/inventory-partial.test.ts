/**
 * Partly invalid inventories: what failed its schema is left out of the relation checks, what passed is
 * still checked, and every problem is reported once, at its own place, in words that name an unnamed
 * cluster by its index. Each document is made inside its test (Stryker counts a collection error as survived).
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/inventory/errors.js";
import { loadInventoryText } from "../../src/inventory/load.js";

/** `line:col path: message` of every problem, in the order reported. */
function problems(text: string): string[] {
  try {
    loadInventoryText(text, "t.yaml");
  } catch (e) {
    if (e instanceof InputError) return e.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("loaded without problems");
}

const LOCKOUT =
  "a route or address for it would take over the path to that node (lock-out); choose a range that holds no node address";

describe("partly invalid documents", () => {
  it("a cluster that is not a map: the one problem; the other clusters are still checked", () => {
    expect(
      problems(`mesh: {overlay: 179.17.1.0/24}
clusters:
  - just-a-string
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    api_server: 10.2.0.1
    control: zzzzzz
    nodes:
      - {name: east-1, host: 192.168.0.21}
`),
    ).toEqual([
      '3:5 clusters[0]: expected a map, not the string "just-a-string"',
      `6:19 clusters[1].service_cidr: east's service_cidr 10.2.0.0/16 contains cluster east's API server address 10.2.0.1: ${LOCKOUT}`,
      "8:14 clusters[1].control: control node zzzzzz is not a node of cluster east",
    ]);
  });

  it("clusters whose names failed the schema are named by index, and are not duplicates of each other", () => {
    expect(
      problems(`mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: East_1
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.1.128.0/17
    test_endpoints: [10.9.0.1]
    nodes:
      - {name: e-1, host: 10.1.0.5}
  - name: West_1
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes:
      - {name: w-1, host: 192.168.1.1, pod_blocks: [10.5.0.0/24]}
`),
    ).toEqual([
      "3:11 clusters[0].name: \"East_1\" is not an RFC 1123 name (lower-case letters, digits and '-', at most 63, no leading/trailing '-')",
      `4:15 clusters[0].pod_cidr: clusters[0]'s pod_cidr 10.1.0.0/16 contains node e-1's SSH and underlay address 10.1.0.5: ${LOCKOUT}`,
      "5:19 clusters[0].service_cidr: 10.1.128.0/17 overlaps clusters[0] pod_cidr 10.1.0.0/16",
      "6:22 clusters[0].test_endpoints[0]: test endpoint 10.9.0.1 is not inside clusters[0]'s pod_cidr 10.1.0.0/16",
      "9:11 clusters[1].name: \"West_1\" is not an RFC 1123 name (lower-case letters, digits and '-', at most 63, no leading/trailing '-')",
      "13:53 clusters[1].nodes[0].pod_blocks[0]: pod block 10.5.0.0/24 is not inside clusters[1]'s pod_cidr 10.3.0.0/16",
    ]);
  });

  it("a pod_cidr that failed its schema: pod blocks and test endpoints are not checked against it", () => {
    expect(
      problems(`mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: east
    pod_cidr: 10.1.0.1/16
    service_cidr: 10.2.0.0/16
    test_endpoints: [10.9.0.1]
    nodes:
      - {name: east-1, host: 192.168.0.21, pod_blocks: [10.8.0.0/24]}
`),
    ).toEqual([
      '4:15 clusters[0].pod_cidr: "10.1.0.1/16" is not a network address: did you mean 10.1.0.0/16?',
    ]);
  });

  it("ssh ports of the mesh and a cluster still count when the document has another problem", () => {
    // h.lan:22 and h.lan:2200 are two SSH addresses; 2222 and 2200 two more.
    expect(
      problems(`mesh:
  overlay: 179.17.1.0/24
  vni: 0
  ssh: {port: 2222}
clusters:
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    ssh: {port: 2200}
    nodes:
      - {name: east-1, host: h.lan, underlay_ip: 192.168.0.1, ssh: {port: 22}}
      - {name: east-2, host: h.lan, underlay_ip: 192.168.0.2}
  - name: west
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes:
      - {name: west-1, host: h.lan, underlay_ip: 192.168.0.3}
`),
    ).toEqual(["3:8 mesh.vni: must be at least 1"]);
  });

  it("a cluster whose nodes are not a list: that one problem, no node is made up", () => {
    expect(
      problems(`mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes: 3
`),
    ).toEqual(["6:12 clusters[0].nodes: expected a list, not the number 3"]);
  });

  it("control naming a node of another cluster says which one, whether or not that node passed its schema", () => {
    const doc = (westNode: string) => `mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: east
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    control: west-1
    nodes:
      - {name: east-1, host: 192.168.0.21}
  - name: west
    pod_cidr: 10.3.0.0/16
    service_cidr: 10.4.0.0/16
    nodes:
      - ${westNode}
`;
    const elsewhere =
      "6:14 clusters[0].control: control node west-1 is not a node of cluster east (it is a node of cluster west: kubectl must run in the cluster it configures)";
    expect(problems(doc("{name: west-1, host: 192.168.1.1}"))).toEqual([elsewhere]);
    expect(problems(doc('{name: west-1, host: 192.168.1.1, mac: "zz"}'))).toEqual([
      elsewhere,
      '13:48 clusters[1].nodes[0].mac: "zz" is not a MAC address (expected xx:xx:xx:xx:xx:xx)',
    ]);
  });
});

describe("relation checks: the edges", () => {
  it('a cluster and a node may be called "undefined": a name like any other', () => {
    const inv = loadInventoryText(
      `mesh: {overlay: 179.17.1.0/24}
clusters:
  - name: undefined
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - {name: undefined, host: 192.168.0.21}
`,
      "t.yaml",
    );
    expect(inv.clusters.map((c) => [c.name, c.nodes.map((n) => n.name)])).toEqual([
      ["undefined", ["undefined"]],
    ]);
  });

  it("an underlay IP taken from host is reported at host", () => {
    expect(
      problems(`mesh: {overlay: 179.17.0.0/16}
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - {name: a-1, host: a-1.lan, underlay_ip: 192.168.0.1}
      - {name: a-2, host: 192.168.0.1}
`),
    ).toEqual(["8:27 clusters[0].nodes[1].host: duplicate underlay IP 192.168.0.1: also used by node a-1"]);
  });

  it("a misspelt key hides only the 'missing' report of the key meant, not another problem there", () => {
    expect(
      problems(`mesh: {overlay: 179.17.0.0/16}
clusters:
  - name: a
    pod_cidr: 10.1.0.0/16
    service_cidr: 10.2.0.0/16
    nodes:
      - {name: a-1, host: 192.168.0.1}
      - {name: a-2, host: 192.168.0.1, hots: 192.168.0.2}
`),
    ).toEqual([
      "8:27 clusters[0].nodes[1].host: duplicate SSH address 192.168.0.1:22: also used by node a-1",
      "8:27 clusters[0].nodes[1].host: duplicate underlay IP 192.168.0.1: also used by node a-1",
      '8:40 clusters[0].nodes[1].hots: unknown key "hots" — did you mean "host"?',
    ]);
  });

  it("problems on one line are in column order", () => {
    expect(problems("mesh: {overlay: 10.0.0.1/8, vni: 0, port: 0}\nclusters: []\n")).toEqual([
      '1:17 mesh.overlay: "10.0.0.1/8" is not a network address: did you mean 10.0.0.0/8?',
      "1:34 mesh.vni: must be at least 1",
      "1:43 mesh.port: must be at least 1",
      "2:11 clusters: needs at least 1 entry",
    ]);
    expect(problems("mesh: {port: 0, vni: 0, overlay: 10.0.0.1/8}\nclusters: []\n")).toEqual([
      "1:14 mesh.port: must be at least 1",
      "1:22 mesh.vni: must be at least 1",
      '1:34 mesh.overlay: "10.0.0.1/8" is not a network address: did you mean 10.0.0.0/8?',
      "2:11 clusters: needs at least 1 entry",
    ]);
  });
});
