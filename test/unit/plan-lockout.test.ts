/**
 * Lock-out refusal per node (#10.1b): a route meshctl would add that is the longest match for the node's
 * path back (its SSH session's client, its default gateway) refuses the node before any change.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkLockout } from "../../src/diagnose/lockout-check.js";
import { parseDiagnoseOutput } from "../../src/diagnose/parse.js";
import { diagnoseScript } from "../../src/diagnose/script.js";
import { remoteCommand } from "../../src/exec/ssh/quote.js";
import { factsScript, parseFacts } from "../../src/facts/index.js";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { NodeModel } from "../../src/model/types.js";
import { type Cidr, cidr } from "../../src/net/addr.js";
import { lockoutReasons, pathsBack } from "../../src/plan/lockout.js";
import { diffNode, PlanConflict } from "../../src/plan/node-diff.js";
import { convergedFacts, ip, model, nodeOf, THREE_BY_TWO } from "../support/builders.js";

const m = model();
const a1 = nodeOf(m, "a1");
// a1 routes 198.18.32.0/26 and 198.18.32.64/26 (c2's blocks) and 198.18.40.0/26; its overlay is 198.18.1.0/24.

const route = (dst: string, more: Partial<RouteFact> = {}): RouteFact => ({
  dst: dst as Cidr,
  type: "unicast",
  protocol: "boot",
  table: "main",
  flags: [],
  ...more,
});
const DEFAULT = route("0.0.0.0/0", { via: ip("198.18.0.1"), dev: "eth0" });

/** a1 as the mesh wants it, reached from `client`, with a default route via 198.18.0.1 and `routes`. */
function facts(client: string | undefined, routes: RouteFact[] = [DEFAULT]): NodeFacts {
  return { ...convergedFacts(a1), foreignRoutes: routes, ...(client ? { sshClient: ip(client) } : {}) };
}

function refusal(f: NodeFacts, node: NodeModel = a1): PlanConflict {
  try {
    diffNode(node, f);
  } catch (e) {
    if (e instanceof PlanConflict) return e;
    throw e;
  }
  throw new Error("diffNode did not refuse the node");
}

describe("the SSH session's client address", () => {
  it("outside every route of the mesh: the node is planned as usual", () => {
    expect(diffNode(a1, facts("198.18.0.1")).changes).toEqual([]);
    expect(lockoutReasons(a1, facts("198.18.33.1"))).toEqual([]); // in c2's pod CIDR, in no block
  });

  it("inside a remote pod block: refused as a conflict, naming the route, the address and today's route", () => {
    const e = refusal(facts("198.18.40.5"));
    expect(e.kind).toBe("conflict");
    expect(e.message).toBe(
      "a1: route 198.18.40.0/26 via 198.18.1.13 (b1's pod block) would capture 198.18.40.5, the address meshctl's SSH session comes from (now reached by 0.0.0.0/0 via 198.18.0.1 dev eth0): applying it would cut this node off (lock-out); renumber the range or the address",
    );
  });

  it("inside the overlay: its connected route would capture it", () => {
    expect(refusal(facts("198.18.1.200")).message).toContain(
      "the overlay's connected route 198.18.1.0/24 dev mshvx0 would capture 198.18.1.200,",
    );
  });

  it("without the tunnel (every path direct) there is no device, so no overlay route to capture anything", () => {
    expect(lockoutReasons({ ...a1, tunnel: false }, facts("198.18.1.200"))).toEqual([]);
    expect(lockoutReasons({ ...a1, tunnel: false }, facts("198.18.40.5"))).toHaveLength(1);
  });

  it("the block's network and broadcast addresses are captured, the addresses next to them are not", () => {
    expect(lockoutReasons(a1, facts("198.18.40.0"))).toHaveLength(1);
    expect(lockoutReasons(a1, facts("198.18.40.63"))).toHaveLength(1);
    expect(lockoutReasons(a1, facts("198.18.40.64"))).toEqual([]);
    expect(lockoutReasons(a1, facts("198.18.39.255"))).toEqual([]);
  });

  it("a more specific route the node has already wins: no capture", () => {
    const f = facts("198.18.40.5", [
      DEFAULT,
      route("198.18.40.0/28", { via: ip("198.18.0.1"), dev: "eth0" }),
    ]);
    expect(lockoutReasons(a1, f)).toEqual([]);
  });

  it("a route as specific as the mesh's counts as captured (metrics would decide)", () => {
    const f = facts("198.18.40.5", [
      DEFAULT,
      route("198.18.40.0/26", { via: ip("198.18.0.1"), dev: "eth0" }),
    ]);
    expect(lockoutReasons(a1, f)).toHaveLength(1);
  });

  it("the underlay's own subnet is a route too: a wider mesh route does not capture inside it, a narrower one does", () => {
    const client = ip("198.18.0.200"); // on eth0's 198.18.0.0/24
    const base = a1.routes[0] as NodeModel["routes"][number];
    const wide = { ...a1, routes: [{ ...base, dst: cidr("198.18.0.0/23") }] };
    const narrow = { ...a1, routes: [{ ...base, dst: cidr("198.18.0.128/25") }] };
    expect(lockoutReasons(wide, facts(client))).toEqual([]);
    expect(lockoutReasons(narrow, facts(client))[0]).toContain("(now reached by 198.18.0.0/24 dev eth0)");
  });

  it("unknown (no $SSH_CONNECTION, an IPv6 client): nothing to compare, no refusal", () => {
    expect(lockoutReasons(a1, facts(undefined, []))).toEqual([]);
  });
});

describe("the default gateway(s)", () => {
  it("its cluster's API server address (api_server) inside a remote pod block refuses the node", () => {
    const withApi = { ...a1, apiServer: ip("198.18.40.7") };
    expect(refusal(facts("198.18.0.1"), withApi).message).toMatch(
      /route 198\.18\.40\.0\/26 via \S+ \(b1's pod block\) would capture 198\.18\.40\.7, its cluster's API server address \(api_server\)/,
    );
    expect(diffNode({ ...a1, apiServer: ip("198.18.0.9") }, facts("198.18.0.1")).changes).toEqual([]);
    expect(pathsBack(facts(undefined), [], withApi).map((p) => p.ip)).toEqual(["198.18.40.7", "198.18.0.1"]);
  });

  it("a gateway inside a remote pod block refuses the node", () => {
    const gw = route("0.0.0.0/0", { via: ip("198.18.32.70"), dev: "eth0" });
    expect(refusal(facts("198.18.0.1", [gw])).message).toContain(
      "route 198.18.32.64/26 via 198.18.1.14 (b2's pod block) would capture 198.18.32.70, its default gateway",
    );
  });

  it("every next hop of a multipath default is a path back", () => {
    const multi = route("0.0.0.0/0", {
      nexthops: [
        { via: ip("198.18.0.1"), dev: "eth0", flags: [] },
        { via: ip("198.18.32.5"), dev: "eth0", flags: [] },
      ],
    });
    expect(pathsBack(facts("198.18.0.1", [multi])).map((p) => `${p.ip} ${p.what}`)).toEqual([
      "198.18.0.1 the address meshctl's SSH session comes from",
      "198.18.32.5 its default gateway",
    ]);
    expect(lockoutReasons(a1, facts("198.18.0.1", [multi]))).toHaveLength(1);
  });
});

describe("paths back and today's route, at their edges", () => {
  it("only a default route's gateways are paths back, each once", () => {
    const other = route("198.18.64.0/24", { via: ip("198.18.0.9"), dev: "eth0" });
    const second = route("0.0.0.0/0", { via: ip("198.18.0.1"), dev: "eth0", metric: 200 });
    expect(pathsBack(facts(undefined, [other, DEFAULT, second])).map((p) => `${p.ip} ${p.what}`)).toEqual([
      "198.18.0.1 its default gateway",
    ]);
  });

  it("with no route at all to the address, the refusal says so", () => {
    expect(lockoutReasons(a1, facts("198.18.40.5", []))).toEqual([
      "route 198.18.40.0/26 via 198.18.1.13 (b1's pod block) would capture 198.18.40.5, the address meshctl's SSH session comes from (now reached by no route): applying it would cut this node off (lock-out); renumber the range or the address",
    ]);
  });

  it("today's route is described as it is (no via, no device when it has none)", () => {
    const wide = route("198.18.0.0/16", { dev: "eth0" });
    expect(lockoutReasons(a1, facts("198.18.40.5", [wide]))[0]).toContain(
      "(now reached by 198.18.0.0/16 dev eth0)",
    );
    const bare = route("198.18.0.0/16", { via: ip("198.18.0.1") });
    expect(lockoutReasons(a1, facts("198.18.40.5", [bare]))[0]).toContain(
      "(now reached by 198.18.0.0/16 via 198.18.0.1)",
    );
  });

  it("today's route is the longest match; among equals the first considered (routes before subnets)", () => {
    const now = (f: NodeFacts) => /\(now reached by ([^)]*)\)/.exec(lockoutReasons(a1, f)[0] ?? "")?.[1];
    const narrow = route("198.18.40.0/25", { via: ip("198.18.0.9"), dev: "eth0" });
    expect(now(facts("198.18.40.5", [narrow, DEFAULT]))).toBe("198.18.40.0/25 via 198.18.0.9 dev eth0");
    const f = facts("198.18.40.5", [route("198.18.40.0/24", { via: ip("198.18.0.9"), dev: "eth0" })]);
    const eth1 = {
      name: "eth1",
      ifindex: 3,
      mtu: 1500,
      up: true,
      addresses: [{ ip: ip("198.18.40.200"), prefixLen: 24 }],
    };
    expect(now({ ...f, interfaces: [...f.interfaces, eth1] })).toBe("198.18.40.0/24 via 198.18.0.9 dev eth0");
    // An interface address with prefix 0 is a subnet of everything.
    const eth9 = { ...eth1, name: "eth9", addresses: [{ ip: ip("198.18.7.1"), prefixLen: 0 }] };
    const g = facts("198.18.40.5", []);
    expect(now({ ...g, interfaces: [...g.interfaces, eth9] })).toBe("0.0.0.0/0 dev eth9");
  });

  it("a blackhole or unreachable route reaches nothing: it does not keep the address from being captured", () => {
    const hole = route("198.18.40.5/32", { type: "blackhole" });
    expect(lockoutReasons(a1, facts("198.18.40.5", [DEFAULT, hole]))).toHaveLength(1);
    const reach = route("198.18.40.5/32", { dev: "eth0" });
    expect(lockoutReasons(a1, facts("198.18.40.5", [DEFAULT, reach]))).toEqual([]);
  });
});

describe("other nodes are judged by their own facts", () => {
  it("a2 reached from outside the mesh is planned while a1 is refused", () => {
    const a2 = nodeOf(m, "a2");
    expect(lockoutReasons(a2, { ...convergedFacts(a2), sshClient: ip("198.18.0.1") })).toEqual([]);
    expect(() => diffNode(a1, facts("198.18.40.5"))).toThrow(PlanConflict);
  });
});

describe("diagnose says why", () => {
  it("a failing lock-out finding with the reason and the fix", () => {
    const [f, ...rest] = checkLockout(a1, facts("198.18.40.5"));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ node: "a1", check: "lock-out", ok: false, severity: "error" });
    expect(f?.finding).toMatch(/would capture 198\.18\.40\.5, .*: apply refuses this node$/);
    expect(f?.fix).toMatch(/^renumber the pod CIDR/);
  });

  it("a node whose peers are all reached directly has no device: the overlay captures nothing there", () => {
    const direct = model(
      THREE_BY_TWO.replace("  route_protocol: 77\n", "  route_protocol: 77\n  mode: direct\n"),
    );
    const f = { ...convergedFacts(nodeOf(direct, "a1")), device: undefined, sshClient: ip("198.18.1.200") };
    expect(checkLockout(nodeOf(direct, "a1"), f).map((x) => x.ok)).toEqual([true]);
    expect(checkLockout(a1, { ...f, foreignRoutes: [DEFAULT] }).map((x) => x.ok)).toEqual([false]);
  });

  it("passes, naming the paths it checked", () => {
    expect(checkLockout(a1, facts("198.18.0.1"))).toEqual([
      expect.objectContaining({
        ok: true,
        finding: "no route of the mesh captures this node's paths back (198.18.0.1)",
      }),
    ]);
  });
});

describe("the session section of the facts", () => {
  // The capture's own (empty: no $SSH_CONNECTION in `ip netns exec`) session section is taken out first.
  const captured = readFileSync(
    new URL("../fixtures/facts/a-configured.out", import.meta.url),
    "utf8",
  ).replace(/\n@@session\n[^@]*/, "\n");
  const withSession = (body: string) => captured.replace("\n@@end", `\n@@session\n${body}\n@@end`);

  it.each([
    ["198.18.0.1 40022 198.18.0.11 22", "198.18.0.1"],
    ["::ffff:198.18.0.1 40022 ::ffff:198.18.0.11 22", "198.18.0.1"],
    ["2001:db8::1 40022 2001:db8::11 22", undefined],
    ["", undefined],
  ])("%j → %s", (body, client) => {
    expect(parseFacts(withSession(body)).sshClient).toBe(client);
  });

  it("output of a script without the section parses, with no client", () => {
    expect(captured).not.toContain("@@session");
    expect(parseFacts(captured).sshClient).toBeUndefined();
  });
});

describe("the client address reaches the facts through the login shell, sudo or not", () => {
  const FAKE = join(import.meta.dirname, "..", "support", "fake-iproute2.mjs");
  const STUBS = `ip() { '${process.execPath}' '${FAKE}' ip "$@"; }\nbridge() { '${process.execPath}' '${FAKE}' bridge "$@"; }\n`;
  const params = a1.device;
  const facts = { device: params.name, routeProtocol: 77, localIp: params.localIp };
  /** As sshd runs an exec request: the login shell (here sh) gets remoteCommand's line, SSH_CONNECTION set. */
  const viaSsh = (script: string) =>
    execFileSync("sh", ["-c", remoteCommand(STUBS + script, false, "root")], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, SSH_CONNECTION: "198.18.0.1 40022 198.18.0.11 22" },
    });

  it("the facts script", () => {
    expect(parseFacts(viaSsh(factsScript(facts))).sshClient).toBe("198.18.0.1");
  });

  it("diagnose, which wraps the facts in a function", () => {
    const script = diagnoseScript({ facts, device: params.name, port: params.port, remoteCidrs: [] });
    expect(parseDiagnoseOutput(viaSsh(script)).facts.sshClient).toBe("198.18.0.1");
  });
});
