/** verify with direct peers (#14): probes to the underlay address, the MTU probe at the underlay's MTU. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { IfName } from "../../src/net/addr.js";
import { parseVerifyOutput } from "../../src/verify/parse.js";
import { planNode } from "../../src/verify/plan.js";
import { verifyScript } from "../../src/verify/script.js";
import { model, nodeOf, THREE_BY_TWO } from "../support/builders.js";

const withMode = (mode: string) =>
  model(THREE_BY_TWO.replace("  route_protocol: 77\n", `  route_protocol: 77\n  mode: ${mode}\n`));
const OPTS = { device: "mshvx0" as IfName, count: 1, timeoutMs: 1000 };

describe("verify, mode direct and auto", () => {
  it("plan: a direct pair's probes carry the peer's underlay address; vxlan pairs none", () => {
    const m = withMode("direct");
    const plan = planNode(m, nodeOf(m, "a1"));
    const b1 = plan.probes.filter((p) => p.to === "b1");
    expect(b1.map((p) => `${p.kind} ${p.path} ${p.underlay}`)).toEqual([
      "overlay direct 198.18.0.13",
      "mtu direct 198.18.0.13",
    ]);
    expect(plan.underlayIp).toBe("198.18.0.11");
    const v = planNode(model(), nodeOf(model(), "a1"));
    expect(v.probes.every((p) => p.path === undefined)).toBe(true);
  });

  it("script: valid sh; direct pings go to the underlay address at the underlay MTU; auto decides on the node", () => {
    for (const mode of ["direct", "auto"]) {
      const m = withMode(mode);
      const s = verifyScript(planNode(m, nodeOf(m, "a1")), OPTS);
      const check = spawnSync("sh", ["-n"], { input: s, encoding: "utf8" });
      expect([mode, check.status, check.stderr]).toEqual([mode, 0, ""]);
      expect(s).toContain("-M do -s $((umtu - 28)) 198.18.0.13");
      if (mode === "auto") expect(s).toContain("if onlink 198.18.0.13; then");
    }
  });

  it("parse: a direct probe reports the underlay address and size; no 'device absent' note when nothing went through it", () => {
    const m = withMode("direct");
    const plan = planNode(m, nodeOf(m, "a1"));
    const ids = plan.probes.filter((p) => p.kind !== "pod").map((p) => p.id);
    const ok =
      "1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.1/0.1/0.1/0.0 ms\n@@rc 0";
    const out = [
      "@@meshctl-verify 1",
      "@@device absent",
      "@@underlay 1500",
      "@@src 198.18.16.1 pod-block",
      ...ids.map((i) => `@@direct ${i}`),
      ...plan.probes.flatMap((p) => [`@@probe ${p.id}`, ok]),
      "@@end",
    ].join("\n");
    const r = parseVerifyOutput(out, plan);
    expect(r.notes).toEqual([]);
    const mtu = r.probes.find((p) => p.kind === "mtu" && p.to === "b2");
    expect(mtu).toMatchObject({ ok: true, dst: "198.18.0.14", size: 1472 });
    expect(r.probes.every((p) => p.ok)).toBe(true);
  });
});
