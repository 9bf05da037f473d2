/**
 * The lab's network: the bridge, node and pod namespaces with their veths and addresses, and (busy labs) the
 * Calico-like load of every node. Every step records what it makes in the state before making it.
 */
import { existsSync, writeFileSync } from "node:fs";
import type { LimitFunction } from "p-limit";
import { busyNodeScript } from "./busy.js";
import { LabError } from "./errors.js";
import { BRIDGE_ALIAS_PREFIX } from "./host.js";
import { osRelease } from "./osrelease.js";
import {
  CONTROLLER_IP,
  CONTROLLER_IP2,
  LAB_BRIDGE,
  LAB_BRIDGE2,
  LAB_RANGE,
  type LabPlan,
  type PlannedNode,
  POD_BLOCK_PREFIX,
  POD_MTU,
  ROUTER_NS,
  SUBNETS,
  UNDERLAY_MTU,
  UNDERLAY_PREFIX,
} from "./plan.js";
import type { LabState } from "./state.js";
import { ipBatch, run, shq, which } from "./sys.js";

type Timed = <T>(what: string, f: () => Promise<T>) => Promise<T>;

export async function buildNetwork(
  plan: LabPlan,
  st: LabState,
  save: () => void,
  timed: Timed,
  parallel: LimitFunction,
): Promise<void> {
  const dir = st.info.dir;
  await timed("bridge, namespaces and links", async () => {
    // The bridge goes first, alone: creating it is the machine-wide lock (a second lab fails here).
    try {
      await run("ip", [
        "link",
        "add",
        LAB_BRIDGE,
        "mtu",
        String(UNDERLAY_MTU),
        "type",
        "bridge",
        "nf_call_iptables",
        "0",
        "nf_call_ip6tables",
        "0",
        "nf_call_arptables",
        "0",
      ]);
    } catch (err) {
      throw new LabError(
        `cannot create the lab bridge ${LAB_BRIDGE} (is another lab starting?): ${(err as Error).message}`,
      );
    }
    st.links.push(LAB_BRIDGE);
    save();
    await run("ip", ["link", "set", "dev", LAB_BRIDGE, "alias", `${BRIDGE_ALIAS_PREFIX}${dir}`]);
    disableIpv6(LAB_BRIDGE);

    const unreachable = await run("ip", ["route", "show", "type", "unreachable", LAB_RANGE]);
    if (unreachable.stdout.trim() === "") {
      st.routes.push(["unreachable", LAB_RANGE]);
      save();
      await run("ip", ["route", "add", "unreachable", LAB_RANGE]);
    }

    if (plan.subnets === 2) await secondSubnet(st, save);
    for (const n of plan.nodes) st.namespaces.push(n.namespace, n.podNamespace);
    for (const n of plan.nodes) st.links.push(n.hostLink);
    save();
    await ipBatch(plan.nodes.flatMap((n) => [`netns add ${n.namespace}`, `netns add ${n.podNamespace}`]));
    await ipBatch(
      plan.nodes.flatMap((n) => [
        `link add ${n.hostLink} mtu ${UNDERLAY_MTU} type veth peer name eth0 mtu ${UNDERLAY_MTU} netns ${n.namespace}`,
        `link set ${n.hostLink} master ${n.subnet === 2 ? LAB_BRIDGE2 : LAB_BRIDGE}`,
        `link add pod0 mtu ${POD_MTU} netns ${n.namespace} type veth peer name eth0 mtu ${POD_MTU} netns ${n.podNamespace}`,
      ]),
    );
    for (const n of plan.nodes) disableIpv6(n.hostLink);
    await ipBatch([
      ...plan.nodes.map((n) => `link set ${n.hostLink} up`),
      `address add ${CONTROLLER_IP}/${UNDERLAY_PREFIX} dev ${LAB_BRIDGE}`,
      `link set ${LAB_BRIDGE} up`,
    ]);
  });

  await timed("namespace addresses and routes", async () => {
    const ip = which("ip") ?? "ip";
    await Promise.all(
      plan.nodes.flatMap((n) => [
        parallel(() =>
          run("ip", [
            "netns",
            "exec",
            n.namespace,
            "sh",
            "-ec",
            nodeScript(ip, n, !!plan.busy, plan.subnets),
          ]),
        ),
        parallel(() =>
          run("ip", ["netns", "exec", n.podNamespace, "sh", "-ec", podScript(ip, n, !!plan.busy)]),
        ),
      ]),
    );
  });

  const busy = plan.busy;
  if (busy) {
    await timed(`Calico-like load (${busy.pods} pods, ${busy.services} services per node)`, async () => {
      const tools = busyTools();
      await Promise.all(
        plan.clusters.flatMap((c) =>
          c.nodes.map((n) =>
            parallel(() =>
              run("ip", [
                "netns",
                "exec",
                n.namespace,
                "sh",
                "-ec",
                busyNodeScript(n, c, busy, osRelease(n.os), tools),
              ]),
            ),
          ),
        ),
      );
    });
  }
}

/** Root-namespace ends of the router's two legs (ports of the two bridges). */
const ROUTER_LEGS = [`${LAB_BRIDGE}-r1`, `${LAB_BRIDGE}-r2`] as const;

/**
 * --subnets 2: the second bridge (the controller on it too, so it reaches every node's SSH directly) and
 * the router namespace joining the two subnets (forwarding on, rp_filter off, nothing else routed).
 */
async function secondSubnet(st: LabState, save: () => void): Promise<void> {
  st.links.push(LAB_BRIDGE2, ...ROUTER_LEGS);
  st.namespaces.push(ROUTER_NS);
  save();
  const [s1, s2] = SUBNETS;
  await run("ip", ["link", "add", LAB_BRIDGE2, "mtu", String(UNDERLAY_MTU), "type", "bridge"]);
  disableIpv6(LAB_BRIDGE2);
  await ipBatch([
    `netns add ${ROUTER_NS}`,
    `link add ${ROUTER_LEGS[0]} mtu ${UNDERLAY_MTU} type veth peer name u1 mtu ${UNDERLAY_MTU} netns ${ROUTER_NS}`,
    `link add ${ROUTER_LEGS[1]} mtu ${UNDERLAY_MTU} type veth peer name u2 mtu ${UNDERLAY_MTU} netns ${ROUTER_NS}`,
    `link set ${ROUTER_LEGS[0]} master ${LAB_BRIDGE}`,
    `link set ${ROUTER_LEGS[1]} master ${LAB_BRIDGE2}`,
  ]);
  for (const l of [...ROUTER_LEGS]) disableIpv6(l);
  await ipBatch([
    `link set ${ROUTER_LEGS[0]} up`,
    `link set ${ROUTER_LEGS[1]} up`,
    `address add ${CONTROLLER_IP2}/${UNDERLAY_PREFIX} dev ${LAB_BRIDGE2}`,
    `link set ${LAB_BRIDGE2} up`,
  ]);
  const ip = which("ip") ?? "ip";
  const script = [
    ...SYSCTL_NO_IPV6,
    "echo 1 > /proc/sys/net/ipv4/ip_forward",
    'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > "$f"; done',
    `${shq(ip)} -batch - <<'EOF'`,
    "link set lo up",
    `address add ${s1.router}/${UNDERLAY_PREFIX} dev u1`,
    `address add ${s2.router}/${UNDERLAY_PREFIX} dev u2`,
    "link set u1 up",
    "link set u2 up",
    "EOF",
  ].join("\n");
  await run("ip", ["netns", "exec", ROUTER_NS, "sh", "-ec", script]);
}

export function disableIpv6(ifname: string): void {
  const path = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
  if (existsSync(path)) writeFileSync(path, "1\n");
}

const SYSCTL_NO_IPV6 = [
  "if [ -d /proc/sys/net/ipv6 ]; then",
  "  echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6",
  "  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
  "fi",
];

export function busyTools() {
  const bridge = which("bridge");
  if (!bridge) throw new LabError("bridge not found (needed for busy nodes' FDB): apt-get install iproute2");
  const iptablesRestore = which("iptables-restore");
  if (!iptablesRestore) {
    throw new LabError(
      "iptables-restore not found (busy nodes carry Calico's iptables chains): apt-get install iptables, or --bare",
    );
  }
  return { ip: which("ip") ?? "ip", bridge, iptablesRestore };
}

/**
 * Inside a node namespace: no IPv6, forwarding on, underlay address, the pod veth's gateway address. Busy
 * (Calico-like) nodes route the pod as Calico does: a /32 route to it, no connected route for the block
 * (the block gets Calico's blackhole).
 */
function nodeScript(ip: string, n: PlannedNode, calico: boolean, subnets: 1 | 2): string {
  const [here, there] = n.subnet === 2 ? [SUBNETS[1], SUBNETS[0]] : [SUBNETS[0], SUBNETS[1]];
  return [
    ...SYSCTL_NO_IPV6,
    "echo 1 > /proc/sys/net/ipv4/ip_forward",
    `${shq(ip)} -batch - <<'EOF'`,
    "link set lo up",
    `address add ${n.underlayIp}/${UNDERLAY_PREFIX} dev eth0`,
    "link set eth0 up",
    // --subnets 2: the other underlay subnet through the router (no default route, as ever).
    ...(subnets === 2 ? [`route add ${there.net} via ${here.router} dev eth0`] : []),
    `address add ${n.podGateway}/${calico ? 32 : POD_BLOCK_PREFIX} dev pod0`,
    "link set pod0 up",
    ...(calico ? [`route add ${n.podIp}/32 dev pod0 scope link`] : []),
    "EOF",
  ].join("\n");
}

/** Inside a pod namespace: no IPv6, the pod address, default route via the node. */
function podScript(ip: string, n: PlannedNode, calico: boolean): string {
  return [
    ...SYSCTL_NO_IPV6,
    `${shq(ip)} -batch - <<'EOF'`,
    "link set lo up",
    `address add ${n.podIp}/${calico ? 32 : POD_BLOCK_PREFIX} dev eth0`,
    "link set eth0 up",
    ...(calico ? [`route add ${n.podGateway}/32 dev eth0 scope link`] : []),
    `route add default via ${n.podGateway}`,
    "EOF",
  ].join("\n");
}
