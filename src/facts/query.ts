/** Small pure questions over NodeFacts that more than one consumer asks. */
import type { Ipv4 } from "../net/addr.js";
import type { FactsParams, InterfaceFact, NodeFacts, RouteFact } from "./types.js";

/**
 * The interface holding `localIp` (the tunnel's underlay: its MTU bounds the device's), or undefined when
 * no interface does. The managed device itself never counts: an overlay address given as the local IP
 * must not make the device its own underlay.
 */
export function resolveUnderlay(
  facts: { params: Pick<FactsParams, "device">; interfaces: InterfaceFact[] },
  localIp: Ipv4,
): InterfaceFact | undefined {
  return facts.interfaces.find(
    (i) => i.name !== facts.params.device && i.addresses.some((a) => a.ip === localIp),
  );
}

/** `net.ipv4.conf.<dev>.rp_filter` as the kernel applies it: max(conf.all, conf.<dev>); undefined if unread. */
export function effectiveRpFilter(facts: Pick<NodeFacts, "sysctl">, dev: string): number | undefined {
  const own = facts.sysctl[`net.ipv4.conf.${dev}.rp_filter`];
  if (own === undefined) return undefined;
  return Math.max(own, facts.sysctl["net.ipv4.conf.all.rp_filter"] ?? 0);
}

/** meshctl's routes through `dev` (e.g. the ones that disappear with the device). */
export function routesOfDevice(facts: Pick<NodeFacts, "routes">, dev: string): RouteFact[] {
  return facts.routes.filter((r) => r.dev === dev || r.nexthops?.some((n) => n.dev === dev));
}
