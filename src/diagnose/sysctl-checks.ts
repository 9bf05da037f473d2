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

/** Effective rp_filter = max(conf.all, conf.<dev>) on the mesh device and the underlay: strict (1) is an error. */
export function checkRpFilter(node: NodeModel, facts: NodeFacts): Finding[] {
  const devs = [facts.device?.name, facts.underlay?.name].filter((d): d is string => d !== undefined);
  const all = facts.sysctl["net.ipv4.conf.all.rp_filter"];
  return devs.map((dev) => {
    const eff = effectiveRpFilter(facts, dev);
    const own = facts.sysctl[`net.ipv4.conf.${dev}.rp_filter`];
    const role = dev === facts.device?.name ? "the mesh device" : "the underlay";
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
    const fixes = [`sysctl -w net.ipv4.conf.${dev}.rp_filter=2`];
    if (all === 1) fixes.push("sysctl -w net.ipv4.conf.all.rp_filter=2");
    return finding(
      node,
      "rp-filter",
      "error",
      false,
      `reverse-path filtering on ${dev} (${role}) is strict: effective 1 = max(conf.all ${all ?? "?"}, conf.${dev} ${own ?? "?"}); packets whose reply would leave by another interface are dropped`,
      fixes.join("; "),
    );
  });
}
