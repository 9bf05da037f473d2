/** Diagnose checks of meshctl's own objects: the VXLAN device, its underlay, its entries and its MTU. */
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { applyCmd, type CheckContext, finding } from "./finding.js";
import type { Finding } from "./types.js";

export const VXLAN_OVERHEAD = 50;

/** Device present, of kind vxlan, with the inventory's VNI / port / local IP / underlay / MAC, up, addressed. */
export function checkDevice(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const want = node.device;
  const dev = facts.device;
  const apply = applyCmd(ctx, node.name);
  if (dev === undefined) {
    return [
      finding(
        node,
        "device",
        "error",
        false,
        `the VXLAN device ${want.name} does not exist: nothing of the mesh reaches this node`,
        apply,
      ),
    ];
  }
  if (dev.kind !== "vxlan") {
    return [
      finding(
        node,
        "device",
        "error",
        false,
        `${want.name} is a ${dev.kind} device, not VXLAN: something else holds the mesh device's name`,
        `rename the mesh device (inventory: mesh.device), or remove the foreign one if it is stale (ip link del ${want.name}); then ${apply}`,
      ),
    ];
  }
  const out: Finding[] = [];
  const drift: string[] = [];
  if (dev.vni !== want.vni) drift.push(`VNI ${dev.vni ?? "?"} (inventory: ${want.vni})`);
  if (dev.port !== want.port) drift.push(`UDP port ${dev.port ?? "?"} (inventory: ${want.port})`);
  if (dev.localIp !== want.localIp)
    drift.push(`local IP ${dev.localIp ?? "none"} (inventory: ${want.localIp})`);
  if (want.underlayDev !== undefined && dev.underlayDev !== want.underlayDev)
    drift.push(`underlay device ${dev.underlayDev ?? "none"} (inventory: ${want.underlayDev})`);
  out.push(
    drift.length > 0
      ? finding(
          node,
          "device",
          "error",
          false,
          `${want.name} has ${drift.join(", ")}: peers encapsulate with the inventory's values, so their packets are not delivered to this device`,
          `${apply} (recreates the device: VNI, port and local IP are fixed at creation)`,
        )
      : finding(
          node,
          "device",
          "error",
          true,
          `${want.name} is VXLAN ${want.vni}, port ${want.port}, local ${want.localIp}`,
        ),
  );
  out.push(
    dev.mac === want.mac
      ? finding(node, "mac", "error", true, `${want.name} has the inventory's MAC ${want.mac}`)
      : finding(
          node,
          "mac",
          "error",
          false,
          `${want.name} has MAC ${dev.mac}, the inventory says ${want.mac}: peers address this node by ${want.mac}, so its traffic is dropped. systemd-udev (MACAddressPolicy=persistent) may have rewritten the MAC after meshctl created the device`,
          `printf '[Match]\\nOriginalName=${want.name}\\n\\n[Link]\\nMACAddressPolicy=none\\n' > /etc/systemd/network/10-${want.name}.link; then ${apply}`,
        ),
  );
  out.push(
    dev.up
      ? finding(node, "device-up", "error", true, `${want.name} is up`)
      : finding(
          node,
          "device-up",
          "error",
          false,
          `${want.name} is down: it sends and receives nothing`,
          `ip link set dev ${want.name} up`,
        ),
  );
  const hasAddr = dev.addresses.some((a) => a.ip === want.address && a.prefixLen === want.prefixLen);
  out.push(
    hasAddr
      ? finding(
          node,
          "overlay-address",
          "error",
          true,
          `${want.name} holds ${want.address}/${want.prefixLen}`,
        )
      : finding(
          node,
          "overlay-address",
          "error",
          false,
          `${want.name} lacks its overlay address ${want.address}/${want.prefixLen}: peers' routes point at it`,
          apply,
        ),
  );
  if (dev.remote !== undefined || dev.group !== undefined) {
    out.push(
      finding(
        node,
        "device-remote",
        "warning",
        false,
        `${want.name} has a default destination (${dev.remote ? `remote ${dev.remote}` : `group ${dev.group}`}): unknown MACs are flooded there`,
        `${apply} (recreates the device without one)`,
      ),
    );
  }
  return out;
}

/** The underlay address is held by an interface of the node. */
export function checkUnderlay(node: NodeModel, facts: NodeFacts): Finding[] {
  return [
    facts.underlay
      ? finding(
          node,
          "underlay",
          "error",
          true,
          `${facts.underlay.name} holds the underlay address ${node.device.localIp}`,
        )
      : finding(
          node,
          "underlay",
          "error",
          false,
          `no interface holds the underlay address ${node.device.localIp}: the tunnel has no source`,
          `inventory: set underlay_ip of ${node.name} to an address the node holds (ip -4 addr show)`,
        ),
  ];
}

/** meshctl's FDB entries, neighbours and routes are all there (what `meshctl diff` would add). */
export function checkEntries(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  if (facts.device?.kind !== "vxlan") return [];
  const missing: string[] = [];
  for (const e of node.fdb) {
    if (!facts.fdb.some((f) => f.kind === "unicast" && f.mac === e.mac && f.dst === e.dst))
      missing.push(`FDB ${e.mac} → ${e.dst} (${e.peer})`);
  }
  for (const e of node.neighbours) {
    if (!facts.neighbours.some((n) => n.ip === e.ip && n.mac === e.mac && n.state.includes("PERMANENT")))
      missing.push(`neighbour ${e.ip} → ${e.mac} (${e.peer})`);
  }
  for (const r of node.routes) {
    if (!facts.routes.some((x) => x.table === "main" && x.dst === r.dst && x.via === r.via))
      missing.push(`route ${r.dst} via ${r.via} (${r.peer})`);
  }
  const total = node.fdb.length + node.neighbours.length + node.routes.length;
  return [
    missing.length === 0
      ? finding(
          node,
          "entries",
          "error",
          true,
          `all ${total} FDB entries, neighbours and routes are in place`,
        )
      : finding(
          node,
          "entries",
          "error",
          false,
          `${missing.length} of ${total} mesh entries missing or wrong: ${missing.slice(0, 5).join("; ")}${missing.length > 5 ? `; … (${missing.length - 5} more)` : ""}`,
          applyCmd(ctx, node.name),
        ),
  ];
}

/** Device MTU ≤ underlay MTU − 50 (VXLAN over IPv4), and as the inventory wants. */
export function checkMtu(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const dev = facts.device;
  const under = facts.underlay;
  if (dev?.kind !== "vxlan" || under === undefined) return [];
  const max = under.mtu - VXLAN_OVERHEAD;
  const want = node.device.mtu === "auto" ? max : node.device.mtu;
  if (dev.mtu > max) {
    const inv =
      node.device.mtu !== "auto" && node.device.mtu > max
        ? `inventory: set mesh.mtu to auto (or at most ${max}), then ${applyCmd(ctx, node.name)}`
        : `ip link set dev ${dev.name} mtu ${max} (or ${applyCmd(ctx, node.name)})`;
    return [
      finding(
        node,
        "mtu",
        "error",
        false,
        `${dev.name} MTU ${dev.mtu} is more than the underlay ${under.name}'s ${under.mtu} − ${VXLAN_OVERHEAD} = ${max}: full-size packets are dropped after encapsulation (a black hole for large transfers)`,
        inv,
      ),
    ];
  }
  if (want <= max && dev.mtu !== want) {
    return [
      finding(
        node,
        "mtu",
        "warning",
        false,
        `${dev.name} MTU ${dev.mtu} differs from the inventory's ${node.device.mtu === "auto" ? `auto (${max})` : want}`,
        `ip link set dev ${dev.name} mtu ${want} (or ${applyCmd(ctx, node.name)})`,
      ),
    ];
  }
  return [
    finding(
      node,
      "mtu",
      "error",
      true,
      `${dev.name} MTU ${dev.mtu} fits the underlay ${under.name} (${under.mtu})`,
    ),
  ];
}
