/** The verify output parser on real output captured in the namespace lab (test/fixtures/verify/capture.ts). */
import { describe, expect, it } from "vitest";
import { parsePing, parseVerifyOutput, VerifyParseError } from "../../src/verify/parse.js";
import { planNode } from "../../src/verify/plan.js";
import { nodeOf } from "../support/builders.js";
import { fixture, labModel } from "../support/diagnose-builders.js";

const m = labModel();
const plan = (name: string) => planNode(m, nodeOf(m, name));

/** A captured raw ping: its output and the `@@rc N` line the capture appended. */
function raw(name: string): [string, number] {
  const text = fixture(name);
  const rc = /@@rc (\d+)/.exec(text);
  return [text.replace(/@@rc \d+\n?/, ""), Number(rc?.[1])];
}

describe("parsePing (iputils output captured in the lab)", () => {
  it("reads a good ping: counts, loss, average RTT", () => {
    const [text, rc] = raw("ping-ok.txt");
    const avg = Number(/= [\d.]+\/([\d.]+)\//.exec(text)?.[1]);
    expect(avg).toBeGreaterThan(0);
    expect(parsePing(text, rc)).toEqual({ sent: 2, received: 2, loss: 0, rttMs: avg, exitCode: 0 });
  });

  it("no reply at all", () => {
    expect(parsePing(...raw("ping-noreply.txt"))).toEqual({
      sent: 2,
      received: 0,
      loss: 100,
      exitCode: 1,
      detail: "no reply",
    });
  });

  it("a don't-fragment ping larger than the local MTU names the MTU", () => {
    const p = parsePing(...raw("ping-too-long.txt"));
    expect(p).toMatchObject({ sent: 1, received: 0, loss: 100 });
    expect(p.detail).toBe("message too long: the local path MTU is 1450");
  });

  it("a source address the node does not hold, and no route, are said plainly", () => {
    expect(parsePing(...raw("ping-bind.txt"))).toMatchObject({
      received: 0,
      loss: 100,
      exitCode: 2,
      detail: "the source address is not on the node",
    });
    expect(parsePing(...raw("ping-unreachable.txt")).detail).toBe("connect: Network is unreachable");
  });

  it("partial loss, errors and busybox's wording", () => {
    expect(
      parsePing(
        "--- x ping statistics ---\n4 packets transmitted, 3 received, 25% packet loss, time 3004ms\nrtt min/avg/max/mdev = 1.0/2.5/4.0/1.0 ms\n",
      ),
    ).toEqual({ sent: 4, received: 3, loss: 25, rttMs: 2.5, detail: "1 of 4 lost" });
    expect(
      parsePing(
        "From 198.18.1.11 icmp_seq=1 Destination Host Unreachable\n\n--- x ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1001ms\n",
      ).detail,
    ).toBe("Destination Host Unreachable (from 198.18.1.11)");
    expect(
      parsePing(
        "--- x ping statistics ---\n2 packets transmitted, 2 packets received, 0% packet loss\nround-trip min/avg/max = 0.1/0.2/0.3 ms\n",
      ),
    ).toEqual({ sent: 2, received: 2, loss: 0, rttMs: 0.2 });
    expect(parsePing("").detail).toBe("ping printed nothing");
  });
});

describe("parseVerifyOutput", () => {
  it("a converged node: every probe passes, pod probes from the node's address in its pod block", () => {
    const out = parseVerifyOutput(fixture("verify-ok.out"), plan("c1-node1"));
    expect(out.deviceMtu).toBe(1450);
    expect(out.podSource).toEqual({ address: "198.18.16.1", kind: "pod-block" });
    expect(out.notes).toEqual([]);
    // 5 peers x (overlay + mtu) + 4 endpoints of the two other clusters
    expect(out.probes).toHaveLength(14);
    expect(out.probes.every((p) => p.ok && p.loss === 0 && p.received === 2)).toBe(true);
    expect(out.probes.filter((p) => p.kind === "mtu").every((p) => p.size === 1422)).toBe(true);
    expect(out.probes.find((p) => p.kind === "pod" && p.dst === "198.18.32.66")).toMatchObject({
      from: "c1-node1",
      to: "c2-node2",
      toCluster: "cluster2",
      src: "198.18.16.1",
    });
  });

  it("one FDB entry deleted on c1-node1: exactly the c1-node1 → c2-node2 probes fail, both ways", () => {
    const out = parseVerifyOutput(fixture("verify-fdb-broken.out"), plan("c1-node1"));
    const failed = out.probes.filter((p) => !p.ok).map((p) => `${p.to} ${p.kind}`);
    expect(failed).toEqual(["c2-node2 overlay", "c2-node2 mtu", "c2-node2 pod"]);
    expect(out.probes.find((p) => !p.ok)?.detail).toBe("no reply within 1 s");
    const back = parseVerifyOutput(fixture("verify-fdb-broken-peer.out"), plan("c2-node2"));
    expect(back.probes.filter((p) => !p.ok).map((p) => `${p.to} ${p.kind}`)).toEqual([
      "c1-node1 overlay",
      "c1-node1 mtu",
      "c1-node1 pod",
    ]);
  });

  it("a smaller underlay on the far node: small pings pass, the full-size one is an MTU black hole", () => {
    const out = parseVerifyOutput(fixture("verify-mtu-blackhole.out"), plan("c1-node1"));
    const bad = out.probes.filter((p) => !p.ok);
    expect(bad.map((p) => `${p.to} ${p.kind}`)).toEqual(["c2-node2 mtu"]);
    expect(bad[0]?.detail).toMatch(/MTU black hole/);
  });

  it("no address in the pod block: pod probes go out from the overlay IP, and it says so", () => {
    const out = parseVerifyOutput(fixture("verify-no-pod-address.out"), plan("c1-node2"));
    expect(out.podSource).toEqual({ address: "198.18.1.12", kind: "overlay" });
    expect(out.notes[0]).toMatch(
      /holds no address in its pod blocks \(198\.18\.16\.64\/26\).*overlay IP 198\.18\.1\.12/,
    );
    expect(out.probes.filter((p) => p.kind === "pod").every((p) => p.src === "198.18.1.12")).toBe(true);
  });

  it("device absent: overlay probes fail with ping's reason, MTU probes are not run", () => {
    const out = parseVerifyOutput(fixture("verify-device-absent.out"), plan("c3-node2"));
    expect(out.deviceMtu).toBeUndefined();
    expect(out.notes).toContain("the mesh device is absent: run `meshctl apply`");
    expect(out.probes.every((p) => !p.ok)).toBe(true);
    expect(out.probes.find((p) => p.kind === "overlay")?.detail).toBe("connect: Network is unreachable");
    expect(out.probes.find((p) => p.kind === "mtu")).toMatchObject({
      sent: 0,
      detail: "not run: the mesh device is absent",
    });
  });

  it("rejects output that is not the script's, truncated, or with a source outside the blocks", () => {
    expect(() => parseVerifyOutput("Welcome!\n", plan("c1-node1"))).toThrow(VerifyParseError);
    const ok = fixture("verify-ok.out");
    expect(() => parseVerifyOutput(ok.replace("@@end", ""), plan("c1-node1"))).toThrow(/before @@end/);
    expect(() =>
      parseVerifyOutput(ok.replace("@@src 198.18.16.1", "@@src 198.18.99.1"), plan("c1-node1")),
    ).toThrow(/in none of the node's pod blocks/);
    expect(() =>
      parseVerifyOutput(
        "@@meshctl-verify 1\n@@error ping not found: install iputils-ping\n@@end\n",
        plan("c1-node1"),
      ),
    ).toThrow(/ping not found/);
  });
});
