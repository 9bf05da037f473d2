/**
 * meshctl apply / diff / teardown end to end on a 3 x 2 namespace lab: real sshd, real kernel, real
 * pod-to-pod ICMP. Runs the built CLI (dist/) as a user would, and asserts on its JSON output and on the
 * nodes' kernel state read directly with `ip netns exec`.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { type CliRun, meshctl, ns, ping, ROOT, useLab, withGhostNode } from "./helpers/cli.js";
import { withoutCarrier } from "./helpers/foreign.js";

// A mixed fleet (#11): cluster 1 runs iproute2 4.11 (no -json), cluster 2 4.15 (-json for link/addr only), cluster 3 6.1.
const lab = useLab("engine", {
  clusters: 3,
  nodesPerCluster: 2,
  kubeApi: true,
  os: ["centos7", "ubuntu1804", "debian12"],
});
const byName = (run: CliRun, name: string) => run.json.nodes.find((n) => n.name === name);
const node = (name: string) => lab.node(name);

describe("apply, diff, teardown on a 3 x 2 lab", () => {
  it("diff on fresh nodes shows every change and exits 2, touching nothing", () => {
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code).toBe(2);
    for (const n of d.json.nodes) {
      expect(n.status).toBe("ok");
      expect(n.commandsSent).toBe(0);
      // device + 5 fdb + 5 neighbours + 4 routes (2 other clusters x 2 nodes x 1 block), then the boot
      // persistence: 3 replay files, the unit and its enablement link
      expect(n.changes).toHaveLength(20);
    }
    expect(ns(node("c1-node1").namespace, "ip link show mshvx0").code).not.toBe(0);
  });

  it("apply converges every node; every pod then reaches every pod of the other clusters", () => {
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(0);
    for (const n of a.json.nodes) expect([n.name, n.status, n.changed]).toEqual([n.name, "changed", 20]);
    for (const from of lab.info.nodes) {
      for (const to of lab.info.nodes) {
        if (to.cluster === from.cluster) continue;
        expect(ping(from.podNamespace, to.podIp), `${from.name} pod → ${to.name} pod ${to.podIp}`).toBe(true);
      }
    }
  });

  it("apply again changes nothing and sends no mutating command", () => {
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(0);
    for (const n of a.json.nodes) {
      expect(n.status).toBe("ok");
      expect(n.changed).toBe(0);
      expect(n.commandsSent).toBe(0);
    }
  });

  it("diff shows hand-made drift exactly, exits 2, and apply repairs it", () => {
    const n1 = node("c1-node1").namespace;
    const c2n1 = node("c2-node1");
    expect(ns(n1, `ip route del ${c2n1.podBlocks[0]}`).code).toBe(0);
    expect(ns(n1, "bridge fdb del 02:6d:c6:12:01:0e dev mshvx0 dst 198.18.0.14 self").code).toBe(0);
    expect(ns(n1, "ip route add 198.18.99.0/24 dev mshvx0 proto 77").code).toBe(0);
    expect(ns(node("c1-node2").namespace, "ip link set dev mshvx0 address 02:11:22:33:44:55").code).toBe(0);
    expect(ns(node("c3-node2").namespace, "ip link del mshvx0").code).toBe(0);

    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code).toBe(2);
    const keys = (name: string) => byName(d, name)?.changes.map((c) => `${c.action} ${c.resource} ${c.key}`);
    expect(keys("c1-node1")).toEqual([
      "delete route 198.18.99.0/24",
      "create fdb 02:6d:c6:12:01:0e (c2-node2)",
      `create route ${c2n1.podBlocks[0]} (c2-node1)`,
    ]);
    // A MAC change makes the kernel flush the device's neighbours: they show as missing too.
    expect(keys("c1-node2")?.[0]).toBe("update mac mshvx0");
    expect(
      keys("c1-node2")
        ?.slice(1)
        .every((k) => k.startsWith("create neighbour")),
    ).toBe(true);
    expect(keys("c3-node2")).toHaveLength(15);
    expect(keys("c3-node2")?.[0]).toBe("create device mshvx0");
    for (const name of ["c2-node1", "c2-node2", "c3-node1"]) expect(keys(name)).toEqual([]);

    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(0);
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
    expect(ns(n1, "ip route show 198.18.99.0/24").out.trim()).toBe("");
    expect(ping(node("c1-node1").podNamespace, c2n1.podIp)).toBe(true);
  });

  it("a failure part-way on one node puts that node back as it was; the others converge", () => {
    const victim = node("c1-node2");
    const blocker = node("c3-node2").podBlocks[0] as string;
    // Links, every route and the permanent neighbours: what a run could change (dynamic ARP entries on
    // eth0 change state by themselves and are left out).
    const state = () =>
      withoutCarrier(
        ns(victim.namespace, "ip -d link show; ip route show table all; ip neigh show nud permanent").out,
      );
    // The node loses its device; a link-scope route nobody told meshctl about sits on a block meshctl
    // needs, so `ip route add` fails after the device, FDB and neighbours went in.
    expect(ns(victim.namespace, "ip link del mshvx0").code).toBe(0);
    expect(ns(victim.namespace, `ip route add ${blocker} dev eth0`).code).toBe(0);
    try {
      const before = state();
      ns(node("c2-node2").namespace, `ip route del ${node("c1-node1").podBlocks[0]}`);
      const a = meshctl("apply", "-i", lab.info.inventory);
      expect(a.code).toBe(1);
      const v = byName(a, "c1-node2");
      expect(v?.status).toBe("failed");
      expect(v?.error).toMatch(/ip route add .* proto 77 onlink: RTNETLINK answers: File exists/);
      expect(v?.rollback?.restored).toBe(true);
      expect(state()).toBe(before);
      expect(byName(a, "c2-node2")?.status).toBe("changed");
    } finally {
      ns(victim.namespace, `ip route del ${blocker} dev eth0`);
    }
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
  });

  it("--atomic undoes every node's changes of the run when one node fails", () => {
    const victim = node("c2-node2");
    const blocker = node("c1-node1").podBlocks[0] as string;
    expect(ns(victim.namespace, "ip link del mshvx0").code).toBe(0);
    expect(ns(victim.namespace, `ip route add ${blocker} dev eth0`).code).toBe(0);
    const other = node("c3-node1").namespace;
    expect(ns(other, `ip route del ${node("c2-node1").podBlocks[0]}`).code).toBe(0);
    try {
      const otherBefore = ns(other, "ip route show").out;
      const a = meshctl("apply", "-i", lab.info.inventory, "--atomic");
      expect(a.code).toBe(1);
      expect(byName(a, "c2-node2")?.status).toBe("failed");
      expect(byName(a, "c3-node1")?.status).toBe("rolled-back");
      expect(byName(a, "c3-node1")?.rollback?.restored).toBe(true);
      expect(ns(other, "ip route show").out).toBe(otherBefore);
    } finally {
      ns(victim.namespace, `ip route del ${blocker} dev eth0`);
    }
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
  });

  it("an unreachable node is reported as such; the others converge (exit 4)", () => {
    const ghostInv = withGhostNode(lab.info.inventory, lab.dir);
    const a = meshctl("apply", "-i", ghostInv);
    expect(a.code).toBe(4);
    const ghost = byName(a, "c3-ghost");
    expect(ghost?.status).toBe("unreachable");
    expect(ghost?.error).toMatch(/c3-ghost: cannot connect to 198\.18\.0\.250:22/);
    for (const n of a.json.nodes.filter((x) => x.name !== "c3-ghost")) expect(n.status).toBe("changed");
    // Back to the plain inventory: the ghost's entries are pruned as stale.
    const back = meshctl("apply", "-i", lab.info.inventory);
    expect(back.code).toBe(0);
    // Its FDB, neighbour and route entries, and the replay files that held them.
    expect(byName(back, "c1-node1")?.changes.map((c) => `${c.action} ${c.resource}`)).toEqual([
      "delete route",
      "delete neighbour",
      "delete fdb",
      "update persist",
      "update persist",
    ]);
  });

  it("an underlay IP that no interface of the node holds stops that node before any change", () => {
    const text = readFileSync(lab.info.inventory, "utf8").replace(
      "host: 198.18.0.12\n",
      "host: 198.18.0.12\n        underlay_ip: 198.18.0.99\n",
    );
    const wrong = join(lab.dir, "wrong-underlay.yaml");
    writeFileSync(wrong, text);
    const a = meshctl("apply", "-i", wrong, "--limit", "c1-node2");
    expect(a.code).toBe(1);
    expect(byName(a, "c1-node2")?.error).toMatch(
      /no interface on this node holds the underlay IP 198\.18\.0\.99/,
    );
    expect(byName(a, "c1-node2")?.commandsSent).toBe(0);
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
  });

  it("--max-fail 0: one unreachable node means nothing is applied anywhere", () => {
    const n1 = node("c1-node1").namespace;
    const block = node("c2-node2").podBlocks[0] as string;
    expect(ns(n1, `ip route del ${block}`).code).toBe(0);
    const ghostInv = withGhostNode(lab.info.inventory, lab.dir);
    const a = meshctl("apply", "-i", ghostInv, "--max-fail", "0");
    expect(a.code).toBe(4);
    const c1 = byName(a, "c1-node1");
    expect(c1?.error).toMatch(/^not applied: 1 target\(s\) failed before applying$/);
    expect(c1?.commandsSent).toBe(0);
    expect(ns(n1, `ip route show ${block}`).out.trim()).toBe("");
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
  });

  it("a non-root user with sudo (become) sees the mesh in sync", () => {
    const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
    doc.setIn(["mesh", "ssh", "user"], lab.info.sudoUser);
    const sudoInv = join(lab.dir, "sudo.yaml");
    writeFileSync(sudoInv, doc.toString());
    const d = meshctl("diff", "-i", sudoInv);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(ns(node("c1-node1").namespace, `ip route del ${node("c2-node2").podBlocks[0]}`).code).toBe(0);
    const a = meshctl("apply", "-i", sudoInv);
    expect(a.code).toBe(0);
    expect(byName(a, "c1-node1")?.changed).toBe(1);
  });

  it("a playbook's site step gets the node's values, is idempotent, and a failing one rolls its node back", () => {
    const steps = (site: string) => `name: site-test
steps:
  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
${site}
  - { name: stale entries, hosts: nodes, builtin: stale-entries }
  - { name: fdb, hosts: nodes, builtin: fdb }
  - { name: neighbours and routes, hosts: nodes, builtin: neighbours-routes }
`;
    const loose = join(lab.dir, "site.yaml");
    writeFileSync(
      loose,
      steps(`  - name: loose rp_filter
    hosts: nodes
    shell:
      check: '[ "$(cat /proc/sys/net/ipv4/conf/$MESHCTL_DEVICE/rp_filter)" = 2 ]'
      apply: sysctl -qw "net.ipv4.conf.$MESHCTL_DEVICE.rp_filter=2"
      undo: sysctl -qw "net.ipv4.conf.$MESHCTL_DEVICE.rp_filter=0"`),
    );
    const a = meshctl("apply", "-i", lab.info.inventory, "--playbook", loose);
    expect(a.code).toBe(0);
    for (const n of a.json.nodes) {
      expect(n.changes.map((c) => `${c.action} ${c.resource} ${c.key}`)).toEqual([
        "create shell loose rp_filter",
      ]);
      expect(ns(node(n.name).namespace, "cat /proc/sys/net/ipv4/conf/mshvx0/rp_filter").out.trim()).toBe("2");
    }
    expect(
      meshctl("apply", "-i", lab.info.inventory, "--playbook", loose).json.nodes.every(
        (n) => n.changed === 0,
      ),
    ).toBe(true);

    const boom = join(lab.dir, "boom.yaml");
    writeFileSync(
      boom,
      steps(`  - name: boom
    hosts: nodes
    shell:
      check: '[ "$MESHCTL_NODE" != c1-node1 ]'
      apply: 'echo "refusing on $MESHCTL_NODE ($MESHCTL_OVERLAY_IP)"; exit 1'
      undo: "true"`),
    );
    const victim = node("c1-node1").namespace;
    expect(ns(victim, "ip link del mshvx0").code).toBe(0);
    const b = meshctl("apply", "-i", lab.info.inventory, "--playbook", boom);
    expect(b.code).toBe(1);
    const v = byName(b, "c1-node1");
    expect(v?.error).toMatch(/sh \(boom: apply\): refusing on c1-node1 \(198\.18\.1\.11\)/);
    expect(v?.rollback?.restored).toBe(true);
    expect(ns(victim, "ip link show mshvx0").code).not.toBe(0);
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
  });

  it("a controller killed mid-apply: every node undoes the change set it had received by itself", async () => {
    expect(meshctl("teardown", "-i", lab.info.inventory).code).toBe(0);
    // A site step that takes a while keeps every change set in flight when the controller is killed.
    const slow = join(lab.dir, "slow.yaml");
    writeFileSync(
      slow,
      `name: slow
steps:
  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
  - { name: fdb, hosts: nodes, builtin: fdb }
  - { name: neighbours and routes, hosts: nodes, builtin: neighbours-routes }
  - name: slow site step
    hosts: nodes
    shell: { check: "false", apply: "sleep 4", undo: "true" }
`,
    );
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "bin", "meshctl.js"),
        "apply",
        "-i",
        lab.info.inventory,
        "--playbook",
        slow,
        "--output",
        "json",
      ],
      {
        stdio: "ignore",
      },
    );
    const n1 = node("c1-node1").namespace;
    const deadline = Date.now() + 15_000;
    while (ns(n1, "ip route show proto 77").out.trim() === "" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ns(n1, "ip route show proto 77").out.trim()).not.toBe("");
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    // The drivers finish the site step, find no commit, and replay their journals.
    const gone = () => lab.info.nodes.every((n) => ns(n.namespace, "ip link show mshvx0").code !== 0);
    while (!gone() && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 250));
    for (const n of lab.info.nodes) {
      expect(ns(n.namespace, "ip link show mshvx0").code, n.name).not.toBe(0);
      expect(ns(n.namespace, "ip route show table all proto 77").out.trim(), n.name).toBe("");
    }
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
  }, 60_000);

  // A route with meshctl's protocol id off its device is not provably meshctl's: ownership.test.ts shows it
  // is refused, never deleted (#10.3).
  it("teardown removes meshctl's device and routes only; pods no longer reach across; twice is a no-op", () => {
    const n1 = node("c1-node1").namespace;
    expect(ns(n1, "ip route add 198.18.200.0/24 dev eth0 proto static").code).toBe(0);
    const t = meshctl("teardown", "-i", lab.info.inventory);
    expect(t.code).toBe(0);
    for (const n of lab.info.nodes) {
      expect(ns(n.namespace, "ip link show mshvx0").code, n.name).not.toBe(0);
      expect(ns(n.namespace, "ip route show table all proto 77").out.trim(), n.name).toBe("");
    }
    expect(ns(n1, "ip route show 198.18.200.0/24").out).toMatch(/proto static/);
    expect(ping(node("c1-node1").podNamespace, node("c2-node1").podIp)).toBe(false);
    const again = meshctl("teardown", "-i", lab.info.inventory);
    expect(again.code).toBe(0);
    for (const n of again.json.nodes) expect([n.changed, n.commandsSent]).toEqual([0, 0]);
  });
});
