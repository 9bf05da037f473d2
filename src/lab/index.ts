/**
 * The namespace lab: real SSH nodes (network namespaces running OpenSSH) on one Linux box, with a pod
 * namespace behind every node and a fake Kubernetes API per cluster, so a mesh can be rehearsed end to end.
 */
export { type LabDownOptions, labDown } from "./down.js";
export { LabError } from "./errors.js";
export { DEFAULT_LAB_DIR, SUDOERS_FILE } from "./host.js";
export { LAB_MESH } from "./inventory.js";
export { labJoin, labLeave } from "./members.js";
export { HOST_OS, OS_RELEASES, osRelease, parseOsList } from "./osrelease.js";
export { wrapperScript } from "./oswrapper.js";
export {
  CONTROLLER_IP,
  LAB_BRIDGE,
  LAB_LINK_PREFIX,
  LAB_RANGE,
  NODE_NS_PREFIX,
  POD_NS_PREFIX,
  planLab,
  SUDO_USER,
} from "./plan.js";
export { type BootUnit, type LabRebootResult, labReboot } from "./reboot.js";
export type { LabClusterInfo, LabInfo, LabNodeInfo } from "./state.js";
export { type LabClusterStatus, type LabNodeStatus, type LabStatus, labStatus } from "./status.js";
export { type LabUpOptions, labUp } from "./up.js";
