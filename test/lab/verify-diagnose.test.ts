/**
 * meshctl verify and diagnose end to end on a 3 x 2 namespace lab with the fake Kubernetes APIs: a
 * converged mesh verifies clean; a link broken by hand is pinpointed to exactly its pair; every break
 * diagnose knows is reported with its fix, and diagnose is clean again once they are undone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LabInfo, labDown, labUp } from "../../src/lab/index.js";
import { buildDist, ns, ROOT, withGhostNode } from "./helpers/cli.js";
import { requireRootOrFail } from "./helpers/host.js";

const BIN = join(ROOT, "bin", "meshctl.js");

interface Probe {
  from: string;
  to: string;
  kind: "overlay" | "mtu" | "pod";
  ok: boolean;
  rttMs: number | null;
  loss: number;
  src?: string;
  detail?: string;
}
interface VerifyJson {
  exitCode: number;
  nodes: { name: string; status: string; podSource?: { address: string; kind: string }; notes: string[] }[];
  probes: Probe[];
}
interface Finding {
  node?: string;
  cluster?: string;
  check: string;
  ok: boolean;
  severity: "error" | "warning";
  finding: string;
  fix?: string;
}
interface DiagnoseJson {
  exitCode: number;
  nodes: { node: string; status: string; error?: string }[];
  findings: Finding[];
  skipped: string[];
}

function run<T>(...args: string[]): { code: number; json: T; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 90_000 });
  let json = undefined as T;
  if (args.includes("json")) {
    try {
      json = JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(
        `meshctl ${args.join(" ")} printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`,
      );
    }
  }
  return { code: r.status ?? -1, json, stdout: r.stdout, stderr: r.stderr };
}
const verify = (...a: string[]) => run<VerifyJson>("verify", "-i", inv, ...a, "--output", "json");
const diagnose = (...a: string[]) => run<DiagnoseJson>("diagnose", "-i", inv, ...a, "--output", "json");
const apply = () => run<unknown>("apply", "-i", inv, "--output", "json");
const errors = (d: DiagnoseJson) => d.findings.filter((f) => !f.ok && f.severity === "error");
const key = (f: Finding) => `${f.node ?? `cluster ${f.cluster}`} ${f.check}`;

let dir = "";
let info: LabInfo;
let inv = "";
const node = (name: string) => info.nodes.find((n) => n.name === name) as LabInfo["nodes"][number];
const mustNs = (name: string, cmd: string) => {
  const r = ns(node(name).namespace, cmd);
  expect(r.code, `${name}: ${cmd}: ${r.out}`).toBe(0);
  return r.out;
};
const kubectl = (cluster: string, args: string) => {
  const c = info.clusters.find((x) => x.name === cluster) as LabInfo["clusters"][number];
  return ns(c.controlNamespace, `HOME=${dir} kubectl --kubeconfig ${c.kubeconfig} ${args}`);
};

/** Only one lab fits on the machine: wait for another engineer's lab to go, a minute at a time. */
async function labUpWhenFree(): Promise<LabInfo> {
  for (let attempt = 1; ; attempt++) {
    try {
      // a mixed fleet (#11): iproute2 4.11, 4.15 and 6.1
      return await labUp({
        dir,
        clusters: 3,
        nodesPerCluster: 2,
        kubeApi: true,
        os: ["centos7", "ubuntu1804", "debian12"],
      });
    } catch (e) {
      const busy = /another lab is up|being started|bridge mshlab0 exists|cannot create the lab bridge/.test(
        String(e),
      );
      if (!busy || attempt >= 12) throw e;
      await new Promise((r) => setTimeout(r, 60_000));
    }
  }
}

beforeAll(async () => {
  requireRootOrFail();
  buildDist();
  dir = mkdtempSync(join(tmpdir(), "meshctl-verify-test-"));
  info = await labUpWhenFree();
  inv = info.inventory;
  expect(apply().code).toBe(0);
}, 900_000);

afterAll(async () => {
  if (dir) {
    if (info) await labDown({ dir });
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

describe("verify and diagnose on a 3 x 2 lab", () => {
  it("verify on the converged mesh: exit 0, all 84 probes ok, pod probes from each node's pod block", () => {
    const v = verify();
    expect(v.code, v.stderr).toBe(0);
    // 6 nodes x (5 peers x overlay+mtu + 4 endpoints of the 2 other clusters)
    expect(v.json.probes).toHaveLength(84);
    expect(v.json.probes.filter((p) => !p.ok)).toEqual([]);
    for (const n of v.json.nodes) {
      expect(n.podSource).toEqual({ address: node(n.name).podGateway, kind: "pod-block" });
      expect(n.notes).toEqual([]);
    }
    expect(v.json.probes.every((p) => p.loss === 0 && typeof p.rttMs === "number")).toBe(true);
  });

  it("diagnose on the converged mesh: exit 0, every pool in place, no error", () => {
    const d = diagnose();
    expect(d.code, JSON.stringify(errors(d.json))).toBe(0);
    expect(errors(d.json)).toEqual([]);
    expect(d.json.nodes.every((n) => n.status === "checked")).toBe(true);
    const pools = d.json.findings.filter((f) => f.check === "ippool");
    expect(pools).toHaveLength(12);
    expect(pools.every((f) => f.ok)).toBe(true);
  });

  it("one FDB entry deleted by hand: verify exits 1 and fails exactly that pair, both ways, all kinds", () => {
    const victim = node("c2-node2");
    const mac = mustNs(
      "c1-node1",
      `bridge fdb show dev mshvx0 | grep 'dst ${victim.underlayIp} ' | cut -d' ' -f1`,
    ).trim();
    mustNs("c1-node1", `bridge fdb del ${mac} dev mshvx0 dst ${victim.underlayIp} self`);

    const v = verify();
    expect(v.code).toBe(1);
    const failed = v.json.probes
      .filter((p) => !p.ok)
      .map((p) => `${p.from}>${p.to}:${p.kind}`)
      .sort();
    expect(failed).toEqual(
      [
        "c1-node1>c2-node2:overlay",
        "c1-node1>c2-node2:mtu",
        "c1-node1>c2-node2:pod",
        "c2-node2>c1-node1:overlay",
        "c2-node2>c1-node1:mtu",
        "c2-node2>c1-node1:pod",
      ].sort(),
    );
    expect(v.json.probes.filter((p) => p.ok)).toHaveLength(78);

    const text = run<unknown>("verify", "-i", inv);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /c1-node1 → c2-node2: overlay ping to 198\.18\.1\.14 \(0\/2 replies, 100% loss\)/,
    );
    expect(text.stdout).toContain("✗ all");
    expect(text.stdout).toMatch(/84 probes from 6 node\(s\): 78 ok, 6 failed/);

    const d = diagnose();
    expect(d.code).toBe(1);
    expect(errors(d.json).map(key)).toEqual(["c1-node1 entries"]);
    expect(errors(d.json)[0]?.finding).toContain(`FDB ${mac} (c2-node2): missing (dst ${victim.underlayIp})`);
    expect(errors(d.json)[0]?.fix).toBe(`meshctl apply -i ${inv} --limit c1-node1`);

    expect(apply().code).toBe(0);
    expect(verify().code).toBe(0);
  });

  it("diagnose passes strict rp_filter (with what it would drop) and reports forwarding off, a too-big MTU, a wrong VNI and a missing IPPool — each with its fix", () => {
    const allRp = mustNs("c1-node2", "cat /proc/sys/net/ipv4/conf/all/rp_filter").trim();
    mustNs("c1-node2", "sysctl -qw net.ipv4.conf.all.rp_filter=1");
    mustNs("c2-node1", "sysctl -qw net.ipv4.ip_forward=0");
    // The kernel refuses a device MTU above its bound underlay's − 50 (`ip link set dev mshvx0 mtu 1500`
    // fails with EINVAL); a too-big MTU arises when the underlay shrinks under the device instead.
    expect(ns(node("c2-node2").namespace, "ip link set dev mshvx0 mtu 1500").code).not.toBe(0);
    mustNs("c2-node2", "ip link set dev eth0 mtu 1400");
    const c3 = node("c3-node1");
    const mac = mustNs("c3-node1", "cat /sys/class/net/mshvx0/address").trim();
    mustNs(
      "c3-node1",
      `ip link del mshvx0 && ip link add mshvx0 address ${mac} type vxlan id 999 dstport 4899 local ${c3.underlayIp} dev eth0 nolearning && ip link set dev mshvx0 alias meshctl && ip link set mshvx0 up`,
    );
    expect(kubectl("cluster1", "delete ippools.crd.projectcalico.org pod-cluster2").code).toBe(0);

    const d = diagnose();
    expect(d.code).toBe(1);
    const errs = errors(d.json);
    expect(errs.map(key).sort()).toEqual(
      [
        "c2-node1 ip-forward",
        "c2-node2 mtu",
        "c3-node1 device",
        "c3-node1 overlay-address",
        "c3-node1 entries",
        "cluster cluster1 ippool",
      ].sort(),
    );
    const find = (k: string) => errs.find((f) => key(f) === k) as Finding;
    // Strict on both (conf.all 1): reported, passing — the mesh's routes are symmetric (the pings below prove it).
    const rp = d.json.findings.filter((f) => key(f) === "c1-node2 rp-filter");
    expect(rp.map((f) => [f.ok, /is strict: effective 1 = max\(conf\.all 1, /.test(f.finding)])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(find("c2-node1 ip-forward").fix).toMatch(/^sysctl -w net\.ipv4\.ip_forward=1/);
    expect(find("c2-node2 mtu").finding).toMatch(
      /mshvx0 MTU 1450 is more than the underlay eth0's 1400 − 50 = 1350/,
    );
    expect(find("c2-node2 mtu").fix).toMatch(/^ip link set dev mshvx0 mtu 1350/);
    expect(find("c3-node1 device").finding).toMatch(/VNI 999 \(inventory: 10001\)/);
    expect(find("c3-node1 device").fix).toMatch(new RegExp(`^meshctl apply -i ${inv} --limit c3-node1`));
    expect(find("cluster cluster1 ippool").finding).toMatch(/IPPool pod-cluster2 .* is missing/);
    expect(find("cluster cluster1 ippool").fix).toBe(`meshctl apply -i ${inv} --limit cluster1`);

    // The text output says the same for a person.
    const text = run<unknown>("diagnose", "-i", inv, "--limit", "c2-node1");
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/✗ ip-forward +error +IPv4 forwarding is off/);
    expect(text.stdout).toMatch(/fix: sysctl -w net\.ipv4\.ip_forward=1/);

    // Undo every break but strict rp_filter: by hand for forwarding and the underlay, by apply for the device and the pool.
    mustNs("c2-node1", "sysctl -qw net.ipv4.ip_forward=1");
    mustNs("c2-node2", "ip link set dev eth0 mtu 1500");
    expect(apply().code).toBe(0);
    const clean = diagnose();
    expect(errors(clean.json)).toEqual([]);
    expect(clean.code).toBe(0);
    expect(verify().code).toBe(0);
    // …with c1-node2 still strict: pods reach it and it reaches them.
    mustNs("c1-node2", `sysctl -qw net.ipv4.conf.all.rp_filter=${allRp}`);
  });

  it("a FORWARD chain with policy DROP: verify fails the pod probes into that node, diagnose says why and how to fix it", () => {
    mustNs("c2-node2", "iptables -P FORWARD DROP");
    try {
      const v = verify();
      expect(v.code).toBe(1);
      const failed = v.json.probes.filter((p) => !p.ok);
      expect(failed.length).toBeGreaterThan(0);
      // Only pod probes fail, and each goes to or comes from c2-node2's pod (forwarded through it).
      for (const p of failed) {
        expect(p.kind).toBe("pod");
        expect([p.from, p.to]).toContain("c2-node2");
      }
      const d = diagnose();
      const f = d.json.findings.find((x) => x.node === "c2-node2" && x.check === "forward-policy" && !x.ok);
      expect(f?.finding).toMatch(/FORWARD has policy DROP and no accept rule for mshvx0/);
      expect(f?.fix).toContain("iptables -I FORWARD -i mshvx0 -j ACCEPT");
    } finally {
      mustNs("c2-node2", "iptables -P FORWARD ACCEPT");
    }
    expect(verify().code).toBe(0);
  });

  it("a node that cannot be reached: its row is unknown, probes to it fail, exit 4", () => {
    const ghost = withGhostNode(inv, dir);
    const v = run<VerifyJson>("verify", "-i", ghost, "--output", "json");
    expect(v.code).toBe(4);
    expect(v.json.nodes.find((n) => n.name === "c3-ghost")?.status).toBe("unreachable");
    const failed = v.json.probes.filter((p) => !p.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((p) => p.to === "c3-ghost")).toBe(true);
    const d = run<DiagnoseJson>("diagnose", "-i", ghost, "--limit", "cluster3", "--output", "json");
    expect(d.json.nodes.find((n) => n.node === "c3-ghost")?.status).toBe("unreachable");
  });
});
