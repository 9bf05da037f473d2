/**
 * The Kubernetes side end to end: Calico IPPools through real kubectl on each cluster's control node
 * (against the lab's Kubernetes API test equipment), and pod blocks discovered from block affinities.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { meshctl, ns, ping, ROOT, useLab } from "./helpers/cli.js";
import { withoutCarrier } from "./helpers/foreign.js";

// a mixed fleet (#11): iproute2 4.11, 4.15 and 6.1
const lab = useLab("kube", {
  clusters: 3,
  nodesPerCluster: 2,
  kubeApi: true,
  discover: true,
  os: ["centos7", "ubuntu1804", "debian12"],
});
const node = (name: string) => lab.node(name);
const cluster = (name: string) =>
  lab.info.clusters.find((c) => c.name === name) as (typeof lab.info.clusters)[number];

/** kubectl inside a cluster's control node namespace, with a private HOME so no cache leaks. */
function kubectl(clusterName: string, args: string, stdin?: string) {
  const c = cluster(clusterName);
  return ns(c.controlNamespace, `HOME=${lab.dir} kubectl --kubeconfig ${c.kubeconfig} ${args}`, stdin);
}

function pools(clusterName: string) {
  const r = kubectl(clusterName, "get ippools.crd.projectcalico.org -o json");
  expect(r.code, r.out).toBe(0);
  return (
    JSON.parse(r.out).items as {
      metadata: { name: string; labels?: Record<string, string> };
      spec: Record<string, unknown>;
    }[]
  )
    .map((p) => ({
      name: p.metadata.name,
      managedBy: p.metadata.labels?.["app.kubernetes.io/managed-by"],
      ...p.spec,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const expectedPools = (self: string) =>
  lab.info.clusters
    .filter((c) => c.name !== self)
    .flatMap((c) => [
      { name: `pod-${c.name}`, managedBy: "meshctl", cidr: c.podCidr, natOutgoing: false, disabled: true },
      {
        name: `svc-${c.name}`,
        managedBy: "meshctl",
        cidr: c.serviceCidr,
        natOutgoing: false,
        disabled: true,
      },
    ])
    .sort((a, b) => a.name.localeCompare(b.name));

describe("IPPools and pod-block discovery on a 3 x 2 lab", () => {
  it("discover finds every node's blocks (two per node in this lab) and --write puts them in the inventory", () => {
    const d = meshctl("discover", "-i", lab.info.inventory);
    expect(d.code).toBe(0);
    const found = (
      d.json as unknown as { clusters: { nodes: { name: string; blocks: string[] }[] }[] }
    ).clusters.flatMap((c) => c.nodes);
    expect(found).toHaveLength(6);
    for (const n of found) {
      expect(n.blocks, n.name).toHaveLength(2);
      expect(n.blocks).toContain(node(n.name).podBlocks[0]);
    }
    const copy = join(lab.dir, "written.yaml");
    writeFileSync(copy, readFileSync(lab.info.inventory, "utf8"));
    const w = meshctl("discover", "-i", copy, "--write");
    expect(w.code).toBe(0);
    const text = readFileSync(copy, "utf8");
    expect(text).toContain("# meshctl lab inventory"); // comments kept
    for (const n of found) expect(text).toContain(`pod_blocks: [ ${n.blocks.join(", ")} ]`);
  });

  it("apply creates exactly the expected pools in every cluster and routes to every discovered block", () => {
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code, a.stderr).toBe(0);
    for (const c of lab.info.clusters) expect(pools(c.name)).toEqual(expectedPools(c.name));
    // 4 remote nodes x 2 blocks each
    expect(ns(node("c1-node1").namespace, "ip route show proto 77").out.trim().split("\n")).toHaveLength(8);
    for (const c of a.json.clusters) expect([c.name, c.status, c.changed]).toEqual([c.name, "changed", 4]);
    expect(ping(node("c1-node1").podNamespace, node("c3-node2").podIp)).toBe(true);
  });

  it("re-apply changes nothing in any cluster", () => {
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(0);
    for (const h of [...a.json.clusters, ...a.json.nodes])
      expect([h.name, h.changed, h.commandsSent]).toEqual([h.name, 0, 0]);
  });

  it("a hand-edited pool shows in diff and is repaired by apply", () => {
    expect(
      kubectl("cluster1", `patch ippool pod-cluster2 --type merge -p '{"spec":{"natOutgoing":true}}'`).code,
    ).toBe(0);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code).toBe(2);
    const c1 = d.json.clusters.find((c) => c.name === "cluster1");
    expect(c1?.changes.map((c) => `${c.action} ${c.resource} ${c.key}`)).toEqual([
      "update ippool pod-cluster2",
    ]);
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    expect(pools("cluster1")).toEqual(expectedPools("cluster1"));
  });

  it("a foreign pool overlapping one meshctl needs stops that cluster with a clear error and changes nothing there", () => {
    const rogue =
      "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: rogue\nspec:\n  cidr: 198.18.32.0/24\n";
    expect(kubectl("cluster1", "apply -f -", rogue).code).toBe(0);
    expect(kubectl("cluster1", "delete ippool svc-cluster3").code).toBe(0);
    const before = pools("cluster1");
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(1);
    const c1 = a.json.clusters.find((c) => c.name === "cluster1");
    expect(c1?.status).toBe("failed");
    expect(c1?.error).toMatch(/IPPool rogue .* is not meshctl's and overlaps 198\.18\.32\.0\/20/);
    expect(pools("cluster1")).toEqual(before);
    expect(kubectl("cluster1", "delete ippool rogue").code).toBe(0);
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    expect(pools("cluster1")).toEqual(expectedPools("cluster1"));
  });

  it("a block that appears in the cluster becomes a route on the next apply, and pods in it are reachable", () => {
    const owner = node("c2-node1");
    const block = "198.18.44.0/26";
    const affinity = `apiVersion: crd.projectcalico.org/v1\nkind: BlockAffinity\nmetadata:\n  name: c2-node1-198-18-44-0-26\nspec:\n  node: c2-node1\n  cidr: ${block}\n  state: confirmed\n  deleted: "false"\n`;
    expect(kubectl("cluster2", "apply -f -", affinity).code).toBe(0);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code).toBe(2);
    for (const n of d.json.nodes) {
      const keys = n.changes.map((c) => `${c.action} ${c.resource} ${c.key}`);
      expect(keys, n.name).toEqual(
        node(n.name).cluster === "cluster2"
          ? []
          : [`create route ${block} (c2-node1)`, "update persist /var/lib/meshctl/mshvx0@3.ip"],
      );
    }
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    // A pod address in the new block, routed by its node as a CNI would.
    expect(ns(owner.podNamespace, "ip addr add 198.18.44.2/32 dev eth0").code).toBe(0);
    expect(ns(owner.namespace, "ip route add 198.18.44.2/32 dev pod0").code).toBe(0);
    expect(ping(node("c1-node1").podNamespace, "198.18.44.2")).toBe(true);
    expect(ping(node("c3-node2").podNamespace, "198.18.44.2")).toBe(true);
    // And when the block goes away, its routes go too.
    expect(kubectl("cluster2", "delete blockaffinity c2-node1-198-18-44-0-26").code).toBe(0);
    const gone = meshctl("apply", "-i", lab.info.inventory);
    expect(gone.code).toBe(0);
    expect(
      gone.json.nodes.find((n) => n.name === "c1-node1")?.changes.map((c) => `${c.action} ${c.key}`),
    ).toEqual([`delete ${block}`, "update /var/lib/meshctl/mshvx0@3.ip"]);
  });

  it("a stale pool of meshctl's (its cluster left the inventory) is deleted", () => {
    const stale =
      "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: pod-gone\n  labels:\n    app.kubernetes.io/managed-by: meshctl\nspec:\n  cidr: 198.18.240.0/20\n  natOutgoing: false\n  disabled: true\n";
    expect(kubectl("cluster2", "apply -f -", stale).code).toBe(0);
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(0);
    expect(
      a.json.clusters.find((c) => c.name === "cluster2")?.changes.map((c) => `${c.action} ${c.key}`),
    ).toEqual(["delete pod-gone"]);
    expect(pools("cluster2")).toEqual(expectedPools("cluster2"));
  });

  it("--atomic: a node failing undoes the pool changes of the run too", () => {
    for (const c of ["cluster1", "cluster3"]) expect(kubectl(c, "delete ippool pod-cluster2").code).toBe(0);
    const before = { cluster1: pools("cluster1"), cluster3: pools("cluster3") };
    const victim = node("c1-node2");
    const blocker = node("c3-node2").podBlocks[0] as string;
    expect(ns(victim.namespace, "ip link del mshvx0").code).toBe(0);
    expect(ns(victim.namespace, `ip route add ${blocker} dev eth0`).code).toBe(0);
    try {
      const a = meshctl("apply", "-i", lab.info.inventory, "--atomic");
      expect(a.code).toBe(1);
      for (const c of ["cluster1", "cluster3"] as const) {
        const r = a.json.clusters.find((x) => x.name === c);
        expect(r?.status, c).toBe("rolled-back");
        expect(r?.rollback?.restored, c).toBe(true);
        expect(pools(c)).toEqual(before[c]);
      }
    } finally {
      ns(victim.namespace, `ip route del ${blocker} dev eth0`);
    }
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    for (const c of lab.info.clusters) expect(pools(c.name)).toEqual(expectedPools(c.name));
  });

  it("teardown deletes meshctl's pools only", () => {
    const keep =
      "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: default-ipv4-ippool\nspec:\n  cidr: 198.18.16.0/20\n  natOutgoing: true\n";
    expect(kubectl("cluster1", "apply -f -", keep).code).toBe(0);
    const t = meshctl("teardown", "-i", lab.info.inventory);
    expect(t.code).toBe(0);
    for (const c of lab.info.clusters) {
      expect(pools(c.name).filter((p) => p.managedBy === "meshctl")).toEqual([]);
    }
    expect(pools("cluster1").map((p) => p.name)).toEqual(["default-ipv4-ippool"]);
    const again = meshctl("teardown", "-i", lab.info.inventory);
    expect(again.code).toBe(0);
    for (const c of again.json.clusters) expect(c.changed).toBe(0);
  });

  it("RBAC denial and a cluster without Calico are clear errors for that cluster, with nothing changed", async () => {
    // A second API server (the same test equipment) in cluster3's control namespace, started with fault
    // injection, and an inventory pointing cluster3 at it.
    const c3 = cluster("cluster3");
    const state = join(lab.dir, "faulty.json");
    writeFileSync(state, readFileSync(join(lab.dir, "kube", "cluster3.json"), "utf8"));
    for (const [flags, expected] of [
      [["--deny", "list:ippools"], /cluster cluster3: .*RBAC denied it/],
      [
        ["--no-calico"],
        /cluster cluster3: .*no Calico IPPool\/BlockAffinity resources: is cluster3 a Calico cluster/,
      ],
    ] as const) {
      const server = spawn(
        "ip",
        [
          "netns",
          "exec",
          c3.controlNamespace,
          process.execPath,
          join(ROOT, "dist/lab/kubeapi/main.js"),
          "--listen",
          `${node("c3-node1").underlayIp}:6450`,
          "--state",
          state,
          ...flags,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout.on("data", (d: Buffer) => d.toString().includes("listening") && resolve());
          server.on("exit", (code) => reject(new Error(`kubeapi exited ${code}`)));
        });
        const kubeconfig = join(lab.dir, "faulty.kubeconfig");
        writeFileSync(kubeconfig, readFileSync(c3.kubeconfig as string, "utf8").replace(/:6443\b/, ":6450"));
        const faultyInv = join(lab.dir, "faulty.yaml");
        writeFileSync(
          faultyInv,
          readFileSync(lab.info.inventory, "utf8").replace(c3.kubeconfig as string, kubeconfig),
        );
        const before = pools("cluster1");
        const a = meshctl("apply", "-i", faultyInv, "--limit", "cluster3");
        expect(a.code).toBe(1);
        const c = a.json.clusters.find((x) => x.name === "cluster3");
        expect(c?.status).toBe("failed");
        expect(c?.error).toMatch(expected);
        expect(c?.commandsSent).toBe(0);
        expect(pools("cluster1")).toEqual(before);
      } finally {
        server.kill();
      }
    }
  });

  it("an unreachable Kubernetes API fails clearly and nothing is half-done", () => {
    // The cluster's kubeconfig now points at a port where nothing listens (inside the node namespace).
    const c2 = cluster("cluster2");
    const broken = join(lab.dir, "broken.kubeconfig");
    writeFileSync(broken, readFileSync(c2.kubeconfig as string, "utf8").replace(/:6443\b/, ":1"));
    const text = readFileSync(lab.info.inventory, "utf8").replace(c2.kubeconfig as string, broken);
    const brokenInv = join(lab.dir, "broken-api.yaml");
    writeFileSync(brokenInv, text);
    const before = withoutCarrier(
      ns(node("c1-node1").namespace, "ip -d link show; ip route show table all").out,
    );
    const a = meshctl("apply", "-i", brokenInv);
    expect(a.code).toBe(1);
    const c = a.json.clusters.find((x) => x.name === "cluster2");
    expect(c?.error).toMatch(/cluster cluster2: .*cannot reach the Kubernetes API on control node c2-node1/);
    // Blocks of cluster2's nodes are unknown, so no node plans (no route would be pruned by mistake).
    for (const n of a.json.nodes) {
      expect(n.status, n.name).toBe("failed");
      expect(n.error).toMatch(/pod blocks of cluster cluster2's nodes are unknown/);
    }
    expect(
      withoutCarrier(ns(node("c1-node1").namespace, "ip -d link show; ip route show table all").out),
    ).toBe(before);
  });
});
