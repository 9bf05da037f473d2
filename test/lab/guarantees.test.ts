/**
 * README guarantees the other lab files do not pin down: `--max-fail N` applies when exactly N targets
 * failed (more than N blocks), and after a successful batch the read-back is diffed again, so a change that
 * did not stick (here: a site step rewriting the device's MAC after meshctl set it, as udev can) fails the
 * node. Node steps only (no IPPools), so the lab needs no Kubernetes API.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { meshctl, ns, useLab, withGhostNode } from "./helpers/cli.js";

const lab = useLab("guarantees", { clusters: 3, nodesPerCluster: 1, kubeApi: false });

const NODE_STEPS = `name: nodes-only
steps:
  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
  - { name: stale entries, hosts: nodes, builtin: stale-entries }
  - { name: fdb, hosts: nodes, builtin: fdb }
  - { name: neighbours and routes, hosts: nodes, builtin: neighbours-routes }
`;
const playbook = (name: string, text: string) => {
  const p = join(lab.dir, name);
  writeFileSync(p, text);
  return p;
};

describe("guarantees on a 3 x 1 lab", () => {
  it("--max-fail 1: one unreachable node is within the limit, so every other node applies (exit 4)", () => {
    const pb = playbook("nodes.yaml", NODE_STEPS);
    const ghost = withGhostNode(lab.info.inventory, lab.dir);
    const a = meshctl("apply", "-i", ghost, "--playbook", pb, "--max-fail", "1");
    expect(a.code).toBe(4);
    expect(a.json.nodes.map((n) => `${n.name} ${n.status}`).sort()).toEqual([
      "c1-node1 changed",
      "c2-node1 changed",
      "c3-ghost unreachable",
      "c3-node1 changed",
    ]);
    expect(ns(lab.node("c1-node1").namespace, "ip -br link show mshvx0").code).toBe(0);
    const real = "c1-node1,c2-node1,c3-node1";
    expect(meshctl("diff", "-i", ghost, "--playbook", pb, "--limit", real).code).toBe(0);
    // Back to the lab's own inventory (without the ghost's entries) for the next test.
    expect(meshctl("apply", "-i", lab.info.inventory, "--playbook", pb).code).toBe(0);
  });

  it("a change set that succeeded but did not stick fails its node: the read-back is diffed again", () => {
    const pb = playbook(
      "rewrite-mac.yaml",
      `${NODE_STEPS}  - name: rewrite mac
    hosts: nodes
    shell:
      check: "false"
      apply: ip link set dev "$MESHCTL_DEVICE" address 02:00:00:00:00:42
      undo: "true"
`,
    );
    const a = meshctl("apply", "-i", lab.info.inventory, "--playbook", pb);
    expect(a.code).toBe(1);
    for (const n of a.json.nodes) {
      expect(n.status).toBe("failed");
      // (the kernel also re-resolves the neighbours when the MAC changes: they are listed after it)
      expect(n.error).toMatch(/^applied, but the read-back still differs: mac mshvx0(, |$)/);
    }
    expect(ns(lab.node("c2-node1").namespace, "cat /sys/class/net/mshvx0/address").out.trim()).toBe(
      "02:00:00:00:00:42",
    );
    // The plain playbook puts the MAC back.
    const plain = playbook("nodes.yaml", NODE_STEPS);
    const fix = meshctl("apply", "-i", lab.info.inventory, "--playbook", plain);
    expect(fix.code).toBe(0);
    for (const n of fix.json.nodes) expect(n.changes[0]).toMatchObject({ action: "update", resource: "mac" });
    expect(meshctl("diff", "-i", lab.info.inventory, "--playbook", plain).code).toBe(0);
  });
});
