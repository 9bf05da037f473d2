/**
 * The checks of `meshctl diagnose`: pure functions of the model, a node's facts and the extra sections
 * of the diagnose script. Each returns findings — passing ones too, so `-v` can show what was checked —
 * and every failing finding says why in plain language and gives the exact command or inventory change.
 */
import { rulesOf } from "../cni/rules.js";
import { effectiveRpFilter } from "../facts/query.js";
import type { NodeFacts } from "../facts/types.js";
import type { ClusterModel, MeshModel, NodeModel } from "../model/types.js";
import { type Cidr, cidrContainsIp, cidrPrefix, cidrsOverlap } from "../net/addr.js";
import type { DiagnoseExtra, Finding, ForwardChain, Severity } from "./types.js";

export const VXLAN_OVERHEAD = 50;

export interface CheckContext {
  /** Inventory path, for the `meshctl apply -i …` fixes. */
  inventory?: string;
}

function applyCmd(ctx: CheckContext, node: string): string {
  return `meshctl apply${ctx.inventory ? ` -i ${ctx.inventory}` : ""} --limit ${node}`;
}

function finding(
  node: NodeModel,
  check: string,
  severity: Severity,
  ok: boolean,
  text: string,
  fix?: string,
): Finding {
  return { node: node.name, check, ok, severity, finding: text, ...(ok || fix === undefined ? {} : { fix }) };
}

/** Device present, of kind vxlan, with the inventory's VNI / port / local IP / underlay / MAC, up, addressed. */
export function checkDevice(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const want = node.device;
  const dev = facts.device;
  const apply = applyCmd(ctx, node.name);
  if (dev === undefined) {
    return [
      finding(
        node,
        "device",
        "error",
        false,
        `the VXLAN device ${want.name} does not exist: nothing of the mesh reaches this node`,
        apply,
      ),
    ];
  }
  if (dev.kind !== "vxlan") {
    return [
      finding(
        node,
        "device",
        "error",
        false,
        `${want.name} is a ${dev.kind} device, not VXLAN: something else holds the mesh device's name`,
        `rename the mesh device (inventory: mesh.device), or remove the foreign one if it is stale (ip link del ${want.name}); then ${apply}`,
      ),
    ];
  }
  const out: Finding[] = [];
  const drift: string[] = [];
  if (dev.vni !== want.vni) drift.push(`VNI ${dev.vni ?? "?"} (inventory: ${want.vni})`);
  if (dev.port !== want.port) drift.push(`UDP port ${dev.port ?? "?"} (inventory: ${want.port})`);
  if (dev.localIp !== want.localIp)
    drift.push(`local IP ${dev.localIp ?? "none"} (inventory: ${want.localIp})`);
  if (want.underlayDev !== undefined && dev.underlayDev !== want.underlayDev)
    drift.push(`underlay device ${dev.underlayDev ?? "none"} (inventory: ${want.underlayDev})`);
  out.push(
    drift.length > 0
      ? finding(
          node,
          "device",
          "error",
          false,
          `${want.name} has ${drift.join(", ")}: peers encapsulate with the inventory's values, so their packets are not delivered to this device`,
          `${apply} (recreates the device: VNI, port and local IP are fixed at creation)`,
        )
      : finding(
          node,
          "device",
          "error",
          true,
          `${want.name} is VXLAN ${want.vni}, port ${want.port}, local ${want.localIp}`,
        ),
  );
  out.push(
    dev.mac === want.mac
      ? finding(node, "mac", "error", true, `${want.name} has the inventory's MAC ${want.mac}`)
      : finding(
          node,
          "mac",
          "error",
          false,
          `${want.name} has MAC ${dev.mac}, the inventory says ${want.mac}: peers address this node by ${want.mac}, so its traffic is dropped. systemd-udev (MACAddressPolicy=persistent) may have rewritten the MAC after meshctl created the device`,
          `printf '[Match]\\nOriginalName=${want.name}\\n\\n[Link]\\nMACAddressPolicy=none\\n' > /etc/systemd/network/10-${want.name}.link; then ${apply}`,
        ),
  );
  out.push(
    dev.up
      ? finding(node, "device-up", "error", true, `${want.name} is up`)
      : finding(
          node,
          "device-up",
          "error",
          false,
          `${want.name} is down: it sends and receives nothing`,
          `ip link set dev ${want.name} up`,
        ),
  );
  const hasAddr = dev.addresses.some((a) => a.ip === want.address && a.prefixLen === want.prefixLen);
  out.push(
    hasAddr
      ? finding(
          node,
          "overlay-address",
          "error",
          true,
          `${want.name} holds ${want.address}/${want.prefixLen}`,
        )
      : finding(
          node,
          "overlay-address",
          "error",
          false,
          `${want.name} lacks its overlay address ${want.address}/${want.prefixLen}: peers' routes point at it`,
          apply,
        ),
  );
  if (dev.remote !== undefined || dev.group !== undefined) {
    out.push(
      finding(
        node,
        "device-remote",
        "warning",
        false,
        `${want.name} has a default destination (${dev.remote ? `remote ${dev.remote}` : `group ${dev.group}`}): unknown MACs are flooded there`,
        `${apply} (recreates the device without one)`,
      ),
    );
  }
  return out;
}

/** The underlay address is held by an interface of the node. */
export function checkUnderlay(node: NodeModel, facts: NodeFacts): Finding[] {
  return [
    facts.underlay
      ? finding(
          node,
          "underlay",
          "error",
          true,
          `${facts.underlay.name} holds the underlay address ${node.device.localIp}`,
        )
      : finding(
          node,
          "underlay",
          "error",
          false,
          `no interface holds the underlay address ${node.device.localIp}: the tunnel has no source`,
          `inventory: set underlay_ip of ${node.name} to an address the node holds (ip -4 addr show)`,
        ),
  ];
}

/** meshctl's FDB entries, neighbours and routes are all there (what `meshctl diff` would add). */
export function checkEntries(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  if (facts.device?.kind !== "vxlan") return [];
  const missing: string[] = [];
  for (const e of node.fdb) {
    if (!facts.fdb.some((f) => f.kind === "unicast" && f.mac === e.mac && f.dst === e.dst))
      missing.push(`FDB ${e.mac} → ${e.dst} (${e.peer})`);
  }
  for (const e of node.neighbours) {
    if (!facts.neighbours.some((n) => n.ip === e.ip && n.mac === e.mac && n.state.includes("PERMANENT")))
      missing.push(`neighbour ${e.ip} → ${e.mac} (${e.peer})`);
  }
  for (const r of node.routes) {
    if (!facts.routes.some((x) => x.table === "main" && x.dst === r.dst && x.via === r.via))
      missing.push(`route ${r.dst} via ${r.via} (${r.peer})`);
  }
  const total = node.fdb.length + node.neighbours.length + node.routes.length;
  return [
    missing.length === 0
      ? finding(
          node,
          "entries",
          "error",
          true,
          `all ${total} FDB entries, neighbours and routes are in place`,
        )
      : finding(
          node,
          "entries",
          "error",
          false,
          `${missing.length} of ${total} mesh entries missing or wrong: ${missing.slice(0, 5).join("; ")}${missing.length > 5 ? `; … (${missing.length - 5} more)` : ""}`,
          applyCmd(ctx, node.name),
        ),
  ];
}

export function checkForwarding(node: NodeModel, facts: NodeFacts): Finding[] {
  const v = facts.sysctl["net.ipv4.ip_forward"];
  if (v === undefined)
    return [
      finding(
        node,
        "ip-forward",
        "warning",
        false,
        "could not read net.ipv4.ip_forward",
        "sysctl net.ipv4.ip_forward",
      ),
    ];
  return [
    v === 1
      ? finding(node, "ip-forward", "error", true, "IPv4 forwarding is on")
      : finding(
          node,
          "ip-forward",
          "error",
          false,
          `IPv4 forwarding is off (net.ipv4.ip_forward = ${v}): the node does not route between its pods and the mesh`,
          "sysctl -w net.ipv4.ip_forward=1 (and persist it: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/90-meshctl.conf)",
        ),
  ];
}

/** Effective rp_filter = max(conf.all, conf.<dev>) on the mesh device and the underlay: strict (1) is an error. */
export function checkRpFilter(node: NodeModel, facts: NodeFacts): Finding[] {
  const devs = [facts.device?.name, facts.underlay?.name].filter((d): d is string => d !== undefined);
  const all = facts.sysctl["net.ipv4.conf.all.rp_filter"];
  return devs.map((dev) => {
    const eff = effectiveRpFilter(facts, dev);
    const own = facts.sysctl[`net.ipv4.conf.${dev}.rp_filter`];
    const role = dev === facts.device?.name ? "the mesh device" : "the underlay";
    if (eff === undefined)
      return finding(
        node,
        "rp-filter",
        "warning",
        false,
        `could not read rp_filter of ${dev} (${role})`,
        `sysctl net.ipv4.conf.${dev}.rp_filter`,
      );
    if (eff !== 1)
      return finding(
        node,
        "rp-filter",
        "error",
        true,
        `rp_filter on ${dev} (${role}) is ${eff === 2 ? "loose" : "off"} (${eff})`,
      );
    const fixes = [`sysctl -w net.ipv4.conf.${dev}.rp_filter=2`];
    if (all === 1) fixes.push("sysctl -w net.ipv4.conf.all.rp_filter=2");
    return finding(
      node,
      "rp-filter",
      "error",
      false,
      `reverse-path filtering on ${dev} (${role}) is strict: effective 1 = max(conf.all ${all ?? "?"}, conf.${dev} ${own ?? "?"}); packets whose reply would leave by another interface are dropped`,
      fixes.join("; "),
    );
  });
}

/** Device MTU ≤ underlay MTU − 50 (VXLAN over IPv4), and as the inventory wants. */
export function checkMtu(node: NodeModel, facts: NodeFacts, ctx: CheckContext = {}): Finding[] {
  const dev = facts.device;
  const under = facts.underlay;
  if (dev?.kind !== "vxlan" || under === undefined) return [];
  const max = under.mtu - VXLAN_OVERHEAD;
  const want = node.device.mtu === "auto" ? max : node.device.mtu;
  if (dev.mtu > max) {
    const inv =
      node.device.mtu !== "auto" && node.device.mtu > max
        ? `inventory: set mesh.mtu to auto (or at most ${max}), then ${applyCmd(ctx, node.name)}`
        : `ip link set dev ${dev.name} mtu ${max} (or ${applyCmd(ctx, node.name)})`;
    return [
      finding(
        node,
        "mtu",
        "error",
        false,
        `${dev.name} MTU ${dev.mtu} is more than the underlay ${under.name}'s ${under.mtu} − ${VXLAN_OVERHEAD} = ${max}: full-size packets are dropped after encapsulation (a black hole for large transfers)`,
        inv,
      ),
    ];
  }
  if (want <= max && dev.mtu !== want) {
    return [
      finding(
        node,
        "mtu",
        "warning",
        false,
        `${dev.name} MTU ${dev.mtu} differs from the inventory's ${node.device.mtu === "auto" ? `auto (${max})` : want}`,
        `ip link set dev ${dev.name} mtu ${want} (or ${applyCmd(ctx, node.name)})`,
      ),
    ];
  }
  return [
    finding(
      node,
      "mtu",
      "error",
      true,
      `${dev.name} MTU ${dev.mtu} fits the underlay ${under.name} (${under.mtu})`,
    ),
  ];
}

/** The mesh's UDP port is its own: no other VXLAN device, no other socket (the CNI checks its own port). */
export function checkPort(node: NodeModel, facts: NodeFacts, extra: DiagnoseExtra): Finding[] {
  const port = node.device.port;
  const out: Finding[] = [];
  const others = facts.vxlanPorts.filter((v) => v.port === port && v.device !== node.device.name);
  for (const o of others) {
    const sameVni = o.vni === node.device.vni;
    out.push(
      finding(
        node,
        "udp-port",
        sameVni ? "error" : "warning",
        false,
        sameVni
          ? `another VXLAN device ${o.device} uses UDP ${port} with the same VNI ${o.vni}: the kernel cannot tell the two apart ("VNI already exists")`
          : `another VXLAN device ${o.device} (VNI ${o.vni ?? "?"}) shares UDP ${port}: it works only while the VNIs differ and both devices' flags match ("Address already in use" otherwise)`,
        `inventory: set mesh.port to a port no other VXLAN device uses, then meshctl apply`,
      ),
    );
  }
  const ours = facts.device?.kind === "vxlan" && facts.device.port === port && facts.device.up;
  const anyVxlanUp = ours || facts.vxlanPorts.some((v) => v.port === port && v.up);
  // An up VXLAN device on the port holds one IPv4 socket on it (shared by every such device).
  const expected = anyVxlanUp ? 1 : 0;
  const v4 = extra.udpSockets.filter((s) => s.family === "udp");
  const v6 = extra.udpSockets.filter((s) => s.family === "udp6");
  const foreign = v4.length - expected + v6.length;
  if (foreign > 0) {
    out.push(
      finding(
        node,
        "udp-port",
        "error",
        false,
        `${foreign} socket(s) besides ${anyVxlanUp ? "the VXLAN device's" : "any VXLAN device's"} are bound to UDP ${port} (inode ${extra.udpSockets.map((s) => s.inode).join(", ")})${ours ? "" : `: ${node.device.name} cannot come up ("Address already in use")`}`,
        `find the process with: ss -uapn 'sport = :${port}'; stop it, or set mesh.port in the inventory to a free port, then meshctl apply`,
      ),
    );
  }
  if (others.length === 0 && foreign <= 0)
    out.push(finding(node, "udp-port", "error", true, `UDP ${port} is used by the mesh only`));
  return out;
}

function chainFix(c: ForwardChain, device: string): string {
  if (c.source === "iptables")
    return `iptables -I FORWARD -i ${device} -j ACCEPT; iptables -I FORWARD -o ${device} -j ACCEPT`;
  const [, family, table] = c.source.split(" ");
  return `nft insert rule ${family} ${table} ${c.chain} iifname "${device}" accept; nft insert rule ${family} ${table} ${c.chain} oifname "${device}" accept`;
}

/** A forward chain with policy drop and no accept rule for the mesh device eats cross-cluster traffic. */
export function checkFirewall(node: NodeModel, extra: DiagnoseExtra): Finding[] {
  const device = node.device.name;
  if (!extra.iptables.present && !extra.nft.present) {
    return [
      finding(
        node,
        "forward-policy",
        "warning",
        false,
        "neither iptables nor nft is installed: the FORWARD policy was not checked",
        "install iptables or nftables to let diagnose read the firewall (or check the FORWARD policy by hand)",
      ),
    ];
  }
  const out: Finding[] = [];
  const ipt = extra.iptables.present ? extra.iptables : undefined;
  const nft = extra.nft.present ? extra.nft : undefined;
  for (const t of [ipt, nft]) {
    if (t?.error)
      out.push(
        finding(
          node,
          "forward-policy",
          "warning",
          false,
          `could not read the firewall: ${t.error}`,
          "run diagnose as root (become)",
        ),
      );
  }
  const chains = [...(ipt?.chains ?? []), ...(nft?.chains ?? [])].filter(
    // iptables-nft's FORWARD shows up in nft as `ip filter FORWARD`: report it once.
    (c, _i, all) =>
      !(c.source === "nft ip filter" && c.chain === "FORWARD" && all.some((x) => x.source === "iptables")),
  );
  const dropping = chains.filter((c) => c.policyDrop && !(c.acceptsIn && c.acceptsOut));
  for (const c of dropping) {
    out.push(
      finding(
        node,
        "forward-policy",
        "warning",
        false,
        `${c.source === "iptables" ? "iptables" : c.source} chain ${c.chain} has policy DROP and no accept rule for ${device}: cross-cluster pod traffic is dropped silently unless another rule (e.g. Calico's policy) accepts it`,
        chainFix(c, device),
      ),
    );
  }
  if (dropping.length === 0 && out.length === 0) {
    out.push(
      finding(
        node,
        "forward-policy",
        "warning",
        true,
        chains.some((c) => c.policyDrop)
          ? `forward policy DROP, but ${device} is accepted`
          : "no forward chain drops by policy",
      ),
    );
  }
  return out;
}

/** A main-table route to a prefix inside a remote pod block, as or more specific than it, steals its traffic. */
export function checkOverlaps(
  model: MeshModel,
  node: NodeModel,
  facts: NodeFacts,
  extra: DiagnoseExtra,
): Finding[] {
  const remote: { cidr: Cidr; owner: string }[] = node.routes.map((r) => ({
    cidr: r.dst,
    owner: `${r.peer}'s pod block`,
  }));
  if (remote.length === 0) {
    for (const c of model.clusters)
      if (c.name !== node.cluster) remote.push({ cidr: c.podCidr, owner: `cluster ${c.name}'s pod CIDR` });
  }
  const candidates = [
    ...extra.rootRoutes.flatMap((x) => x.routes),
    ...facts.foreignRoutes.map((r) => ({
      dst: r.dst,
      type: r.type,
      via: r.via,
      dev: r.dev,
      protocol: r.protocol,
    })),
  ].filter((r) => r.protocol !== node.routeProtocol);
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const r of candidates) {
    const key = `${r.type} ${r.dst} ${r.via ?? ""} ${r.dev ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const hit = remote.find((b) => cidrsOverlap(b.cidr, r.dst) && cidrPrefix(r.dst) >= cidrPrefix(b.cidr));
    if (!hit) continue;
    const desc = `${r.type === "unicast" ? "" : `${r.type} `}${r.dst}${r.via ? ` via ${r.via}` : ""}${r.dev ? ` dev ${r.dev}` : ""} proto ${r.protocol}`;
    out.push(
      finding(
        node,
        "route-overlap",
        "error",
        false,
        `route ${desc} is as specific as or more specific than ${hit.owner} ${hit.cidr}: traffic to those pods takes it instead of the mesh`,
        `ip route del ${r.type === "unicast" ? "" : `${r.type} `}${r.dst}${r.dev ? ` dev ${r.dev}` : ""} (if nothing needs it; else renumber the overlapping network)`,
      ),
    );
  }
  for (const x of extra.rootRoutes) {
    if (x.error)
      out.push(
        finding(
          node,
          "route-overlap",
          "warning",
          false,
          `could not list the routes inside ${x.cidr}: ${x.error}`,
          `ip route show root ${x.cidr}`,
        ),
      );
  }
  if (out.length === 0)
    out.push(
      finding(
        node,
        "route-overlap",
        "error",
        true,
        "no other route takes traffic meant for the remote pod blocks",
      ),
    );
  return out;
}

/** Every node check, in the order they are shown. */
export function nodeFindings(
  model: MeshModel,
  node: NodeModel,
  facts: NodeFacts,
  extra: DiagnoseExtra,
  ctx: CheckContext = {},
): Finding[] {
  const cluster = model.clusters.find((c) => c.name === node.cluster);
  return [
    ...checkUnderlay(node, facts),
    ...checkDevice(node, facts, ctx),
    ...checkEntries(node, facts, ctx),
    ...checkForwarding(node, facts),
    ...checkRpFilter(node, facts),
    ...(cluster ? rulesOf(cluster).checkNode(node, cluster, facts) : []),
    ...checkPort(node, facts, extra),
    ...checkFirewall(node, extra),
    ...checkMtu(node, facts, ctx),
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
