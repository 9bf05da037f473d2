/** What the link parsers (JSON: link.ts, text: link-text.ts) make of one link. */
import type { Ipv4 } from "../../net/addr.js";
import type { AddressFact } from "../types.js";

export interface VxlanInfo {
  vni?: number;
  port?: number;
  localIp?: Ipv4;
  /** The underlay as printed: a name, an ifindex, or iproute2's `ifN` fallback. */
  link?: string | number;
  learning?: boolean;
  remote?: Ipv4;
  group?: Ipv4;
}

export interface Link {
  ifindex: number;
  name: string;
  mtu: number;
  flags: string[];
  operstate: string;
  mac: string;
  /** rtnl link kind; `none` for a kind-less link (NIC, lo). */
  kind: string;
  vxlan?: VxlanInfo;
  /** Interface alias (`ip link set dev X alias …`); meshctl marks its device with one. */
  alias?: string;
  addresses: AddressFact[];
}
