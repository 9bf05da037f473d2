/**
 * Overlay IP and MAC allocation. Deterministic and local to each node, so adding or removing a node
 * never renumbers another:
 *  - overlay IP = overlay network + the underlay IP's host bits (the seed's convention:
 *    192.168.0.21 in 179.17.1.0/24 → 179.17.1.21);
 *  - MAC = 02:6d (locally administered, unicast) + the four octets of the overlay IP.
 * A collision is an error that says what to pin. Pure.
 */
import {
  type Cidr,
  cidrBounds,
  cidrContainsIp,
  cidrPrefix,
  type Ipv4,
  intToIp,
  ipToInt,
  type Mac,
} from "../net/addr.js";
import type { PathIssue } from "./validate.js";

export interface AllocationInput {
  path: (string | number)[];
  name: string;
  underlayIp: Ipv4;
  overlayIp?: Ipv4;
  mac?: Mac;
}

export interface Allocation {
  overlayIp: Ipv4;
  mac: Mac;
}

export function overlayIpFor(overlay: Cidr, underlayIp: Ipv4): Ipv4 {
  const [lo] = cidrBounds(overlay);
  const hostBits = 32 - cidrPrefix(overlay);
  const mask = hostBits === 32 ? 0xffffffff : (1 << hostBits) - 1;
  return intToIp(lo + ((ipToInt(underlayIp) & mask) >>> 0));
}

export function macFor(overlayIp: Ipv4): Mac {
  const octets = overlayIp.split(".").map((o) => Number(o).toString(16).padStart(2, "0"));
  return `02:6d:${octets.join(":")}` as Mac;
}

export function allocate(
  overlay: Cidr,
  nodes: AllocationInput[],
): { allocations: Allocation[]; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const [lo, hi] = cidrBounds(overlay);
  const allocations = nodes.map((n): Allocation => {
    const overlayIp = n.overlayIp ?? overlayIpFor(overlay, n.underlayIp);
    const where = [...n.path, "overlay_ip"];
    const pinned = n.overlayIp !== undefined;
    const hint = pinned
      ? ""
      : ` (allocated from underlay ${n.underlayIp}; pin overlay_ip for node ${n.name})`;
    if (!cidrContainsIp(overlay, overlayIp)) {
      issues.push({
        path: where,
        message: `overlay IP ${overlayIp} is outside the overlay subnet ${overlay}`,
      });
    } else if (cidrPrefix(overlay) < 31 && (ipToInt(overlayIp) === lo || ipToInt(overlayIp) === hi)) {
      issues.push({
        path: pinned ? where : n.path,
        message: `overlay IP ${overlayIp} is the ${ipToInt(overlayIp) === lo ? "network" : "broadcast"} address of ${overlay}${hint}`,
      });
    }
    return { overlayIp, mac: n.mac ?? macFor(overlayIp) };
  });
  const byIp = new Map<string, number>();
  const byMac = new Map<string, number>();
  allocations.forEach((a, i) => {
    const n = nodes[i] as AllocationInput;
    const ipOwner = byIp.get(a.overlayIp);
    if (ipOwner !== undefined) {
      const other = nodes[ipOwner] as AllocationInput;
      const how = n.overlayIp ? "" : " (allocated from its underlay IP)";
      issues.push({
        path: n.overlayIp ? [...n.path, "overlay_ip"] : n.path,
        message: `overlay IP ${a.overlayIp} of node ${n.name}${how} collides with node ${other.name}'s: pin overlay_ip on one of them`,
      });
    } else byIp.set(a.overlayIp, i);
    const macOwner = byMac.get(a.mac);
    if (macOwner === undefined) byMac.set(a.mac, i);
    else {
      const other = nodes[macOwner] as AllocationInput;
      // Two derived MACs are equal only when the overlay IPs are, which is already reported (pin overlay_ip).
      if (n.mac !== undefined || other.mac !== undefined) {
        issues.push({
          path: n.mac ? [...n.path, "mac"] : n.path,
          message: `MAC ${a.mac} of node ${n.name} collides with node ${other.name}'s: pin mac on one of them`,
        });
      }
    }
  });
  return { allocations, issues };
}
