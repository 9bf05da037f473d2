/**
 * Ownership and repair end to end on a 2 x 1 lab (#10.3, #10.9): what only looks like meshctl's (its
 * device name with another VNI, its route protocol on eth0 in table 100) is refused, never deleted nor
 * recreated; what meshctl owns and someone removed by hand is shown by diff and repaired by apply.
 * Runs the built CLI (dist/); asserts on its JSON and on the nodes' kernel state read with `ip netns exec`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliRun, meshctl, ns, ping, useLab } from "./helpers/cli.js";

const lab = useLab("ownership", { clusters: 2, nodesPerCluster: 1, kubeApi: true });
const host = (run: CliRun, name: string) => run.json.nodes.find((n) => n.name === name);
const on = (node: string, cmd: string) => ns(lab.node(node).namespace, cmd);
const keys = (run: CliRun, name: string) =>
  host(run, name)?.changes.map((c) => `${c.action} ${c.resource} ${c.key}`) ?? [];

/** Pods of the two clusters reach each other both ways. */
function podsTalk(): boolean {
  const [a, b] = [lab.node("c1-node1"), lab.node("c2-node1")];
  return ping(a.podNamespace, b.podIp) && ping(b.podNamespace, a.podIp);
}

function converge(): void {
  const a = meshctl("apply", "-i", lab.info.inventory);
  expect(a.code, a.stdout).toBe(0);
  expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
}

describe("what is not provably meshctl's is refused, never deleted or recreated", () => {
  it("a VXLAN device with meshctl's name but another VNI (with a foreign address and route) is left alone", () => {
    const n = lab.node("c1-node1");
    expect(
      on(
        "c1-node1",
        `ip link add mshvx0 type vxlan id 999 dstport 4899 local ${n.underlayIp} nolearning && ip addr add 198.19.250.1/24 dev mshvx0 && ip link set mshvx0 up && ip route add 198.19.251.0/24 via 198.19.250.9 dev mshvx0`,
      ).code,
    ).toBe(0);
    const before = on(
      "c1-node1",
      "ip -d link show mshvx0; ip addr show dev mshvx0; ip route show dev mshvx0",
    ).out;
    for (const verb of ["diff", "apply", "teardown"]) {
      const r = meshctl(verb, "-i", lab.info.inventory);
      const h = host(r, "c1-node1");
      expect([verb, h?.status]).toEqual([verb, "failed"]);
      expect(h?.error).toMatch(
        /mshvx0 is a VXLAN device \(VNI 999, .*no alias\) without meshctl's mark.*not provably meshctl's/,
      );
      expect(h?.commandsSent).toBe(0);
      expect(
        on("c1-node1", "ip -d link show mshvx0; ip addr show dev mshvx0; ip route show dev mshvx0").out,
      ).toBe(before);
    }
    expect(on("c1-node1", "ip link del mshvx0").code).toBe(0);
    converge();
  }, 120_000);

  it("routes with meshctl's protocol id on eth0 in table 100 are refused by apply and teardown, with or without the device", () => {
    const route = "198.19.252.0/24 dev eth0 proto 77 table 100";
    const has = (node: string) =>
      on(node, "ip route show table 100 proto 77").out.includes("198.19.252.0/24");
    expect(on("c1-node1", `ip route add ${route}`).code).toBe(0);
    for (const verb of ["diff", "apply", "teardown"]) {
      const r = meshctl(verb, "-i", lab.info.inventory, "--limit", "c1-node1");
      expect([verb, host(r, "c1-node1")?.status]).toEqual([verb, "failed"]);
      expect(host(r, "c1-node1")?.error).toContain(
        "route 198.19.252.0/24 dev eth0 table 100 proto 77 carries meshctl's protocol id but it is not on mshvx0",
      );
      expect(has("c1-node1")).toBe(true);
    }
    // The node was refused before any change: its mesh is still up.
    expect(on("c1-node1", "ip link show mshvx0").code).toBe(0);
    expect(podsTalk()).toBe(true);
    // On a node without the device (c2-node1 torn down first).
    const t = meshctl("teardown", "-i", lab.info.inventory, "--limit", "c2-node1");
    expect(t.code, t.stdout).toBe(0);
    expect(on("c2-node1", `ip route add ${route}`).code).toBe(0);
    const again = meshctl("teardown", "-i", lab.info.inventory, "--limit", "c2-node1");
    expect(host(again, "c2-node1")?.status).toBe("failed");
    expect(has("c2-node1")).toBe(true);
    for (const node of ["c1-node1", "c2-node1"]) expect(on(node, `ip route del ${route}`).code).toBe(0);
    converge();
  }, 180_000);

  it("a destructive recreate of meshctl's own device lists everything it takes with it", () => {
    const inv = join(lab.dir, "vni2.yaml");
    writeFileSync(inv, readFileSync(lab.info.inventory, "utf8").replace(/^(\s*)vni: \d+/m, "$1vni: 10002"));
    expect(readFileSync(inv, "utf8")).toMatch(/vni: 10002/);
    const d = meshctl("diff", "-i", inv);
    const change = host(d, "c1-node1")?.changes[0] as unknown as { action: string; before?: string };
    expect(change.action).toBe("recreate");
    const overlay = on("c1-node1", "ip -4 -o addr show dev mshvx0").out.match(/inet (\S+)/)?.[1];
    const block = lab.node("c2-node1").podBlocks[0];
    expect(change.before).toContain(`takes with it address ${overlay}`);
    expect(change.before).toMatch(/1 fdb, 1 neighbour entries, routes: /);
    expect(change.before).toContain(`${block} via `);
  }, 60_000);

  it("a device of an earlier meshctl (no mark, same name, VNI, port, local) is adopted: marked, nothing else", () => {
    expect(on("c1-node1", 'ip link set dev mshvx0 alias ""').code).toBe(0);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(keys(d, "c1-node1")).toEqual(["update device mshvx0"]);
    converge();
    expect(on("c1-node1", "ip -d link show mshvx0").out).toMatch(/alias meshctl/);
  }, 60_000);
});

describe("whatever of meshctl's is removed by hand, diff shows and apply repairs", () => {
  const peerOverlay = () => on("c2-node1", "ip -4 -o addr show dev mshvx0").out.match(/inet ([\d.]+)/)?.[1];

  it("every route on the device flushed (its connected route included)", () => {
    expect(on("c1-node1", "ip route flush dev mshvx0").code).toBe(0);
    expect(on("c1-node1", "ip route show dev mshvx0").out.trim()).toBe("");
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code).toBe(2);
    expect(keys(d, "c1-node1")).toEqual([
      expect.stringMatching(/^create route 198\.18\.1\.0\/24 \(connected\)$/),
      expect.stringMatching(/^create route .* \(c2-node1\)$/),
    ]);
    converge();
    expect(podsTalk()).toBe(true);
    expect(on("c1-node1", `ping -c 1 -W 1 ${peerOverlay()}`).code).toBe(0);
  }, 60_000);

  it("neighbours and FDB entries flushed", () => {
    expect(
      on("c1-node1", "ip neigh flush dev mshvx0 nud permanent; bridge fdb flush dev mshvx0 permanent").code,
    ).toBe(0);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(keys(d, "c1-node1")).toEqual([
      expect.stringMatching(/^create fdb .* \(c2-node1\)$/),
      expect.stringMatching(/^create neighbour .* \(c2-node1\)$/),
    ]);
    converge();
    expect(podsTalk()).toBe(true);
  }, 60_000);

  it("the device set down (the kernel drops its routes), then deleted", () => {
    expect(on("c1-node1", "ip link set dev mshvx0 down").code).toBe(0);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(keys(d, "c1-node1")[0]).toBe("update link-state mshvx0");
    converge();
    expect(podsTalk()).toBe(true);
    expect(on("c1-node1", "ip link del mshvx0").code).toBe(0);
    expect(keys(meshctl("diff", "-i", lab.info.inventory), "c1-node1")[0]).toBe("create device mshvx0");
    converge();
    expect(podsTalk()).toBe(true);
    expect(on("c1-node1", `ping -c 1 -W 1 ${peerOverlay()}`).code).toBe(0);
  }, 90_000);
});
