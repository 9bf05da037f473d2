/** `meshctl plan`: the commands that build the mesh on nodes that have none of it. Pure. */
import type { ClusterResource } from "../cni/model.js";
import { rulesOf } from "../cni/rules.js";
import type { NodeFacts } from "../facts/types.js";
import type { MeshModel, NodeModel } from "../model/types.js";
import type { IfName } from "../net/addr.js";
import { type Cmd, cmd, renderCmd } from "./commands.js";
import { diffNode } from "./node-diff.js";
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
  const line = (n: NodeModel, entry: object, make: (dev: IfName, proto: number) => Cmd): string => {
    const scope = `${n.device.name} ${n.routeProtocol}`;
    const cache = lines.get(scope) ?? new WeakMap<object, string>();
    lines.set(scope, cache);
    const text = cache.get(entry) ?? renderCmd(make(n.device.name, n.routeProtocol));
    cache.set(entry, text);
    return text;
  };
  return (n) => {
    const peerless: NodeModel = { ...n, fdb: [], neighbours: [], routes: [] };
    const commands = commandsOf(diffNode(peerless, emptyFacts(n)).changes);
    for (const f of n.fdb) commands.push(line(n, f, (dev) => cmd.fdbReplace(dev, f.mac, f.dst)));
    for (const w of n.neighbours) commands.push(line(n, w, (dev) => cmd.neighReplace(dev, w.ip, w.mac)));
    for (const r of n.routes) {
      commands.push(
        line(n, r, (dev, proto) => cmd.routeAdd({ dst: r.dst, via: r.via, dev, proto, onlink: true })),
      );
    }
    return { name: n.name, cluster: n.cluster, host: n.ssh.host, commands };
  };
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
