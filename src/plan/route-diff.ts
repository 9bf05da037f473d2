/**
 * The routes part of one node's diff: a route per remote pod block, through the tunnel (on meshctl's
 * device, via the peer's overlay address, onlink) or direct (on the underlay, via the peer's underlay
 * address, metric DIRECT_METRIC), each change with its inverse. Pure.
 *
 * A switch between the two is one change per block, make-before-break: the new route is added (the two
 * coexist, their metrics differ) before the old one is deleted, and its inverse does the same backwards.
 */
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel, RouteSpec } from "../model/types.js";
import type { Change } from "./change.js";
import { cmd, type RouteArgs } from "./commands.js";
import { PlanConflict } from "./conflict.js";
import { routeOf } from "./device-diff.js";
import { DIRECT_METRIC, describeRoute, routeAsWanted } from "./ownership.js";
import { sharedChange } from "./shared.js";

/**
 * `facts.routes` holds meshctl's routes only (on its device, or direct on `underlay`). prune: delete those
 * to blocks no longer wanted; program: add, fix or switch the wanted ones.
 */
export function diffRoutes(
  desired: Pick<NodeModel, "name" | "device" | "routeProtocol" | "routes">,
  facts: NodeFacts,
  phase: "prune" | "program",
  underlay?: string,
): Change[] {
  const dev = desired.device.name;
  const proto = desired.routeProtocol;
  const out: Change[] = [];
  if (phase === "prune") {
    const wanted = new Map(facts.routes.length === 0 ? [] : desired.routes.map((r) => [r.dst as string, r]));
    for (const h of facts.routes) {
      if (h.table === "main" && wanted.has(h.dst)) continue;
      out.push({
        resource: "route",
        key: h.dst,
        action: "delete",
        before: describeRoute(h),
        phase,
        forward: [cmd.routeDel(routeOf(h, proto))],
        inverse: [cmd.routeAdd(routeOf(h, proto))],
      });
    }
    return out;
  }
  const main = facts.routes.filter((r) => r.table === "main");
  const foreignByDst = firstBy(
    facts.foreignRoutes.filter((r) => r.table === "main"),
    (r) => r.dst,
  );
  const tunnelByDst = firstBy(
    main.filter((r) => r.dev === dev),
    (r) => r.dst,
  );
  const directByDst = firstBy(
    main.filter((r) => r.dev !== dev),
    (r) => r.dst,
  );
  // A route the node lacks in both kinds depends on the entry and these only: shared (src/plan/shared.ts).
  const scope = `route ${dev} ${proto} ${underlay}`;
  const create = (w: RouteSpec) => createRoute(w, dev, proto, underlay);
  for (const w of desired.routes) {
    const foreign = foreignByDst.get(w.dst);
    if (foreign) {
      throw new PlanConflict(
        desired.name,
        `a route to ${w.dst} that meshctl did not make is in the way (${describeRoute(foreign)}): remove it, or take ${w.dst} out of the inventory`,
      );
    }
    const tunnel = tunnelByDst.get(w.dst);
    const direct = directByDst.get(w.dst);
    if (tunnel === undefined && direct === undefined) {
      out.push(sharedChange(w, scope, create));
      continue;
    }
    const [same, other] = w.direct ? [direct, tunnel] : [tunnel, direct];
    if (same && !other && routeAsWanted(w, same, dev, underlay)) continue;
    const next = nextHop(w, dev, proto, underlay);
    const old = other ? routeOf(other, proto) : undefined;
    out.push({
      resource: "route",
      key: `${w.dst} (${w.peer})`,
      action: same || other ? "update" : "create",
      ...(same || other
        ? { before: [same, other].flatMap((r) => (r ? [describeRoute(r)] : [])).join(" + ") }
        : {}),
      after: afterText(w, dev, underlay),
      phase,
      // Onto the tunnel from a direct route: once every peer has its device (see Change.stage).
      ...(other && !w.direct ? { stage: "switch" as const } : {}),
      // A new route is added, never replaced: `add` fails instead of overwriting a foreign route. The
      // route of the other kind goes only once the new one is in.
      forward: [same ? cmd.routeReplace(next) : cmd.routeAdd(next), ...(old ? [cmd.routeDel(old)] : [])],
      inverse: [
        ...(old ? [cmd.routeAdd(old)] : []),
        same ? cmd.routeReplace(routeOf(same, proto)) : cmd.routeDel(next),
      ],
    });
  }
  return out;
}

/** The wanted route. Tunnel: onlink, so the peer is reached on the device whatever its addresses and connected route. */
function nextHop(w: RouteSpec, dev: string, proto: number, underlay: string | undefined): RouteArgs {
  return w.direct
    ? { dst: w.dst, via: w.via, dev: underlay as string, proto, metric: DIRECT_METRIC }
    : { dst: w.dst, via: w.via, dev, proto, onlink: true };
}

function afterText(w: RouteSpec, dev: string, underlay: string | undefined): string {
  return w.direct
    ? `via ${w.via} dev ${underlay} metric ${DIRECT_METRIC} (direct)`
    : `via ${w.via} dev ${dev} onlink`;
}

/** A wanted route the node has in neither kind: added (never replaced), its inverse deletes it. */
function createRoute(w: RouteSpec, dev: string, proto: number, underlay: string | undefined): Change {
  const next = nextHop(w, dev, proto, underlay);
  return {
    resource: "route",
    key: `${w.dst} (${w.peer})`,
    action: "create",
    after: afterText(w, dev, underlay),
    phase: "program",
    forward: [cmd.routeAdd(next)],
    inverse: [cmd.routeDel(next)],
  };
}

/** The first item per key, as `find` would return it (a map, so N lookups cost N, not N²). */
function firstBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const t of items) if (!m.has(key(t))) m.set(key(t), t);
  return m;
}
