/** `meshctl plan`: the commands that build the mesh on nodes that have none of it. Pure. */
import type { ClusterResource } from "../cni/model.js";
import { rulesOf } from "../cni/rules.js";
import type { NodeFacts } from "../facts/types.js";
import { resolvePaths } from "../model/paths.js";
import type { MeshModel, NodeModel } from "../model/types.js";
import { cidr, type IfName } from "../net/addr.js";
import { type Cmd, cmd, renderCmd } from "./commands.js";
import { PlanConflict } from "./conflict.js";
import { diffNode } from "./node-diff.js";
import { DIRECT_METRIC } from "./ownership.js";
import { commandsOf } from "./render.js";

export interface ScratchPlan {
  nodes: { name: string; cluster: string; host: string; commands: string[] }[];
  clusters: { name: string; control: string; resources: ClusterResource[] }[];
}

/** A node with none of the mesh on it; its underlay is unknown until facts are gathered. */
export function emptyFacts(n: NodeModel): NodeFacts {
  return {
    params: { device: n.device.name, routeProtocol: n.routeProtocol, localIp: n.device.localIp },
    interfaces: [],
    neighbours: [],
    fdb: [],
    routes: [],
    foreignRoutes: [],
    sysctl: {},
    vxlanPorts: [],
    udpPorts: [],
  };
}

export type ScratchNode = ScratchPlan["nodes"][number];
export type ScratchCluster = ScratchPlan["clusters"][number];

/**
 * One node's commands from scratch: plan output is made (and written) one node at a time.
 *
 * Equal to `commandsOf(diffNode(n, emptyFacts(n)).changes)` (a unit test holds them equal), but fast at
 * scale: the device's commands come from diffNode on the node without peers, and each peer entry's line is
 * rendered once per mesh — the model shares one entry object per peer among all nodes — instead of once
 * per node (1000 nodes: 3 million lines, 4 thousand distinct).
 */
export function scratchNodes(): (n: NodeModel) => ScratchNode {
  const lines = new Map<string, WeakMap<object, string>>();
  /** The node's cache of lines (per device name and route protocol), looked up once per node. */
  const cacheOf = (n: NodeModel): WeakMap<object, string> => {
    const scope = `${n.device.name} ${n.routeProtocol}`;
    let cache = lines.get(scope);
    if (cache === undefined) {
      cache = new WeakMap<object, string>();
      lines.set(scope, cache);
    }
    return cache;
  };
  let cache = new WeakMap<object, string>();
  const line = (n: NodeModel, entry: object, make: (dev: IfName, proto: number) => Cmd): string => {
    let text = cache.get(entry);
    if (text === undefined) {
      text = renderCmd(make(n.device.name, n.routeProtocol));
      cache.set(entry, text);
    }
    return text;
  };
  return (model) => {
    const n = assumePaths(model);
    cache = cacheOf(n);
    const peerless = { ...n, fdb: [], neighbours: [], routes: [] };
    const commands = commandsOf(diffNode(peerless, emptyFacts(n)).changes);
    for (const f of n.fdb) commands.push(line(n, f, (dev) => cmd.fdbReplace(dev, f.mac, f.dst)));
    for (const w of n.neighbours) commands.push(line(n, w, (dev) => cmd.neighReplace(dev, w.ip, w.mac)));
    const under = n.device.underlayDev;
    for (const r of n.routes) {
      commands.push(
        r.direct
          ? renderCmd(
              cmd.routeAdd({
                dst: r.dst,
                via: r.via,
                ...(under === undefined ? {} : { dev: under }),
                proto: n.routeProtocol,
                metric: DIRECT_METRIC,
              }),
            )
          : line(n, r, (dev, proto) => cmd.routeAdd({ dst: r.dst, via: r.via, dev, proto, onlink: true })),
      );
    }
    return { name: n.name, cluster: n.cluster, host: n.ssh.host, commands };
  };
}

/**
 * Paths without facts: a `direct` pair is taken as direct (apply refuses a peer off the connected
 * subnets), an `auto` pair as the tunnel (apply chooses from the node's connected subnets).
 */
function assumePaths(n: NodeModel) {
  const direct = n.routes.filter((r) => r.pair === "direct").map((r) => cidr(`${r.underlay}/32`));
  const r = resolvePaths(n, direct);
  if (!r.ok) throw new PlanConflict(n.name, r.why);
  return r.node;
}

export function scratchClusters(model: MeshModel, clusters = model.clusters): ScratchCluster[] {
  return clusters.map((c) => ({
    name: c.name,
    control: c.control,
    resources: rulesOf(c).desired(c, model.clusters),
  }));
}

/** The whole plan at once (tests, small meshes); `meshctl plan` streams scratchNodes per node instead. */
export function planFromScratch(model: MeshModel): ScratchPlan {
  return { nodes: model.nodes.map(scratchNodes()), clusters: scratchClusters(model) };
}
