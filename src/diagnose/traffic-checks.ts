/** Diagnose checks of what else on the node can take the mesh's traffic: the UDP port, the firewall, routes. */
import type { NodeFacts } from "../facts/types.js";
import type { MeshModel, NodeModel } from "../model/types.js";
import { type Cidr, cidrPrefix, cidrsOverlap } from "../net/addr.js";
import { finding } from "./finding.js";
import type { DiagnoseExtra, Finding, ForwardChain } from "./types.js";

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
