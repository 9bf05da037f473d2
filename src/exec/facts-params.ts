/** What a node's facts script is built from: its device, meshctl's route protocol, its underlay. Pure. */
import type { FactsScriptParams } from "../facts/script.js";
import type { NodeModel } from "../model/types.js";

export function factsParamsOf(node: NodeModel): FactsScriptParams {
  return {
    device: node.device.name,
    routeProtocol: node.routeProtocol,
    localIp: node.device.localIp,
    ...(node.device.underlayDev === undefined ? {} : { underlayDev: node.device.underlayDev }),
  };
}
