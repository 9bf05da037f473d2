/**
 * `lab up --bastion`: fence the last cluster so the controller reaches its nodes only through a bastion
 * (the first node of the first cluster), as production nodes behind a jump host. Each fenced node's
 * namespace rejects SSH from the controller's address (an iptables rule in that namespace, gone with it on
 * `lab down`); the bastion, on the same bridge, still reaches them. Pod and VXLAN traffic is untouched.
 * The lab writes `<dir>/ssh_config` with the ProxyJump, for `meshctl -F <dir>/ssh_config`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "./errors.js";
import { CONTROLLER_IP, type LabPlan, SSH_PORT } from "./plan.js";
import type { BastionInfo, LabInfo } from "./state.js";
import { run, which } from "./sys.js";

/** Which cluster to fence and through which node (pure). */
export function bastionPlan(plan: LabPlan): {
  bastion: { name: string; ip: string };
  fenced: { name: string; nodes: { name: string; namespace: string; ip: string }[] };
} {
  const first = plan.clusters[0]?.nodes[0];
  const fenced = plan.clusters[plan.clusters.length - 1];
  if (!first || !fenced || plan.clusters.length < 2) {
    throw new LabError("--bastion needs at least 2 clusters: one to hold the bastion, one to fence");
  }
  return {
    bastion: { name: first.name, ip: first.underlayIp },
    fenced: {
      name: fenced.name,
      nodes: fenced.nodes.map((n) => ({ name: n.name, namespace: n.namespace, ip: n.underlayIp })),
    },
  };
}

/** Apply the fence (after the sshds are up) and write the ssh_config. */
export async function fenceBehindBastion(plan: LabPlan, info: LabInfo): Promise<BastionInfo> {
  const p = bastionPlan(plan);
  if (!which("iptables"))
    throw new LabError("iptables not found (needed for --bastion): apt-get install iptables");
  for (const n of p.fenced.nodes) {
    await run("ip", [
      "netns",
      "exec",
      n.namespace,
      "iptables",
      "-w",
      "-I",
      "INPUT",
      "-p",
      "tcp",
      "-s",
      CONTROLLER_IP,
      "--dport",
      String(SSH_PORT),
      "-j",
      "REJECT",
      "--reject-with",
      "tcp-reset",
    ]);
  }
  const sshConfig = join(info.dir, "ssh_config");
  writeFileSync(
    sshConfig,
    [
      `# meshctl lab: cluster ${p.fenced.name} is reachable only through ${p.bastion.name} (${p.bastion.ip})`,
      `Host ${p.fenced.nodes.map((n) => n.ip).join(" ")}`,
      `  ProxyJump root@${p.bastion.ip}`,
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  return {
    node: p.bastion.name,
    ip: p.bastion.ip,
    cluster: p.fenced.name,
    fencedNodes: p.fenced.nodes.map((n) => n.name),
    sshConfig,
  };
}
