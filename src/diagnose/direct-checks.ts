/**
 * Diagnose checks of the paths (#14): the node's mode resolved from its facts, its direct routes, and
 * what direct peers need of the underlay — forwarding on it (their pods' packets arrive there) and an
 * rp_filter their traffic passes.
 */
import { effectiveRpFilter } from "../facts/query.js";
import type { NodeFacts } from "../facts/types.js";
import type { ResolvedNode } from "../model/paths.js";
import type { NodeModel } from "../model/types.js";
import { PlanConflict } from "../plan/conflict.js";
import { resolveNode } from "../plan/node-diff.js";
import { isDirectRoute, underlayName } from "../plan/ownership.js";
import { applyCmd, type CheckContext, finding } from "./finding.js";
import type { Finding } from "./types.js";

/** The node's paths from its facts, with a finding; undefined node: refused (mode direct, a peer off-link). */
export function checkMode(node: NodeModel, facts: NodeFacts): { node?: ResolvedNode; findings: Finding[] } {
  let r: ResolvedNode;
  try {
    r = resolveNode(node, facts);
  } catch (e) {
    if (!(e instanceof PlanConflict)) throw e;
    const why = e.message.replace(`${node.name}: `, "");
    const fix = `put the peers on one L2 segment with ${node.name}, or set mode auto (or vxlan) for its cluster in the inventory`;
    return { findings: [finding(node, "mode", "error", false, why, fix)] };
  }
  const direct = new Set(r.routes.filter((x) => x.direct).map((x) => x.peer as string));
  const tunnel = new Set(r.routes.filter((x) => !x.direct).map((x) => x.peer as string));
  const text = `mode ${node.mode}: ${direct.size} peer(s) direct${direct.size > 0 ? ` (${[...direct].join(", ")})` : ""}, ${tunnel.size} through the tunnel${r.tunnel ? "" : "; no VXLAN device needed"}`;
  return { node: r, findings: [finding(node, "mode", "error", true, text)] };
}

/** The direct routes are in place, and the underlay forwards and lets their traffic in. */
export function checkDirect(node: ResolvedNode, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const routes = node.routes.filter((r) => r.direct);
  if (routes.length === 0) return [];
  const u = underlayName(node.device.underlayDev, facts) ?? "the underlay";
  const missing = routes.filter(
    (r) => !facts.routes.some((x) => x.dst === r.dst && x.via === r.via && isDirectRoute(x, u)),
  );
  const out: Finding[] = [
    missing.length === 0
      ? finding(
          node,
          "direct-routes",
          "error",
          true,
          `all ${routes.length} direct routes are in place on ${u}`,
        )
      : finding(
          node,
          "direct-routes",
          "error",
          false,
          `${missing.length} of ${routes.length} direct routes missing or wrong: ${missing
            .slice(0, 5)
            .map((r) => `${r.dst} via ${r.via} (${r.peer})`)
            .join("; ")}`,
          applyCmd(ctx, node.name),
        ),
  ];
  const fwd = facts.sysctl[`net.ipv4.conf.${u}.forwarding`];
  if (fwd !== undefined) {
    out.push(
      fwd === 1
        ? finding(
            node,
            "underlay-forwarding",
            "error",
            true,
            `forwarding is on on ${u} (direct peers' pods arrive there)`,
          )
        : finding(
            node,
            "underlay-forwarding",
            "error",
            false,
            `forwarding is off on the underlay ${u} (net.ipv4.conf.${u}.forwarding = ${fwd}): the pods of direct peers send their packets in there and the kernel does not route them on`,
            `sysctl -w net.ipv4.conf.${u}.forwarding=1 (and persist it in /etc/sysctl.d/)`,
          ),
    );
  }
  const rp = effectiveRpFilter(facts, u);
  if (rp === 1) {
    const ok = missing.length === 0;
    out.push(
      finding(
        node,
        "underlay-rp-filter",
        "error",
        ok,
        ok
          ? `rp_filter on ${u} is strict; direct peers' pod traffic passes: their blocks route back by ${u}`
          : `rp_filter on ${u} is strict and direct routes are missing: packets from those peers' pods arrive on ${u} but would not route back by it, so they are dropped`,
        ok ? undefined : applyCmd(ctx, node.name),
      ),
    );
  }
  return out;
}
