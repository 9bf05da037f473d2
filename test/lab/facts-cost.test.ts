/**
 * The cost of facts does not grow with what is not meshctl's (#11): the facts script runs on a configured
 * node as the fixtures build it (bare), then on the same node made busy like a Calico node (100 pod veths,
 * kube-ipvs0 with 3000 Service addresses, Calico's proto-80 routes: scenarios.ts `busySetup`). Bytes are
 * the script's output (what travels over SSH); processes are counted with strace (every fork of the
 * script's shell). Needs root and strace; namespaces `mshfx-cost-*`, 198.18.0.0/15 only, no traffic.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFacts } from "../../src/facts/index.js";
import { factsScript } from "../../src/facts/script.js";
import {
  assertSafeAddresses,
  buildScenario,
  busySetup,
  deleteNamespace,
  nsSh,
  runFacts,
  SCENARIOS,
  type Scenario,
} from "../fixtures/facts/scenarios.js";

const ns = `mshfx-cost-${process.pid}`;
const s = SCENARIOS[0] as Scenario; // a-configured: the device, two peers, foreign routes, vxlan.calico

/** Processes the facts script starts on the node (forks of its shell and of their children). */
function processes(): number {
  const dir = mkdtempSync(join(tmpdir(), "mshfx-strace-"));
  try {
    const log = join(dir, "trace");
    execFileSync(
      "ip",
      [
        "netns",
        "exec",
        ns,
        "strace",
        "-f",
        "-qq",
        "-e",
        "trace=fork,vfork,clone,clone3",
        "-o",
        log,
        "sh",
        "-c",
        factsScript(s.params),
      ],
      { stdio: "ignore" },
    );
    return readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => /\b(fork|vfork|clone|clone3)\(/.test(l) && !/= -1/.test(l)).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes the namespace busy (the setup is too long for an argument: it goes on stdin). */
function makeBusy(): void {
  const busy = busySetup();
  assertSafeAddresses(busy);
  execFileSync("ip", ["netns", "exec", ns, "sh", "-e"], { input: busy, stdio: ["pipe", "ignore", "pipe"] });
  expect(nsSh(ns, "ip -o addr show dev kube-ipvs0 | wc -l").trim()).toBe("3000");
}

describe("facts cost: a busy node costs about what a bare one does", () => {
  afterAll(() => deleteNamespace(ns));
  const figures: Record<string, { bytes: number; processes?: number }> = {};

  it("bare vs busy (iproute2 of this machine: JSON, one ip -batch): bytes ≤ 1.5×, ≤ 3 processes, same facts", () => {
    buildScenario(ns, s);
    const bare = runFacts(ns, s.params).output;
    const bareProcs = processes();
    makeBusy();
    const loaded = runFacts(ns, s.params).output;
    const busyProcs = processes();
    figures.bare = { bytes: bare.length, processes: bareProcs };
    figures.busy = { bytes: loaded.length, processes: busyProcs };
    expect(loaded.length).toBeLessThanOrEqual(1.5 * bare.length);
    expect(bareProcs).toBeLessThanOrEqual(3);
    expect(busyProcs).toBeLessThanOrEqual(3);
    // what meshctl manages reads the same; only Calico's proto-80 routes and blackhole are new foreign routes
    const a = parseFacts(bare);
    const b = parseFacts(loaded);
    expect(b.device).toEqual(a.device);
    expect(b.routes).toEqual(a.routes);
    expect(b.foreignRoutes.length - a.foreignRoutes.length).toBe(6);
    expect(b.interfaces).toEqual(a.interfaces);
  }, 120_000);

  it("plain text (4.11): busy bytes ≤ 1.5× bare too", () => {
    buildScenario(ns, s);
    const bare = runFacts(ns, s.params, "4.11").output;
    makeBusy();
    const loaded = runFacts(ns, s.params, "4.11").output;
    figures.bareText = { bytes: bare.length };
    figures.busyText = { bytes: loaded.length };
    expect(loaded.length).toBeLessThanOrEqual(1.5 * bare.length);
    console.log(`facts cost per node: ${JSON.stringify(figures)}`);
  }, 120_000);
});
