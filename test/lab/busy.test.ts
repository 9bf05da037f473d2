/**
 * Busy, Calico-like lab nodes (the default): the foreign state is there as on a real Kubernetes node, and
 * everything meshctl does — diff, apply, verify, diagnose, teardown — leaves it exactly as it was.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LAB_MESH } from "../../src/lab/index.js";
import { meshctl, ns, ping, ROOT, useLab } from "./helpers/cli.js";
import { type Foreign, foreignState, linkNames, sizeOf } from "./helpers/foreign.js";

const PODS = 100;
const SERVICES = 300;
const lab = useLab("busy", {
  clusters: 3,
  nodesPerCluster: 2,
  kubeApi: true,
  busy: { pods: PODS, services: SERVICES },
});

const BIN = join(ROOT, "bin", "meshctl.js");
/** verify / diagnose (their JSON differs from apply's): exit code and output. */
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 90_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
};

const snap = (): Record<string, Foreign> =>
  Object.fromEntries(
    lab.info.nodes.map((n) => [n.name, foreignState(n.namespace, LAB_MESH.device, LAB_MESH.route_protocol)]),
  );

describe("a busy node", () => {
  it("carries Calico's load: cali veths, kube-ipvs0 with every Service, vxlan.calico routes, blackholes, chains", () => {
    const n = lab.node("c1-node2");
    const links = linkNames(n.namespace);
    expect(links.filter((l) => /^cali[0-9a-f]{11}$/.test(l))).toHaveLength(PODS);
    expect(links).toContain("kube-ipvs0");
    expect(links).toContain("vxlan.calico");
    const svc = ns(n.namespace, "ip -4 -o addr show dev kube-ipvs0").out.trim().split("\n");
    expect(svc).toHaveLength(SERVICES);
    expect(svc[0]).toContain("inet 198.19.16.1/32");
    const vx = ns(n.namespace, "ip -d link show vxlan.calico").out;
    expect(vx).toMatch(/vxlan id 4096 local 198\.18\.0\.12 dev eth0 .*dstport 4789/);
    // To the other node of its cluster: its block via its tunnel address, protocol 80; its own: blackhole.
    const other = lab.node("c1-node1");
    const proto80 = ns(n.namespace, "ip route show proto 80")
      .out.split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
    expect(proto80).toEqual(
      [`${other.podBlocks[0]} via 198.18.16.0 dev vxlan.calico onlink`, `blackhole ${n.podBlocks[0]}`].sort(),
    );
    expect(ns(n.namespace, "iptables -S FORWARD").out).toContain("-j cali-FORWARD");
    // The host's Debian 12 leaves rp_filter 0; Felix makes every workload interface strict.
    expect(ns(n.namespace, "cat /proc/sys/net/ipv4/conf/all/rp_filter").out.trim()).toBe("0");
    const cali = links.find((l) => l.startsWith("cali"));
    expect(
      ns(
        n.namespace,
        `cat /proc/sys/net/ipv4/conf/${cali}/rp_filter /proc/sys/net/ipv4/conf/${cali}/proxy_arp`,
      ).out,
    ).toBe("1\n1\n");
    console.log(`busy node foreign state: ${JSON.stringify(sizeOf(foreignState(n.namespace, "none", 0)))}`);
  });

  it("Calico's own VXLAN carries pod traffic inside the cluster, and the lab pods answer", () => {
    // c1-node2's pod reaches c1-node1's over vxlan.calico (the route, neighbour and FDB Calico would make).
    expect(ping(lab.node("c1-node2").podNamespace, lab.node("c1-node1").podIp)).toBe(true);
    expect(ping(lab.node("c2-node1").podNamespace, lab.node("c2-node1").podGateway)).toBe(true);
  });
});

describe("meshctl leaves the foreign state exactly as it was", () => {
  let before: Record<string, Foreign> = {};
  const same = (what: string) => {
    const now = snap();
    for (const n of lab.info.nodes) expect(now[n.name], `${n.name} after ${what}`).toEqual(before[n.name]);
  };

  it("diff", () => {
    const t = Date.now();
    before = snap();
    console.log(`foreign-state snapshot of ${lab.info.nodes.length} nodes: ${Date.now() - t} ms`);
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(2);
    same("diff");
  });

  it("apply, then the mesh works across clusters", () => {
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code, a.stderr).toBe(0);
    same("apply");
    expect(ping(lab.node("c1-node1").podNamespace, lab.node("c3-node2").podIp)).toBe(true);
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
  });

  it("verify and diagnose", () => {
    const v = run("verify", "-i", lab.info.inventory);
    expect(v.code, v.out).toBe(0);
    same("verify");
    run("diagnose", "-i", lab.info.inventory);
    same("diagnose");
  });

  it("teardown removes meshctl's device and nothing else", () => {
    const t = meshctl("teardown", "-i", lab.info.inventory);
    expect(t.code, t.stderr).toBe(0);
    same("teardown");
    for (const n of lab.info.nodes) expect(linkNames(n.namespace)).not.toContain(LAB_MESH.device);
  });
});
