/** diagnose on nodes in mode direct/auto (#14): paths, direct routes, the underlay's forwarding and rp_filter. */
import { describe, expect, it } from "vitest";
import { nodeFindings } from "../../src/diagnose/checks.js";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import { bareFacts, directRoute, ip, nodeOf, withMode } from "../support/builders.js";
import { bareExtra } from "../support/diagnose-builders.js";

const m = withMode("direct");
const a1 = nodeOf(m, "a1");
const direct = (dst: string, via: string): RouteFact => directRoute(dst, via);
const ROUTES = [
  direct("198.18.32.0/26", "198.18.0.13"),
  direct("198.18.40.0/26", "198.18.0.13"),
  direct("198.18.32.64/26", "198.18.0.14"),
];
const facts = (over: Partial<NodeFacts> = {}, sysctl: Record<string, number> = {}): NodeFacts => ({
  ...bareFacts(a1),
  routes: ROUTES,
  sysctl: {
    "net.ipv4.ip_forward": 1,
    "net.ipv4.conf.all.rp_filter": 0,
    "net.ipv4.conf.eth0.rp_filter": 0,
    "net.ipv4.conf.eth0.forwarding": 1,
    ...sysctl,
  },
  ...over,
});
const run = (f: NodeFacts) => nodeFindings(m, a1, f, bareExtra({}), { inventory: "inv.yaml" });
const byCheck = (f: NodeFacts, check: string) => run(f).filter((x) => x.check === check);

describe("diagnose, mode direct", () => {
  it("converged: no device checks, the paths and the direct routes pass", () => {
    const fs = run(facts());
    const checks = fs.map((x) => x.check);
    expect(checks).not.toContain("device");
    expect(checks).not.toContain("mtu");
    expect(byCheck(facts(), "mode")[0]).toMatchObject({
      ok: true,
      finding: "mode direct: 2 peer(s) direct (b1, b2), 0 through the tunnel; no VXLAN device needed",
    });
    expect(byCheck(facts(), "direct-routes")[0]?.ok).toBe(true);
    expect(byCheck(facts(), "underlay-forwarding")[0]?.ok).toBe(true);
  });

  it("forwarding off on the underlay is an error with its fix", () => {
    const [f] = byCheck(facts({}, { "net.ipv4.conf.eth0.forwarding": 0 }), "underlay-forwarding");
    expect(f).toMatchObject({ ok: false, severity: "error" });
    expect(f?.fix).toContain("sysctl -w net.ipv4.conf.eth0.forwarding=1");
  });

  it("a missing direct route is an error; with strict rp_filter on the underlay, that drop is named too", () => {
    const f = facts({ routes: ROUTES.slice(1) }, { "net.ipv4.conf.eth0.rp_filter": 1 });
    expect(byCheck(f, "direct-routes")[0]).toMatchObject({
      ok: false,
      fix: "meshctl apply -i inv.yaml --limit a1",
    });
    expect(byCheck(f, "direct-routes")[0]?.finding).toContain("198.18.32.0/26 via 198.18.0.13 (b1)");
    expect(byCheck(f, "underlay-rp-filter")[0]?.ok).toBe(false);
    expect(byCheck(facts({}, { "net.ipv4.conf.eth0.rp_filter": 1 }), "underlay-rp-filter")[0]?.ok).toBe(true);
  });

  it("a peer off the connected subnets: the mode finding says who, with the fix", () => {
    const f = facts();
    const narrow = {
      ...(f.underlay as NonNullable<NodeFacts["underlay"]>),
      addresses: [{ ip: ip("198.18.0.11"), prefixLen: 30 }],
    };
    const [x] = byCheck({ ...f, underlay: narrow, interfaces: [narrow] }, "mode");
    expect(x).toMatchObject({ ok: false, severity: "error" });
    expect(x?.finding).toContain("b1 (198.18.0.13), b2 (198.18.0.14) not on a connected subnet of eth0");
    expect(x?.fix).toContain("set mode auto");
  });
});
