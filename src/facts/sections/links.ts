/**
 * The link sections: only the links meshctl needs, never a dump of every link (a busy Kubernetes node has
 * hundreds of veths and an address per Service on kube-ipvs0). Only `addr show`, and never with `-4`:
 * in one `ip -batch`, an `addr show` after a `link show` prints no addresses (iproute2 6.1, seen here), and
 * `ip -4 addr show dev X` omits a link without an IPv4 address (`-j`: prints `{}` for it).
 *   device    ip -d addr show dev DEV         the managed device (whatever its kind), or [] when absent
 *   vxlans    ip -d addr show type vxlan      every VXLAN device (ports and VNIs that could collide)
 *   holder    ip addr show to LOCAL/32        the interface(s) holding the local IP (the underlay); the sysctl
 *                                             section reads their rp_filter and forwarding
 *   underlay  ip addr show dev UNDERLAY       only when the inventory names one that exists, or []
 */
import { parseLinks } from "./link.js";
import type { FactsSection } from "./types.js";

export const deviceSection: FactsSection = {
  name: "device",
  command: (p) => ({ tool: "ip", args: `addr show dev ${p.device}`, when: "device" }),
  parse(text, d) {
    d.device = parseLinks(text, "device", d.caps.ipJson);
  },
  readback: true,
  fields: ["device"],
};

export const vxlansSection: FactsSection = {
  name: "vxlans",
  command: () => ({ tool: "ip", args: "addr show type vxlan" }),
  parse(text, d) {
    d.vxlans = parseLinks(text, "vxlans", d.caps.ipJson);
  },
  readback: false,
  fields: ["vxlanPorts"],
};

export const holderSection: FactsSection = {
  name: "holder",
  command: (p) => ({ tool: "ip", args: `addr show to ${p.localIp}/32`, names: true }),
  parse(text, d) {
    d.holders = parseLinks(text, "holder", d.caps.ipJson);
  },
  readback: false,
  fields: ["underlay", "interfaces"],
};

export const underlaySection: FactsSection = {
  name: "underlay",
  command: (p) => ({
    tool: "ip",
    args: `addr show dev ${p.underlayDev ?? "-"}`,
    when: "underlay",
  }),
  parse(text, d) {
    d.underlays = parseLinks(text, "underlay", d.caps.ipJson);
  },
  readback: false,
  fields: ["interfaces"],
};
