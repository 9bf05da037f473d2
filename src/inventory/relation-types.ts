/** The shapes the inventory's relation checks (validate.ts, lockout.ts) read and report. */
/**
 * What the relation checks read: a schema-valid inventory, or what `salvage` keeps of an invalid one, so
 * that relation problems are reported together with schema problems. `undefined`: left out (invalid).
 */
export interface RelationInventory {
  mesh: { overlay?: string | undefined; ssh?: RelationSsh | undefined };
  clusters: (RelationCluster | undefined)[];
}
export interface RelationCluster {
  name?: string | undefined;
  pod_cidr?: string | undefined;
  service_cidr?: string | undefined;
  control?: string | undefined;
  api_server?: string | undefined;
  nodes_from?: string | undefined;
  test_endpoints?: string[] | undefined;
  ssh?: RelationSsh | undefined;
  nodes: (RelationNode | undefined)[];
  /** Every node's name, also of nodes left out for other problems (undefined: the name itself is invalid). */
  names?: (string | undefined)[];
}
export interface RelationNode {
  name: string;
  host?: string | undefined;
  underlay_ip?: string | undefined;
  overlay_ip?: string | undefined;
  mac?: string | undefined;
  pod_blocks?: string[] | undefined;
  ssh?: RelationSsh | undefined;
}
export interface RelationSsh {
  port?: number | undefined;
}

export interface PathIssue {
  path: (string | number)[];
  message: string;
}
