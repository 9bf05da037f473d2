/** Diagnose checks of the node's kernel settings: IPv4 forwarding and reverse-path filtering. */
import { effectiveRpFilter } from "../facts/query.js";
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { finding } from "./finding.js";
import type { Finding } from "./types.js";

export function checkForwarding(node: NodeModel, facts: NodeFacts): Finding[] {
  const v = facts.sysctl["net.ipv4.ip_forward"];
  if (v === undefined)
    return [
      finding(
        node,
        "ip-forward",
        "warning",
        false,
        "could not read net.ipv4.ip_forward",
        "sysctl net.ipv4.ip_forward",
      ),
    ];
  return [
    v === 1
      ? finding(node, "ip-forward", "error", true, "IPv4 forwarding is on")
      : finding(
          node,
          "ip-forward",
          "error",
          false,
          `IPv4 forwarding is off (net.ipv4.ip_forward = ${v}): the node does not route between its pods and the mesh`,
          "sysctl -w net.ipv4.ip_forward=1 (and persist it: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/90-meshctl.conf)",
        ),
  ];
}

/**
 * Effective rp_filter = max(conf.all, conf.<dev>) on the mesh device and the underlay. Strict (1) is what
 * CentOS 7 and Ubuntu 18.04 leave on every interface, and the mesh's traffic passes it: a packet from a remote
 * pod arrives on the device and meshctl's route back to that pod's block leaves by the device; a VXLAN packet
 * arrives on the underlay from a peer's underlay address, routed back by the underlay. So strict is reported,
 * with what it would drop, but is not a failure (it was an error until the lab showed strict nodes meshing).
 */
export function checkRpFilter(node: NodeModel, facts: NodeFacts): Finding[] {
  const devs = [facts.device?.name, facts.underlay?.name].filter((d): d is string => d !== undefined);
  const all = facts.sysctl["net.ipv4.conf.all.rp_filter"];
  return devs.map((dev) => {
    const eff = effectiveRpFilter(facts, dev);
    const own = facts.sysctl[`net.ipv4.conf.${dev}.rp_filter`];
    const isDevice = dev === facts.device?.name;
    const role = isDevice ? "the mesh device" : "the underlay";
    if (eff === undefined)
      return finding(
        node,
        "rp-filter",
        "warning",
        false,
        `could not read rp_filter of ${dev} (${role})`,
        `sysctl net.ipv4.conf.${dev}.rp_filter`,
      );
    if (eff !== 1)
      return finding(
        node,
        "rp-filter",
        "error",
        true,
        `rp_filter on ${dev} (${role}) is ${eff === 2 ? "loose" : "off"} (${eff})`,
      );
    const passes = isDevice
      ? `the routes back to every remote pod block and the overlay leave by ${dev}; a packet from a source routed elsewhere (a pod SNATed to its node's address when the IPPools are missing) would be dropped`
      : "VXLAN packets arrive from the peers' underlay addresses, which route back by it";
    return finding(
      node,
      "rp-filter",
      "error",
      true,
      `rp_filter on ${dev} (${role}) is strict: effective 1 = max(conf.all ${all ?? "?"}, conf.${dev} ${own ?? "?"}); the mesh's traffic passes: ${passes}`,
    );
  });
}
