/**
 * desired NodeModel × observed NodeFacts → the ordered changes for one node. Pure.
 * What is meshctl's is decided by src/plan/ownership.ts: its marked device (and every address, neighbour
 * and FDB entry on it) and the routes with its protocol id on that device. Anything else is never
 * changed; a foreign object in the way, or one that only looks like meshctl's, is an error before any change.
 */
import type { NodeFacts } from "../facts/types.js";
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
import { diffFdb, diffNeighbours, diffRoutes } from "./entry-diff.js";
import { deviceDrift, deviceOwnership, foreignRouteReason, ownsDevice, splitRoutes } from "./ownership.js";

export { PlanConflict } from "./conflict.js";

export interface NodeDiff {
  changes: Change[];
  /** The device MTU the plan uses (undefined: left to the kernel, i.e. underlay MTU − 50). */
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
  const routes = splitRoutes(facts, desired.device.name, owned);
  const problems = [
    ...(device.state === "foreign" ? [device.why] : []),
    ...routes.foreign.map((r) => foreignRouteReason(r, desired.device.name)),
  ];
  if (problems.length > 0) throw new PlanConflict(desired.name, problems.join("; "));
  return { device, ours: routes.ours };
}

export function diffNode(desired: NodeModel, facts: NodeFacts): NodeDiff {
  const changes: Change[] = [];
  const want = resolveDeviceParams(desired, facts);
  const name = desired.device.name;
  const proto = desired.routeProtocol;
  const owned = ownershipOrRefuse(desired, want, facts);
  let dev = owned.device.state === "absent" ? undefined : facts.device;
  let observed: NodeFacts = { ...facts, routes: owned.ours };

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
        inverse: [cmd.linkDel(name), ...restoreDeviceCommands(observed, proto)],
      });
      // Everything on the old device goes with it; routes through it too.
      observed = { ...facts, device: undefined, neighbours: [], fdb: [], routes: [], connected: [] };
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
  changes.push(...diffRoutes(desired, observed, "prune"));
  changes.push(...diffNeighbours(desired, observed, "prune"));
  changes.push(...diffFdb(desired, observed));
  changes.push(...diffNeighbours(desired, observed, "program"));
  changes.push(...diffRoutes(desired, observed, "program"));
  return { changes, ...(want.mtu === undefined ? {} : { mtu: want.mtu }) };
}

/** Teardown: remove meshctl's device, and with it everything on it (its routes included). */
export function diffTeardown(
  desired: Pick<NodeModel, "name" | "device" | "routeProtocol">,
  facts: NodeFacts,
): Change[] {
  const proto = desired.routeProtocol;
  const name = desired.device.name;
  const owned = ownershipOrRefuse(desired, desired.device, facts);
  const dev = facts.device;
  if (!dev || owned.device.state === "absent") return [];
  return [
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
