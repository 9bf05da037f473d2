/**
 * The facts script run for real (no SSH): each fixture scenario is built in a throwaway namespace
 * `mshfx-lab-<pid>` (198.18.0.0/15 only, no traffic), the script runs inside it through `ip netns exec`,
 * and the parsed facts must equal those of the committed fixture (so a changed script cannot silently
 * drift from its fixtures). Needs root; the namespace is deleted afterwards.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type NodeFacts, parseFacts, parseReadback } from "../../src/facts/index.js";
import { readbackScript } from "../../src/facts/script.js";
import {
  buildScenario,
  DEVICE,
  deleteNamespace,
  nsSh,
  runFacts,
  SCENARIOS,
  type Scenario,
} from "../fixtures/facts/scenarios.js";

const ns = `mshfx-lab-${process.pid}`;

const fixture = (s: Scenario) =>
  parseFacts(readFileSync(new URL(`../fixtures/facts/${s.name}.out`, import.meta.url), "utf8"));

const sorted = <T>(list: T[], key: (x: T) => string): T[] =>
  [...list].sort((a, b) => key(a).localeCompare(key(b)));

/**
 * Drops what the kernel assigns at random or on its own schedule (a veth's MAC, IPv6 solicited-node
 * groups) and the order of hash-table dumps (neighbours, FDB), which means nothing.
 */
function stable(f: NodeFacts): NodeFacts {
  return {
    ...f,
    ...(f.device === undefined
      ? {}
      : { device: { ...f.device, mac: f.device.kind === "vxlan" ? f.device.mac : "(random)" } }),
    neighbours: sorted(f.neighbours, (n) => n.ip),
    fdb: sorted(
      f.fdb.filter((e) => !e.mac.startsWith("33:33:ff:")),
      (e) => `${e.mac} ${e.dst ?? ""}`,
    ),
    routes: sorted(f.routes, (r) => `${r.table} ${r.dst}`),
    foreignRoutes: sorted(f.foreignRoutes, (r) => `${r.table} ${r.dst}`),
  };
}

describe("facts script, live in a network namespace", () => {
  afterAll(() => {
    deleteNamespace(ns);
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(ns);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    "%s: live facts equal the committed fixture",
    (_n, s) => {
      buildScenario(ns, s);
      const { output } = runFacts(ns, s.params);
      expect(stable(parseFacts(output))).toEqual(stable(fixture(s)));
    },
  );

  it("reads a configured node field by field, and changes nothing", () => {
    const s = SCENARIOS[0] as Scenario;
    buildScenario(ns, s);
    const first = parseFacts(runFacts(ns, s.params).output);
    expect(first.device).toMatchObject({
      kind: "vxlan",
      vni: 10001,
      port: 4899,
      underlayDev: "eth0",
      up: true,
    });
    expect(first.device?.learning).toBe(false);
    expect(first.underlay).toMatchObject({ name: "eth0", mtu: 1500 });
    expect(first.fdb.filter((e) => e.kind === "unicast")).toHaveLength(2);
    expect(first.neighbours.filter((n) => n.state.includes("PERMANENT"))).toHaveLength(2);
    expect(first.routes.map((r) => r.protocol)).toEqual([77, 77, 77, 77]);
    expect(first.foreignRoutes.some((r) => r.dev === DEVICE && r.protocol === "boot")).toBe(true);
    expect(first.udpPorts).toContain(4899);
    expect(parseFacts(runFacts(ns, s.params).output)).toEqual(first);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    "%s: plain text (ip -V and -json as iproute2 4.11) gives the same facts, live",
    (_n, s) => {
      buildScenario(ns, s);
      const { output } = runFacts(ns, s.params, "4.11");
      expect(output).toContain("\nmode text\n");
      expect(stable(parseFacts(output))).toEqual(stable(fixture(s)));
    },
  );

  it.each(
    SCENARIOS.flatMap(
      (s) =>
        [
          [s.name, "json", s],
          [s.name, "text", s],
        ] as const,
    ),
  )("%s (%s): the read-back, completed from the facts before, equals the full facts", (_n, mode, s) => {
    buildScenario(ns, s);
    const emulate = mode === "text" ? "4.11" : undefined;
    const before = parseFacts(runFacts(ns, s.params, emulate).output);
    const out = runFacts(ns, s.params, emulate, readbackScript(s.params)).output;
    // the read-back asks only about what meshctl manages …
    expect(out).not.toMatch(/@@(holder|underlay|vxlans|routes-main|sysctl|udp)\b/);
    // … and the rest is kept from the facts before
    expect(stable(parseReadback(out, before))).toEqual(stable(before));
  });

  it("survives the device disappearing (routes through it go with it)", () => {
    const s = SCENARIOS[0] as Scenario;
    buildScenario(ns, s);
    nsSh(ns, `ip link del ${DEVICE}`);
    const f = parseFacts(runFacts(ns, s.params).output);
    expect(f.device).toBeUndefined();
    expect(f.neighbours).toEqual([]);
    expect(f.fdb).toEqual([]);
    expect(f.routes).toEqual([]); // the kernel removed them from every table, 100 included
    expect(f.underlay?.name).toBe("eth0");
  });
});
