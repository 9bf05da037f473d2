/**
 * Nodes from the cluster and `meshctl watch` (#12.2, #12.3) on a 3 x 2 lab with one spare node (c1-node3,
 * built but not a Node of cluster1's API): cluster1 is `nodes_from: kubernetes`, the others list their nodes;
 * every pod block is discovered. Join and leave go through `meshctl lab join|leave` (real kubectl against
 * the lab API); every assertion reads the nodes' kernel state with `ip netns exec`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { meshctl, ns, ping, ROOT, useLab } from "./helpers/cli.js";

const lab = useLab("watch", {
  clusters: 3,
  nodesPerCluster: 2,
  spares: 1,
  kubeApi: true,
  discover: true,
  busy: false,
});
const node = (name: string) => lab.node(name);
const DEV = "mshvx0";
const SPARE = "c1-node3";
const BIN = join(ROOT, "bin", "meshctl.js");

/** The lab inventory with cluster1's nodes taken from Kubernetes (only its control node listed, with host). */
function nodesFromInventory(): string {
  const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
  doc.setIn(["clusters", 0, "nodes_from"], "kubernetes");
  doc.setIn(
    ["clusters", 0, "nodes"],
    doc.createNode([{ name: "c1-node1", host: node("c1-node1").underlayIp }]),
  );
  const path = join(lab.dir, "nodes-from.yaml");
  writeFileSync(path, doc.toString());
  return path;
}

function labCli(...args: string[]): void {
  const r = spawnSync(process.execPath, [BIN, "lab", ...args, "--dir", lab.dir], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

function kubectl(clusterName: string, args: string, stdin?: string) {
  const c = lab.info.clusters.find((x) => x.name === clusterName) as (typeof lab.info.clusters)[number];
  return ns(c.controlNamespace, `HOME=${lab.dir} kubectl --kubeconfig ${c.kubeconfig} ${args}`, stdin);
}

/** What `name`'s kernel holds for `peer` on meshctl's device: FDB entry, neighbour, routes to its blocks. */
function entriesFor(name: string, peer: string): string[] {
  const p = node(peer);
  const overlay = `198.18.1.${p.underlayIp.split(".")[3]}`;
  const at = node(name).namespace;
  const found: string[] = [];
  if (ns(at, `bridge fdb show dev ${DEV}`).out.includes(`dst ${p.underlayIp} `)) found.push("fdb");
  if (ns(at, `ip neigh show dev ${DEV}`).out.includes(`${overlay} `)) found.push("neighbour");
  for (const b of p.podBlocks) if (ns(at, `ip route show ${b}`).out.trim() !== "") found.push(`route ${b}`);
  return found;
}

const others = (name: string) => lab.info.nodes.filter((n) => n.name !== name && !n.spare).map((n) => n.name);

describe("nodes_from: kubernetes — join and leave with apply", () => {
  it("apply meshes the Nodes cluster1 reports, and not the spare that is no Node yet", () => {
    const inv = nodesFromInventory();
    const r = meshctl("apply", "-i", inv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.nodes.map((n) => n.name).sort()).toEqual(others(SPARE).sort());
    expect(ns(node(SPARE).namespace, `ip link show ${DEV}`).code).not.toBe(0);
  });

  it("a Node that joins is meshed by the next apply, and pods of the other clusters reach it", () => {
    labCli("join", SPARE);
    const r = meshctl("apply", "-i", join(lab.dir, "nodes-from.yaml"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.nodes.find((n) => n.name === SPARE)?.status).toBe("changed");
    for (const peer of others(SPARE)) {
      // Its own cluster's peers get no route to its blocks (Calico routes inside a cluster).
      const want =
        node(peer).cluster === "cluster1"
          ? ["fdb", "neighbour"]
          : ["fdb", "neighbour", ...node(SPARE).podBlocks.map((b) => `route ${b}`)];
      expect(entriesFor(peer, SPARE), peer).toEqual(want);
    }
    expect(ping(node("c2-node1").podNamespace, node(SPARE).podIp)).toBe(true);
    expect(ping(node(SPARE).podNamespace, node("c3-node2").podIp)).toBe(true);
    // The verbs that do not apply see the cluster's Nodes too.
    const p = meshctl("ping", "-i", join(lab.dir, "nodes-from.yaml"));
    expect(p.code, p.stderr).toBe(0);
    expect(p.json.nodes.map((n) => n.name)).toContain(SPARE);
  });

  it("a cluster that cannot be read stops the run before any change: nothing is pruned", () => {
    const doc = parseDocument(readFileSync(join(lab.dir, "nodes-from.yaml"), "utf8"));
    doc.setIn(["clusters", 0, "kubeconfig"], join(lab.dir, "no-such.kubeconfig"));
    const broken = join(lab.dir, "unreadable.yaml");
    writeFileSync(broken, doc.toString());
    const before = ns(node("c2-node1").namespace, `bridge fdb show dev ${DEV}; ip route show proto 77`).out;
    const r = spawnSync(process.execPath, [BIN, "apply", "-i", broken], {
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot read the clusters' nodes, so nothing was changed");
    expect(ns(node("c2-node1").namespace, `bridge fdb show dev ${DEV}; ip route show proto 77`).out).toBe(
      before,
    );
    expect(entriesFor("c2-node1", SPARE).length).toBeGreaterThan(0);
  });

  it("a Node that leaves is pruned from every peer by the next apply", () => {
    labCli("leave", SPARE);
    const r = meshctl("apply", "-i", join(lab.dir, "nodes-from.yaml"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.nodes.map((n) => n.name)).not.toContain(SPARE);
    for (const peer of others(SPARE)) expect(entriesFor(peer, SPARE), peer).toEqual([]);
  });
});

/** The running watch: its JSON lines so far, and a wait for one that matches. */
class Watch {
  lines: Record<string, unknown>[] = [];
  stderr = "";
  exit: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    let buf = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        this.lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    this.exit = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }
  async until(what: string, ok: () => boolean, ms: number): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      if (ok()) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `watch: ${what} not within ${ms} ms; its log:\n${this.lines.map((l) => JSON.stringify(l)).join("\n")}\n${this.stderr}`,
    );
  }
}

const INTERVAL = 2;

describe("meshctl watch", () => {
  let w: Watch;
  afterAll(() => {
    if (w?.child.exitCode === null) w.child.kill("SIGKILL"); // only when a test failed before SIGTERM
  });
  const others3 = ["c1-node1", "c1-node2", "c3-node1", "c3-node2"];
  const NEW_BLOCK = "198.18.36.0/26"; // in cluster2's pod CIDR, no node's yet

  it("converges the mesh, then follows a BlockAffinity created in cluster2 onto every node of the other clusters", async () => {
    w = new Watch(
      spawn(
        process.execPath,
        [BIN, "watch", "-i", join(lab.dir, "nodes-from.yaml"), "--interval", String(INTERVAL), "-o", "json"],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      ),
    );
    await w.until(
      "a first converged round",
      () => w.lines.some((l) => l.event === "outcome" && l.outcome === "ok"),
      60_000,
    );
    const ba = {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BlockAffinity",
      metadata: { name: "c2-node1-198-18-36-0-26" },
      spec: { node: "c2-node1", cidr: NEW_BLOCK, state: "confirmed", deleted: "false" },
    };
    expect(kubectl("cluster2", "create -f -", JSON.stringify(ba)).code).toBe(0);
    const hasRoute = (n: string) => ns(node(n).namespace, `ip route show ${NEW_BLOCK}`).out.includes("via");
    const took = await w.until(
      "the new block's route on every other cluster's node",
      () => others3.every(hasRoute),
      (INTERVAL + 10) * 1000,
    );
    expect(took).toBeLessThan((INTERVAL + 10) * 1000);
    console.log(
      `watch: the new block's route was on all 4 nodes ${took} ms after the BlockAffinity was created (interval ${INTERVAL} s)`,
    );
    const change = w.lines.find((l) => l.event === "change") as { blocks: string[]; affected: string[] };
    expect(change.blocks).toEqual(["c2-node1"]);
    expect([...change.affected].sort()).toEqual(others3);
    expect(hasRoute("c2-node2")).toBe(false); // inside its cluster, Calico's business
  }, 120_000);

  it("removes the route when the BlockAffinity is deleted", async () => {
    expect(
      kubectl("cluster2", "delete blockaffinities.crd.projectcalico.org c2-node1-198-18-36-0-26").code,
    ).toBe(0);
    const gone = (n: string) => ns(node(n).namespace, `ip route show ${NEW_BLOCK}`).out.trim() === "";
    await w.until("the block's route gone everywhere", () => others3.every(gone), (INTERVAL + 10) * 1000);
  }, 60_000);

  it("meshes a Node that joins", async () => {
    labCli("join", SPARE);
    await w.until(
      "the joined node meshed",
      () => others(SPARE).every((p) => entriesFor(p, SPARE).includes("fdb")),
      (INTERVAL + 20) * 1000,
    );
    expect(w.lines.some((l) => l.event === "change" && (l.joined as string[]).includes(SPARE))).toBe(true);
    expect(ping(node("c3-node1").podNamespace, node(SPARE).podIp)).toBe(true);
  }, 60_000);

  it("ends cleanly on SIGTERM: exit 0, the last line says so", async () => {
    w.child.kill("SIGTERM");
    const code = await Promise.race([w.exit, new Promise((r) => setTimeout(() => r("timeout"), 60_000))]);
    if (code === "timeout") w.child.kill("SIGKILL");
    expect(code, w.stderr).toBe(0);
    expect(w.lines.at(-1)).toMatchObject({ event: "stop" });
  }, 90_000);
});
