/**
 * desired NodeModel × observed NodeFacts → the ordered changes for one node. Pure.
 * The node's paths are chosen first (src/model/paths.ts: the tunnel or direct, per peer, from the
 * underlay's connected subnets); the device exists only when a path uses it.
 * What is meshctl's is decided by src/plan/ownership.ts: its marked device (and every address, neighbour
 * and FDB entry on it), the routes with its protocol id on that device, and its direct routes on the
 * underlay. Anything else is never changed; a foreign object in the way, or one that only looks like
 * meshctl's, is an error before any change.
 */
import type { NodeFacts } from "../facts/types.js";
import { connectedSubnets, type ResolvedNode, resolvePaths } from "../model/paths.js";
import type { NodeModel } from "../model/types.js";
import type { Change } from "./change.js";
import type { VxlanParams } from "./commands.js";
import { cmd } from "./commands.js";
import { PlanConflict } from "./conflict.js";
import {
  adoptChange,
  createDevice,
  diffConnected,
  diffDeviceAttributes,
  resolveDeviceParams,
  restoreDeviceCommands,
  takenWithDevice,
} from "./device-diff.js";
import { diffFdb, diffNeighbours } from "./entry-diff.js";
import { lockoutReasons } from "./lockout.js";
import {
  deviceDrift,
  deviceOwnership,
  foreignRouteReason,
  ownsDevice,
  splitRoutes,
  underlayName,
} from "./ownership.js";
import { diffRoutes } from "./route-diff.js";

export { PlanConflict } from "./conflict.js";

export interface NodeDiff {
  changes: Change[];
  /** The device MTU the plan uses (undefined: left to the kernel, i.e. underlay MTU − 50; or no device). */
  mtu?: number;
}

/** Refuses the node when its device or a route with meshctl's protocol id is not provably meshctl's. */
function ownershipOrRefuse(
  desired: Pick<NodeModel, "name" | "device">,
  want: Pick<VxlanParams, "name" | "vni" | "port" | "localIp">,
  facts: NodeFacts,
) {
  const device = deviceOwnership(want, facts);
  const owned = ownsDevice(device);
  const underlay = underlayName(desired.device.underlayDev, facts);
  const routes = splitRoutes(facts, desired.device.name, owned, underlay);
  const problems = [
    ...(device.state === "foreign" ? [device.why] : []),
    ...routes.foreign.map((r) => foreignRouteReason(r, desired.device.name)),
  ];
  if (problems.length > 0) throw new PlanConflict(desired.name, problems.join("; "));
  return { device, ours: routes.ours, direct: routes.direct, underlay };
}

/** The node's paths chosen from its facts (a node already resolved is taken as it is). */
export function resolveNode(n: NodeModel | ResolvedNode, facts: NodeFacts): ResolvedNode {
  if ("tunnel" in n) return n;
  const underlay = underlayName(n.device.underlayDev, facts);
  const iface = facts.interfaces.find((i) => i.name === underlay) ?? facts.underlay;
  const nets = iface && iface.name === underlay ? connectedSubnets(iface.addresses) : [];
  const r = resolvePaths(n, nets, underlay);
  if (!r.ok) throw new PlanConflict(n.name, r.why);
  return r.node;
}

export function diffNode(model: NodeModel | ResolvedNode, facts: NodeFacts): NodeDiff {
  const desired = resolveNode(model, facts);
  const changes: Change[] = [];
  const want = resolveDeviceParams(desired, facts);
  const name = desired.device.name;
  const proto = desired.routeProtocol;
  const lockout = lockoutReasons(desired, facts);
  if (lockout.length > 0) throw new PlanConflict(desired.name, lockout.join("; "));
  const owned = ownershipOrRefuse(desired, want, facts);
  const u = owned.underlay;
  let dev = owned.device.state === "absent" ? undefined : facts.device;
  let observed: NodeFacts = { ...facts, routes: [...owned.ours, ...owned.direct] };
  if (!desired.tunnel) {
    // No path uses the tunnel: routes first, then the device goes (with its entries), make-before-break.
    changes.push(
      ...diffRoutes(desired, observed, "prune", u),
      ...diffRoutes(desired, observed, "program", u),
    );
    if (dev) changes.push(retireDevice(facts, name, proto));
    return { changes };
  }

  if (dev) {
    const drift = deviceDrift(want, dev);
    if (drift.length > 0) {
      changes.push({
        resource: "device",
        key: name,
        action: "recreate",
        before: `vxlan id ${dev.vni} port ${dev.port} local ${dev.localIp} dev ${dev.underlayDev ?? "-"}; ${takenWithDevice(facts, name)}`,
        after: drift.join(", "),
        destructive: true,
        phase: "device",
        forward: [cmd.linkDel(name), ...createDevice(desired, want)],
        inverse: [cmd.linkDel(name), ...restoreDeviceCommands({ ...facts, routes: owned.ours }, proto)],
      });
      // Everything on the old device goes with it; routes through it too (direct ones stay).
      observed = {
        ...facts,
        device: undefined,
        neighbours: [],
        fdb: [],
        routes: owned.direct,
        connected: [],
      };
      dev = undefined;
    } else if (owned.device.state === "adopt") {
      changes.push(adoptChange(name));
    }
  } else {
    changes.push({
      resource: "device",
      key: name,
      action: "create",
      after: `vxlan id ${want.vni} dstport ${want.port} local ${want.localIp} dev ${want.underlayDev ?? "(kernel's choice)"} mtu ${want.mtu ?? "auto"}`,
      phase: "device",
      forward: createDevice(desired, want),
      inverse: [cmd.linkDel(name)],
    });
  }
  if (dev)
    changes.push(...diffDeviceAttributes(desired, want, dev), ...diffConnected(desired, observed, dev));
  // Entries of peers that now take the direct path go after the routes (make-before-break).
  const entries = [
    ...diffNeighbours(desired, observed, "prune"),
    ...diffFdb(desired, observed),
    ...diffNeighbours(desired, observed, "program"),
  ];
  const deletes = entries.filter((c) => c.action === "delete");
  const retired = deletes.length === 0 ? new Set<string>() : retiredPeers(model, desired);
  const late = deletes.filter((c) => retired.has(c.key.split(" ")[0] as string));
  const lateSet = new Set(late);
  changes.push(...diffRoutes(desired, observed, "prune", u));
  changes.push(...(late.length === 0 ? entries : entries.filter((c) => !lateSet.has(c))));
  changes.push(...diffRoutes(desired, observed, "program", u));
  changes.push(...late.map((c) => ({ ...c, phase: "program" as const, stage: "retire" as const })));
  return { changes, ...(want.mtu === undefined ? {} : { mtu: want.mtu }) };
}

/** Overlay IPs and MACs of the model's peers whose tunnel entries the resolved node no longer wants. */
function retiredPeers(model: NodeModel, desired: ResolvedNode): Set<string> {
  const keep = new Set(desired.fdb.map((f) => f.peer as string));
  const out = new Set<string>();
  for (const f of model.fdb) if (!keep.has(f.peer)) out.add(f.mac);
  for (const n of model.neighbours) if (!keep.has(n.peer)) out.add(n.ip);
  return out;
}

/** meshctl's device when no path uses it any more: deleted last, with its entries; routes are changed apart. */
function retireDevice(facts: NodeFacts, name: string, proto: number): Change {
  return {
    resource: "device",
    key: name,
    action: "delete",
    before: `vxlan id ${facts.device?.vni}, no longer used (every peer is direct); ${takenWithDevice(facts, name)}`,
    destructive: true,
    phase: "program",
    stage: "retire",
    forward: [cmd.linkDel(name)],
    inverse: restoreDeviceCommands({ ...facts, routes: [] }, proto),
  };
}

/** Teardown: meshctl's direct routes, then its device, and with it everything on it (its routes included). */
export function diffTeardown(
  desired: Pick<NodeModel, "name" | "device" | "routeProtocol">,
  facts: NodeFacts,
): Change[] {
  const proto = desired.routeProtocol;
  const name = desired.device.name;
  const owned = ownershipOrRefuse(desired, desired.device, facts);
  const routes = diffRoutes({ ...desired, routes: [] }, { ...facts, routes: owned.direct }, "prune").map(
    (c) => ({ ...c, phase: "device" as const }),
  );
  const dev = facts.device;
  if (!dev || owned.device.state === "absent") return routes;
  return [
    ...routes,
    {
      resource: "device",
      key: name,
      action: "delete",
      before: `vxlan id ${dev.vni}; ${takenWithDevice(facts, name)}`,
      destructive: true,
      phase: "device",
      forward: [cmd.linkDel(name)],
      inverse: restoreDeviceCommands({ ...facts, routes: owned.ours }, proto),
    },
  ];
}
