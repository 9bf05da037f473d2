/** A playbook's shell (site) steps as changes: the node's values go to the scripts as environment. Pure. */
import type { NodeModel } from "../model/types.js";
import type { ShellStep } from "../playbook/schema.js";
import type { Change } from "./change.js";
import type { ShellCmd } from "./commands.js";

/** What a site script sees of its node. Every value is a typed value of the model. */
export function siteEnv(n: NodeModel): Record<string, string> {
  return {
    MESHCTL_NODE: n.name,
    MESHCTL_CLUSTER: n.cluster,
    MESHCTL_DEVICE: n.device.name,
    MESHCTL_VNI: String(n.device.vni),
    MESHCTL_PORT: String(n.device.port),
    MESHCTL_LOCAL_IP: n.device.localIp,
    MESHCTL_OVERLAY_IP: n.device.address,
    MESHCTL_OVERLAY_PREFIX: String(n.device.prefixLen),
    MESHCTL_MAC: n.device.mac,
    MESHCTL_ROUTE_PROTOCOL: String(n.routeProtocol),
  };
}

const sh = (n: NodeModel, step: ShellStep, which: "check" | "apply" | "undo"): ShellCmd => ({
  tool: "sh",
  label: `${step.name}: ${which}`,
  script: step.shell[which],
  env: siteEnv(n),
  timeoutSec: step.timeout,
});

export const siteCheck = (n: NodeModel, step: ShellStep): ShellCmd => sh(n, step, "check");

/**
 * The change a shell step needs, given its check's exit code: `present` runs apply where the check
 * fails; `absent` (teardown) runs undo where the check passes. Each carries the other as its inverse.
 */
export function siteChange(n: NodeModel, step: ShellStep, checkCode: number): Change | undefined {
  const present = step.state === "present";
  if (present === (checkCode === 0)) return undefined;
  return {
    resource: "shell",
    key: step.name,
    action: present ? "create" : "delete",
    ...(present ? { after: "applied" } : { before: "applied" }),
    phase: "site",
    forward: [sh(n, step, present ? "apply" : "undo")],
    inverse: [sh(n, step, present ? "undo" : "apply")],
  };
}
