/**
 * Route protocol numbers (`ip route … proto N`) that other software already uses. meshctl marks its routes
 * with its own number and deletes every route carrying it on teardown, so sharing a number with a routing
 * daemon would delete that daemon's routes. Sources: the kernel's <linux/rtnetlink.h> RTPROT_* values
 * (also iproute2's /etc/iproute2/rt_protos), FRR's zebra/rt_netlink.h, Calico Felix's route table. Pure.
 */
const OWNERS: ReadonlyMap<number, string> = new Map([
  [0, "the kernel (unspec)"],
  [1, "the kernel (ICMP redirects)"],
  [2, "the kernel (its own routes)"],
  [3, "the kernel (boot: routes added without a protocol, e.g. by ip route add)"],
  [4, "the kernel (static: routes added by an administrator, NetworkManager, systemd-networkd)"],
  [8, "gated"],
  [9, "router advertisements (ra)"],
  [10, "Merit MRT"],
  [11, "zebra (Quagga/FRR)"],
  [12, "BIRD (Calico's BGP daemon included)"],
  [13, "dnrouted (DECnet)"],
  [14, "XORP"],
  [15, "Netsukuku (ntk)"],
  [16, "DHCP clients (dhcp)"],
  [17, "mrouted (multicast)"],
  [18, "keepalived"],
  [42, "babeld (and FRR's babel)"],
  [80, "Calico Felix (its VXLAN, IPIP and workload routes)"],
  [99, "Open/R (openr)"],
  [186, "FRR bgpd (bgp)"],
  [187, "FRR isisd (isis)"],
  [188, "FRR ospfd (ospf)"],
  [189, "FRR ripd (rip)"],
  [190, "FRR ripngd (ripng)"],
  [191, "FRR nhrpd (nhrp)"],
  [192, "FRR eigrpd (eigrp)"],
  [193, "FRR ldpd (ldp)"],
  [194, "FRR sharpd (sharp)"],
  [195, "FRR pbrd (pbr)"],
  [196, "FRR staticd (zstatic)"],
  [197, "FRR fabricd (openfabric)"],
  [198, "FRR pathd (srte)"],
]);

/** Every number meshctl refuses (for the README and tests). */
export const TAKEN_ROUTE_PROTOCOLS: readonly number[] = [...OWNERS.keys()];

export function routeProtocolProblem(n: number): string | undefined {
  const owner = OWNERS.get(n);
  if (owner === undefined) return undefined;
  return `route protocol ${n} belongs to ${owner}: meshctl deletes every route carrying its protocol on teardown, so choose a number nobody uses (default 77; taken: ${TAKEN_ROUTE_PROTOCOLS.join(", ")})`;
}
