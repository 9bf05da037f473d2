/**
 * Lock-out refusal on a 2 x 1 lab (#10.1b): an inventory whose cluster2 pod block holds the controller's
 * address (198.18.0.1, the lab bridge) would give c1-node1 a route over its own SSH path back. apply refuses
 * c1-node1 before any change (it stays as it was, and reachable) and converges c2-node1; diff and diagnose
 * say why.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { CONTROLLER_IP } from "../../src/lab/plan.js";
import { type CliRun, meshctl, useLab } from "./helpers/cli.js";
import { onNode } from "./helpers/node-mounts.js";
import { writePlaybook } from "./helpers/playbooks.js";

const lab = useLab("lockout", { clusters: 2, nodesPerCluster: 1 });

/** The lab's inventory with cluster2's pod CIDR and c2-node1's block moved over the controller's address. */
function capturingInventory(): string {
  const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
  doc.setIn(["clusters", 1, "pod_cidr"], "198.18.0.0/29");
  doc.setIn(["clusters", 1, "nodes", 0, "pod_blocks"], doc.createNode(["198.18.0.0/30"]));
  doc.deleteIn(["clusters", 1, "test_endpoints"]);
  for (const ci of [0, 1]) doc.deleteIn(["clusters", ci, "kubeconfig"]);
  const path = join(lab.dir, "capturing.yaml");
  writeFileSync(path, doc.toString());
  return path;
}

const host = (r: CliRun, name: string) => r.json.nodes.find((n) => n.name === name);
const c1 = (cmd: string) => onNode(lab.dir, "c1-node1", cmd);
/**
 * What apply could change on the node: VXLAN devices, addresses, every route table, permanent neighbours.
 * Carrier state is left out (a busy node's cali veths settle on their own: NO-CARRIER, `linkdown`).
 */
const state = () =>
  c1(
    "ip -d link show type vxlan; ip -4 -o addr show | awk '{print $2, $4}'; ip route show table all | sed 's/ linkdown//'; ip neigh show nud permanent",
  ).out;
const REASON = new RegExp(
  `route 198\\.18\\.0\\.0/30 via \\S+ \\(c2-node1's pod block\\) would capture ${CONTROLLER_IP.replaceAll(".", "\\.")}, the address meshctl's SSH session comes from \\(now reached by 198\\.18\\.0\\.0/24 dev \\S+\\).*lock-out`,
);

describe("a route that would capture the controller's address", () => {
  it("refuses that node before any change; the other node converges; the refused node stays reachable", () => {
    const inv = capturingInventory();
    const pb = writePlaybook(lab.dir, "nodes-only");
    const before = state();

    const d = meshctl("diff", "-i", inv, "--playbook", pb);
    expect(host(d, "c1-node1")?.status, d.stderr).toBe("failed");
    expect(host(d, "c1-node1")?.error).toMatch(REASON);

    const a = meshctl("apply", "-i", inv, "--playbook", pb);
    expect(a.code, a.stderr).toBe(1);
    expect(host(a, "c1-node1")?.status).toBe("failed");
    expect(host(a, "c1-node1")?.error).toMatch(REASON);
    expect(host(a, "c1-node1")?.commandsSent).toBe(0);
    expect(host(a, "c2-node1")?.status).toBe("changed");
    expect(state()).toBe(before);
    expect(c1("ip link show mshvx0").code).not.toBe(0);

    // Still reachable over SSH: a new session reads its facts, and diagnose says why it is refused.
    const again = meshctl("diff", "-i", inv, "--playbook", pb, "--limit", "c1-node1");
    expect(host(again, "c1-node1")?.error).toMatch(REASON);
    const g = meshctl("diagnose", "-i", inv, "--limit", "c1-node1");
    const findings = (
      g.json as unknown as { findings: { node?: string; check: string; ok: boolean; finding: string }[] }
    ).findings;
    const lockout = findings.filter((f) => f.node === "c1-node1" && f.check === "lock-out");
    expect(lockout.map((f) => f.ok)).toEqual([false]);
    expect(lockout[0]?.finding).toMatch(REASON);
  }, 120_000);
});
