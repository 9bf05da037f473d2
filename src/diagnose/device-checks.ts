/**
 * Diagnose checks of meshctl's device, read from the plan's own rules (src/plan/ownership.ts and
 * device-diff.ts): whether the device is meshctl's, what `meshctl apply` would recreate or change on it.
 * Only what the diff cannot see is judged here: the underlay, a default destination, the MTU's bounds.
 */
import type { NodeFacts } from "../facts/types.js";
import type { ResolvedNode } from "../model/paths.js";
import type { NodeModel } from "../model/types.js";
import type { Change } from "../plan/change.js";
import type { VxlanParams } from "../plan/commands.js";
import { PlanConflict } from "../plan/conflict.js";
import { diffDeviceAttributes, type FactsDevice, resolveDeviceParams } from "../plan/device-diff.js";
import { resolveNode } from "../plan/node-diff.js";
import {
  type DeviceDriftItem,
  deviceDriftItems,
  deviceOwnership,
  VXLAN_OVERHEAD,
  wantedMtu,
} from "../plan/ownership.js";
import { applyCmd, type CheckContext, finding } from "./finding.js";
import type { Finding } from "./types.js";

const DRIFT_LABEL: Record<DeviceDriftItem["attribute"], string> = {
  vni: "VNI",
  port: "UDP port",
  local: "local IP",
  dev: "underlay device",
  learning: "MAC learning",
};

const driftText = (d: DeviceDriftItem): string =>
  d.attribute === "learning"
    ? "MAC learning on (meshctl: nolearning)"
    : `${DRIFT_LABEL[d.attribute]} ${d.have} (inventory: ${d.want})`;

/** The device: meshctl's, of the inventory's VNI / port / local IP / underlay, its MAC, up, addressed. */
export function checkDevice(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const name = node.device.name;
  const apply = applyCmd(ctx, node.name);
  const desired = resolvedOrUndefined(node, facts);
  if (desired === undefined) return []; // refused: the entries check gives the diff's reason
  const want = resolveDeviceParams(desired, facts);
  const own = deviceOwnership(want, facts);
  if (!desired.tunnel) return noTunnelFindings(node, own.state !== "absent", apply);
  if (own.state === "absent") {
    const text = `the VXLAN device ${name} does not exist: nothing of the mesh reaches this node`;
    return [finding(node, "device", "error", false, text, apply)];
  }
  if (own.state === "foreign") {
    const fix = `remove ${name} if it is stale (ip link del ${name}), or set mesh.device to another name (inventory); then ${apply}`;
    return [finding(node, "device", "error", false, own.why, fix)];
  }
  const drift = deviceDriftItems(want, own.device);
  return [
    drift.length > 0
      ? finding(
          node,
          "device",
          "error",
          false,
          `${name} has ${drift.map(driftText).join(", ")}: peers encapsulate with the inventory's values, so their packets are not delivered to this device`,
          `${apply} (recreates the device: VNI, port and local IP are fixed at creation)`,
        )
      : finding(
          node,
          "device",
          "error",
          true,
          `${name} is VXLAN ${want.vni}, port ${want.port}, local ${want.localIp}`,
        ),
    ...attributeFindings(desired, want, own.device, apply),
    ...remoteFindings(node, own.device, apply),
  ];
}

/** The node's paths chosen from its facts, or undefined when the diff refuses the node. */
export function resolvedOrUndefined(node: NodeModel, facts: NodeFacts): ResolvedNode | undefined {
  try {
    return resolveNode(node, facts);
  } catch (e) {
    if (e instanceof PlanConflict) return undefined;
    throw e;
  }
}

/** Every peer is reached directly: no device is wanted, and one of meshctl's is deleted by the next apply. */
function noTunnelFindings(node: NodeModel, present: boolean, apply: string): Finding[] {
  const name = node.device.name;
  return [
    present
      ? finding(
          node,
          "device",
          "warning",
          false,
          `${name} is no longer used (every peer is reached directly on the underlay)`,
          `${apply} (deletes it)`,
        )
      : finding(node, "device", "error", true, `no VXLAN device needed: every peer is reached directly`),
  ];
}

/** MAC, link state and addresses, as the diff would change them (the MTU has its own check). */
function attributeFindings(node: NodeModel, want: VxlanParams, dev: FactsDevice, apply: string): Finding[] {
  const name = node.device.name;
  const changes = diffDeviceAttributes(node, want, dev);
  const of = (resource: Change["resource"], action?: Change["action"]) =>
    changes.filter((c) => c.resource === resource && (action === undefined || c.action === action));
  const mac = of("mac")[0];
  const addr = `${node.device.address}/${node.device.prefixLen}`;
  const extra = of("address", "delete").map((c) => c.key);
  return [
    mac
      ? finding(
          node,
          "mac",
          "error",
          false,
          `${name} has MAC ${mac.before}, the inventory says ${mac.after}: peers address this node by ${mac.after}, so its traffic is dropped. systemd-udev (MACAddressPolicy=persistent) may have rewritten the MAC after meshctl created the device`,
          `printf '[Match]\\nOriginalName=${name}\\n\\n[Link]\\nMACAddressPolicy=none\\n' > /etc/systemd/network/10-${name}.link; then ${apply}`,
        )
      : finding(node, "mac", "error", true, `${name} has the inventory's MAC ${want.mac}`),
    of("link-state").length > 0
      ? finding(
          node,
          "device-up",
          "error",
          false,
          `${name} is down: it sends and receives nothing`,
          `ip link set dev ${name} up`,
        )
      : finding(node, "device-up", "error", true, `${name} is up`),
    of("address", "create").length > 0
      ? finding(
          node,
          "overlay-address",
          "error",
          false,
          `${name} lacks its overlay address ${addr}: peers' routes point at it`,
          apply,
        )
      : finding(node, "overlay-address", "error", true, `${name} holds ${addr}`),
    ...(extra.length > 0
      ? [
          finding(
            node,
            "overlay-address",
            "warning",
            false,
            `${name} also holds ${extra.join(", ")}, which the inventory does not give it`,
            `${apply} (deletes them)`,
          ),
        ]
      : []),
  ];
}

/** A default destination floods unknown MACs somewhere (the diff does not look at it). */
function remoteFindings(node: NodeModel, dev: FactsDevice, apply: string): Finding[] {
  if (dev.remote === undefined && dev.group === undefined) return [];
  const where = dev.remote ? `remote ${dev.remote}` : `group ${dev.group}`;
  return [
    finding(
      node,
      "device-remote",
      "warning",
      false,
      `${node.device.name} has a default destination (${where}): unknown MACs are flooded there`,
      `${apply} (recreates the device without one)`,
    ),
  ];
}

/** The underlay address is held by an interface of the node. */
export function checkUnderlay(node: NodeModel, facts: NodeFacts): Finding[] {
  const ip = node.device.localIp;
  return [
    facts.underlay
      ? finding(node, "underlay", "error", true, `${facts.underlay.name} holds the underlay address ${ip}`)
      : finding(
          node,
          "underlay",
          "error",
          false,
          `no interface holds the underlay address ${ip}: the tunnel has no source`,
          `inventory: set underlay_ip of ${node.name} to an address the node holds (ip -4 addr show)`,
        ),
  ];
}

/** Device MTU ≤ underlay MTU − 50 (VXLAN over IPv4), and as the inventory wants. */
export function checkMtu(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const dev = facts.device;
  const under = facts.underlay;
  if (dev?.kind !== "vxlan" || under === undefined) return [];
  const max = under.mtu - VXLAN_OVERHEAD;
  const want = wantedMtu(node, facts) ?? max;
  const apply = applyCmd(ctx, node.name);
  if (dev.mtu > max) {
    const fix =
      want > max
        ? `inventory: set mesh.mtu to auto (or at most ${max}), then ${apply}`
        : `ip link set dev ${dev.name} mtu ${max} (or ${apply})`;
    const text = `${dev.name} MTU ${dev.mtu} is more than the underlay ${under.name}'s ${under.mtu} − ${VXLAN_OVERHEAD} = ${max}: full-size packets are dropped after encapsulation (a black hole for large transfers)`;
    return [finding(node, "mtu", "error", false, text, fix)];
  }
  if (want <= max && dev.mtu !== want) {
    const text = `${dev.name} MTU ${dev.mtu} differs from the inventory's ${node.device.mtu === "auto" ? `auto (${max})` : want}`;
    return [
      finding(node, "mtu", "warning", false, text, `ip link set dev ${dev.name} mtu ${want} (or ${apply})`),
    ];
  }
  const text = `${dev.name} MTU ${dev.mtu} fits the underlay ${under.name} (${under.mtu})`;
  return [finding(node, "mtu", "error", true, text)];
}
