/**
 * The README's exit codes, through the CLI, in an empty network namespace with a listener on port 22 of
 * every inventory host: "exit 3 without contacting anything" is checked by the listeners receiving nothing,
 * against a control run with a valid inventory where they do receive connections.
 */
import { describe, expect, it } from "vitest";
import { cliWorkdir, meshctl, SLOW, STACK_FRAME } from "../support/cli.js";

const HOSTS = ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"];
const { file, ssh } = cliWorkdir("meshctl-cli-");

const inventory = (extra = "") => `
mesh:
  device: mshvx0
  overlay: 198.18.1.0/24
  route_protocol: 77
  ${ssh}
${extra}
clusters:
  - name: c1
    pod_cidr: 198.18.16.0/20
    service_cidr: 198.19.16.0/20
    nodes:
      - { name: a1, host: ${HOSTS[0]}, pod_blocks: [198.18.16.0/26] }
      - { name: a2, host: ${HOSTS[1]}, pod_blocks: [198.18.16.64/26] }
  - name: c2
    pod_cidr: 198.18.32.0/20
    service_cidr: 198.19.32.0/20
    nodes:
      - { name: b1, host: ${HOSTS[2]}, pod_blocks: [198.18.32.0/26] }
      - { name: b2, host: ${HOSTS[3]}, pod_blocks: [198.18.32.64/26] }
`;
const good = file("good.yaml", inventory());
// Two problems, so the report must list both (every problem at once).
const bad = file(
  "bad.yaml",
  inventory("  vni: 0").replace("pod_blocks: [198.18.32.64/26]", "pod_blocks: [10.0.0.0/24]"),
);
const badPlaybook = file(
  "bad-playbook.yaml",
  "name: x\nsteps:\n  - { name: y, hosts: nodes, builtin: nope }\n",
);

const sorted = (xs: string[]) => [...new Set(xs)].sort();

describe("control: a valid inventory does contact its hosts", SLOW, () => {
  it("diff connects to every node (exit 4: the listeners are no SSH servers)", () => {
    const r = meshctl(["diff", "-i", good, "--output", "json"], { listen: HOSTS });
    expect(r.code).toBe(4);
    expect(sorted(r.connections)).toEqual(HOSTS);
    const json = JSON.parse(r.stdout);
    expect(json.exitCode).toBe(4);
    expect(json.nodes.map((n: { status: string }) => n.status)).toEqual(Array(4).fill("unreachable"));
  });
});

describe("exit 3: an invalid inventory or playbook, and nothing was contacted", SLOW, () => {
  it.each([["plan"], ["diff"], ["apply"], ["teardown"], ["ping"], ["verify"], ["diagnose"], ["discover"]])(
    "%s",
    (verb) => {
      const r = meshctl([verb, "-i", bad], { listen: HOSTS });
      expect(r.code).toBe(3);
      expect(r.connections).toEqual([]);
      expect(r.stderr).toBe(
        `error: inventory ${bad} has 2 problems:\n` +
          `  ${bad}:7:8 mesh.vni: must be at least 1\n` +
          `  ${bad}:20:53 clusters[1].nodes[1].pod_blocks[0]: pod block 10.0.0.0/24 is not inside cluster c2's pod_cidr 198.18.32.0/20\n`,
      );
      expect(r.stderr).not.toMatch(STACK_FRAME);
    },
  );

  it("an invalid playbook", () => {
    const r = meshctl(["apply", "-i", good, "--playbook", badPlaybook], { listen: HOSTS });
    expect(r.code).toBe(3);
    expect(r.connections).toEqual([]);
    expect(r.stderr).toContain(`${badPlaybook}:3`);
  });
});

describe("exit 64: command-line usage", SLOW, () => {
  it.each([
    ["an unknown verb", ["nosuchverb"]],
    ["an unknown option", ["diff", "-i", "x.yaml", "--nope"]],
    ["--forks 0", ["diff", "-i", "x.yaml", "--forks", "0"]],
  ])("%s", (_what, args) => {
    const r = meshctl(args, { listen: HOSTS });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it("--limit naming nothing in the inventory, before any contact", () => {
    const r = meshctl(["diff", "-i", good, "--limit", "a1,nosuch"], { listen: HOSTS });
    expect(r.code).toBe(64);
    expect(r.connections).toEqual([]);
    expect(r.stderr).toContain("--limit: nosuch matches no node or cluster of the inventory");
  });
});

describe("exit 70: a bug in meshctl, the only case with a stack trace", SLOW, () => {
  it("a plain Error from inside a verb (here: stdout itself throws) exits 70 with its stack", () => {
    // The fault comes from outside the product: a preload makes process.stdout.write throw.
    const preload = `data:text/javascript,${encodeURIComponent(
      'process.stdout.write = () => { throw new TypeError("stdout is gone"); };',
    )}`;
    const r = meshctl(["plan", "-i", good], { node: ["--import", preload] });
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^internal error: stdout is gone\nTypeError: stdout is gone\n/);
    expect(r.stderr).toMatch(STACK_FRAME);
    expect(r.stderr).toContain("This is a bug in meshctl: please report it with the output above.");
  });
});

describe("--limit through the CLI", SLOW, () => {
  const parties = (args: string[]) => {
    const r = meshctl(["diff", "-i", good, "--output", "json", ...args], { listen: HOSTS });
    const json = JSON.parse(r.stdout);
    return {
      nodes: json.nodes.map((n: { name: string }) => n.name),
      clusters: json.clusters.map((n: { name: string }) => n.name),
      contacted: sorted(r.connections),
    };
  };

  it("a node: only that node, and no cluster's pools", () => {
    expect(parties(["--limit", "a1"])).toEqual({ nodes: ["a1"], clusters: [], contacted: [HOSTS[0]] });
  });

  it("a cluster: its nodes and its pools (through its control node)", () => {
    expect(parties(["--limit", "c2"])).toEqual({
      nodes: ["b1", "b2"],
      clusters: ["c2"],
      contacted: [HOSTS[2], HOSTS[3]],
    });
  });
});

describe("plain output in a pipe", SLOW, () => {
  it("plan: no escape sequence (colour, cursor) at all", () => {
    const r = meshctl(["plan", "-i", good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("# node a1 (cluster c1, ssh 198.18.0.11)");
    expect(r.stdout + r.stderr).not.toContain("\u001b");
  });

  it("diff: plain lines and the recap, no escape sequence", () => {
    const r = meshctl(["diff", "-i", good], { listen: HOSTS });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^RECAP$/m);
    expect(r.stdout).toMatch(/^a1 +: ok=0 +changed=0 +failed=0 +unreachable=1$/m);
    expect(r.stdout + r.stderr).not.toContain("\u001b");
  });
});
