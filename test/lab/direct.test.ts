/**
 * Direct routing and mode switches end to end (#14), on a 3 × 1 lab over two underlay subnets
 * (`--subnets 2`): c1-node1 and c3-node1 on 198.18.0.0/24, c2-node1 on 198.18.2.0/24 behind the router
 * namespace. `direct` on the one subnet (c1 + c3), `auto` across both (c1–c3 direct, c2 through the
 * tunnel), and switching vxlan → direct → auto → vxlan with pod-to-pod pings after each step, ending
 * exactly where it started. Runs the built CLI (dist/); asserts on its JSON and on the nodes' kernel state.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { type CliRun, meshctl, ns, ping, useLab } from "./helpers/cli.js";
import { until } from "./helpers/node-mounts.js";

const lab = useLab("direct", { clusters: 3, nodesPerCluster: 1, kubeApi: true, busy: false, subnets: 2 });
const NODES = ["c1-node1", "c2-node1", "c3-node1"];
const host = (run: CliRun, name: string) => run.json.nodes.find((n) => n.name === name);
const on = (node: string, cmd: string) => ns(lab.node(node).namespace, cmd);

/** The lab's inventory with `mode`, and only the given clusters; written next to it. */
function inventory(mode: string, clusters = ["cluster1", "cluster2", "cluster3"]): string {
  const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
  doc.setIn(["mesh", "mode"], mode);
  const all = doc.toJS().clusters as { name: string }[];
  for (let i = all.length - 1; i >= 0; i--) {
    if (!clusters.includes(all[i]?.name ?? "")) doc.deleteIn(["clusters", i]);
  }
  const path = join(lab.dir, `${mode}-${clusters.length}.yaml`);
  writeFileSync(path, doc.toString());
  return path;
}

function converge(inv: string): CliRun {
  const a = meshctl("apply", "-i", inv);
  expect(a.code, a.stdout + a.stderr).toBe(0);
  const d = meshctl("diff", "-i", inv);
  expect(d.code, d.stdout).toBe(0);
  return a;
}

/** Every pod of `nodes` reaches every pod of the others. */
function podsTalk(nodes: string[]): string[] {
  const failed: string[] = [];
  for (const a of nodes)
    for (const b of nodes)
      if (a !== b && !ping(lab.node(a).podNamespace, lab.node(b).podIp)) failed.push(`${a} → ${b}`);
  return failed;
}

/** What a node's kernel holds of the mesh, or anywhere near it: links, every route, permanent entries. */
function nodeState(node: string): string {
  return on(
    node,
    "ip -br link | awk '{print $1}' | sort; ip route show table all | grep -v '^local\\|^broadcast\\|^multicast\\|fe80::\\|^ff00::' | sort; ip neigh show nud permanent | sort; bridge fdb show | grep -v '^33:33\\|^01:00' | sort",
  ).out;
}

/** Echo replies the namespace's kernel received so far (Icmp InEchoReps in its /proc/net/snmp). */
function echoReplies(namespace: string): number {
  const rows = ns(namespace, "cat /proc/net/snmp")
    .out.split("\n")
    .filter((l) => l.startsWith("Icmp: "))
    .map((l) => l.split(/\s+/));
  const at = rows[0]?.indexOf("InEchoReps") ?? -1;
  const n = Number(rows[1]?.[at]);
  if (at < 0 || !Number.isInteger(n)) throw new Error(`no Icmp InEchoReps in ${namespace}'s /proc/net/snmp`);
  return n;
}

/**
 * Runs `f` while a pod pings another every 10 ms (quiet: only the summary): how many were sent and lost
 * across it. make-before-break means none lost. No fixed sleeps: `f` runs once the pod has 10 replies, and
 * ping is stopped once 10 more came back after `f` (or 10 s passed: then the loss shows it).
 */
async function pingDuring<T>(
  from: string,
  to: string,
  f: () => T,
): Promise<{ r: T; sent: number; lost: number }> {
  const podNs = lab.node(from).podNamespace;
  const replies = () => echoReplies(podNs);
  const before = replies();
  const p = spawn("ip", ["netns", "exec", podNs, "ping", "-q", "-i", "0.01", lab.node(to).podIp]);
  let out = "";
  p.stdout.on("data", (b) => {
    out += String(b);
  });
  const closed = new Promise((ok) => p.on("close", ok));
  if (!(await until(() => replies() >= before + 10, 10_000))) {
    p.kill("SIGINT");
    await closed;
    throw new Error(`${from} → ${to}: no 10 ping replies before the change: ${out}`);
  }
  const r = f();
  const after = replies();
  await until(() => replies() >= after + 10, 10_000);
  p.kill("SIGINT");
  await closed;
  const m = out.match(/(\d+) packets transmitted, (\d+) received/);
  const sent = Number(m?.[1] ?? 0);
  return { r, sent, lost: sent - Number(m?.[2] ?? 0) };
}

const routesOf = (node: string) => on(node, "ip route show proto 77").out;

describe("mode direct and auto", () => {
  it("direct on one subnet: routes via the peer's underlay address on eth0, no device; pods talk", () => {
    const bare = { c1: nodeState("c1-node1"), c3: nodeState("c3-node1") };
    const inv = inventory("direct", ["cluster1", "cluster3"]);
    converge(inv);
    const c3 = lab.node("c3-node1");
    expect(routesOf("c1-node1")).toContain(`${c3.podBlocks[0]} via ${c3.underlayIp} dev eth0 metric 7077`);
    expect(on("c1-node1", "ip link show mshvx0").code).not.toBe(0);
    expect(podsTalk(["c1-node1", "c3-node1"])).toEqual([]);
    const t = meshctl("teardown", "-i", inv);
    expect(t.code, t.stdout).toBe(0);
    expect({ c1: nodeState("c1-node1"), c3: nodeState("c3-node1") }).toEqual(bare);
  }, 180_000);

  it("direct with a peer on the other subnet: refused on every node, naming the peer; nothing changed", () => {
    const before = NODES.map(nodeState);
    const r = meshctl("apply", "-i", inventory("direct"));
    expect(r.code).not.toBe(0);
    expect(host(r, "c1-node1")?.error).toMatch(
      /mode direct: c2-node1 \(198\.18\.2\.\d+\) not on a connected subnet of eth0 \(198\.18\.0\.0\/24\)/,
    );
    expect(host(r, "c2-node1")?.error).toMatch(
      /c1-node1 \(198\.18\.0\.\d+\), c3-node1 .* of eth0 \(198\.18\.2\.0\/24\)/,
    );
    for (const n of NODES) expect(host(r, n)?.commandsSent).toBe(0);
    expect(NODES.map(nodeState)).toEqual(before);
  }, 120_000);

  it("auto across two subnets: c1–c3 direct, c2 through the tunnel, entries only for the tunnel's peers", () => {
    const inv = inventory("auto");
    converge(inv);
    const [c2, c3] = [lab.node("c2-node1"), lab.node("c3-node1")];
    expect(routesOf("c1-node1")).toContain(`${c3.podBlocks[0]} via ${c3.underlayIp} dev eth0 metric 7077`);
    expect(routesOf("c1-node1")).toMatch(
      new RegExp(`${c2.podBlocks[0]?.replace(/\./g, "\\.")} via \\S+ dev mshvx0`),
    );
    // c1's device knows c2 only; c2's knows both.
    expect(on("c1-node1", "ip neigh show dev mshvx0 nud permanent").out.trim().split("\n")).toHaveLength(1);
    expect(on("c2-node1", "ip neigh show dev mshvx0 nud permanent").out.trim().split("\n")).toHaveLength(2);
    expect(on("c1-node1", `bridge fdb show dev mshvx0 | grep -c 'dst ${c3.underlayIp}'`).out.trim()).toBe(
      "0",
    );
    expect(podsTalk(NODES)).toEqual([]);
    // verify: direct peers probed at their underlay address, full underlay MTU; diagnose: nothing wrong.
    const v = meshctl("verify", "-i", inv);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain(`"dst": "${c3.underlayIp}"`);
    expect(v.stdout).toMatch(/"size": 1472/);
    const dg = meshctl("diagnose", "-i", inv);
    expect(dg.code, dg.stdout).toBe(0);
    expect(dg.stdout).toContain("underlay-forwarding");
    const t = meshctl("teardown", "-i", inv);
    expect(t.code, t.stdout).toBe(0);
    for (const n of NODES) expect(routesOf(n).trim()).toBe("");
  }, 180_000);
});

describe("switching a live mesh: vxlan → direct → auto → vxlan", () => {
  it("pods talk after every step, not one ping lost while switching, diff shows route changes, and it ends exactly where it started", async () => {
    const pair = ["c1-node1", "c3-node1"];
    const clusters = ["cluster1", "cluster3"];
    const first = converge(inventory("vxlan", clusters));
    expect(host(first, "c1-node1")?.changes.map((c) => c.resource)).toContain("device");
    expect(podsTalk(pair)).toEqual([]);
    const vxlanState = pair.map(nodeState);

    const toDirect = meshctl("diff", "-i", inventory("direct", clusters));
    expect(toDirect.code).toBe(2);
    expect(host(toDirect, "c1-node1")?.changes.map((c) => `${c.action} ${c.resource}`)).toEqual([
      "update route",
      "delete device",
      // The boot files follow (#12.1): the device's and the entries' files give way to the routes' alone.
      "update persist",
      "delete persist",
      "delete persist",
      "update persist",
    ]);
    const there = await pingDuring("c1-node1", "c3-node1", () => converge(inventory("direct", clusters)));
    expect(there.sent).toBeGreaterThan(50);
    expect(there.lost).toBe(0);
    expect(podsTalk(pair)).toEqual([]);
    for (const n of pair) expect(on(n, "ip link show mshvx0").code).not.toBe(0);

    // Both on one subnet: auto is direct too, nothing to change.
    expect(meshctl("diff", "-i", inventory("auto", clusters)).code).toBe(0);
    converge(inventory("auto", clusters));
    expect(podsTalk(pair)).toEqual([]);

    const back = meshctl("diff", "-i", inventory("vxlan", clusters));
    expect(host(back, "c1-node1")?.changes.map((c) => `${c.action} ${c.resource}`)).toEqual([
      "create device",
      "create fdb",
      "create neighbour",
      "update route",
      "update persist",
      "create persist",
      "create persist",
      "update persist",
    ]);
    const back2 = await pingDuring("c1-node1", "c3-node1", () => converge(inventory("vxlan", clusters)));
    expect(back2.sent).toBeGreaterThan(50);
    expect(back2.lost).toBe(0);
    expect(podsTalk(pair)).toEqual([]);
    expect(pair.map(nodeState)).toEqual(vxlanState);
    expect(meshctl("teardown", "-i", inventory("vxlan", clusters)).code).toBe(0);
  }, 300_000);
});
