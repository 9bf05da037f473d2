/** `meshctl plan`: the commands that build the mesh on nodes that have none of it. Pure. */
import type { ClusterResource } from "../cni/model.js";
import { rulesOf } from "../cni/rules.js";
import type { NodeFacts } from "../facts/types.js";
import type { MeshModel, NodeModel } from "../model/types.js";
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

export function planFromScratch(model: MeshModel): ScratchPlan {
  return {
    nodes: model.nodes.map((n) => ({
      name: n.name,
      cluster: n.cluster,
      host: n.ssh.host,
      commands: commandsOf(diffNode(n, emptyFacts(n)).changes),
    })),
    clusters: model.clusters.map((c) => ({
      name: c.name,
      control: c.control,
      resources: rulesOf(c).desired(c, model.clusters),
    })),
  };
}
