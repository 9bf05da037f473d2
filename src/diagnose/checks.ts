/**
 * The checks of `meshctl diagnose`: pure functions of the model, a node's facts and the extra sections
 * of the diagnose script. Each returns findings — passing ones too, so `-v` can show what was checked —
 * and every failing finding says why in plain language and gives the exact command or inventory change.
 */
import { rulesOf } from "../cni/rules.js";
import type { NodeFacts } from "../facts/types.js";
import type { ClusterModel, MeshModel, NodeModel } from "../model/types.js";
import { cidrContainsIp } from "../net/addr.js";
import { checkDevice, checkMtu, checkUnderlay } from "./device-checks.js";
import { checkDirect, checkMode } from "./direct-checks.js";
import { checkEntries } from "./entry-checks.js";
import type { CheckContext } from "./finding.js";
import { checkLockout } from "./lockout-check.js";
import { checkForwarding, checkRpFilter } from "./sysctl-checks.js";
import { checkFirewall, checkOverlaps, checkPort } from "./traffic-checks.js";
import type { DiagnoseExtra, Finding } from "./types.js";

/** Every node check, in the order they are shown. */
export function nodeFindings(
  model: MeshModel,
  node: NodeModel,
  facts: NodeFacts,
  extra: DiagnoseExtra,
  ctx: CheckContext = {},
): Finding[] {
  const cluster = model.clusters.find((c) => c.name === node.cluster);
  // The paths from the node's facts (#14): the tunnel's checks only when a path uses it.
  const mode = checkMode(node, facts);
  const paths = mode.node;
  const tunnel = paths?.tunnel ?? true;
  return [
    ...checkUnderlay(node, facts),
    ...checkLockout(node, facts),
    ...mode.findings,
    ...(tunnel ? checkDevice(node, facts, ctx) : []),
    // From the diff itself: the tunnel's entries and the direct routes alike.
    ...checkEntries(node, facts, ctx),
    ...(paths ? checkDirect(paths, facts, ctx) : []),
    ...checkForwarding(node, facts),
    ...checkRpFilter(node, facts),
    ...(cluster ? rulesOf(cluster).checkNode(node, cluster, facts) : []),
    ...(tunnel ? checkPort(node, facts, extra) : []),
    ...(tunnel ? checkFirewall(node, extra) : []),
    ...(tunnel ? checkMtu(node, facts, ctx) : []),
    ...checkOverlaps(model, node, facts, extra),
  ];
}

/** Cluster checks that need no node: the test endpoints `meshctl verify` pings. */
export function clusterFindings(cluster: ClusterModel): Finding[] {
  const base = { cluster: cluster.name, check: "test-endpoints", severity: "warning" as const };
  if (cluster.testEndpoints.length === 0) {
    return [
      {
        ...base,
        ok: false,
        finding: "no test_endpoints: meshctl verify sends no pod-to-pod probe into this cluster",
        fix: `inventory: add test_endpoints (pod IPs in ${cluster.podCidr}) to cluster ${cluster.name}`,
      },
    ];
  }
  const outside = cluster.testEndpoints.filter((e) => !cidrContainsIp(cluster.podCidr, e));
  if (outside.length > 0) {
    return [
      {
        ...base,
        ok: false,
        finding: `test endpoint(s) ${outside.join(", ")} are outside the pod CIDR ${cluster.podCidr}: the mesh does not route them`,
        fix: `inventory: list pod IPs of ${cluster.podCidr} in test_endpoints of ${cluster.name}`,
      },
    ];
  }
  return [
    { ...base, ok: true, finding: `${cluster.testEndpoints.length} test endpoint(s) in ${cluster.podCidr}` },
  ];
}
