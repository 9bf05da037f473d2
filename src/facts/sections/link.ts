/**
 * One link as `ip -d addr show` / `ip -d link show` prints it, JSON or plain text, with its IPv4
 * addresses and (VXLAN) details. Shared by the device, vxlans, holder and underlay sections.
 */
import type { AddressFact } from "../types.js";
import { parseLinksText } from "./link-text.js";
import type { Link, VxlanInfo } from "./link-types.js";
import {
  asObject,
  at,
  type Ctx,
  defined,
  eachObject,
  fail,
  field,
  isIpv4,
  jsonArray,
  kindOf,
  looksJson,
  type Obj,
  optBool,
  optInt,
  optString,
  reqInt,
  reqString,
  strings,
  toInt,
  toIpv4,
} from "./read.js";

function addressesOf(o: Obj, c: Ctx): AddressFact[] {
  const addrInfo = field(o, "addr_info");
  if (addrInfo === undefined) return [];
  if (!Array.isArray(addrInfo)) fail(at(c, "addr_info"), `expected a list, got ${kindOf(addrInfo)}`);
  const out: AddressFact[] = [];
  addrInfo.forEach((a, i) => {
    const ac = at(at(c, "addr_info"), i);
    const ao = asObject(a, ac);
    if (optString(ao, "family", ac) !== "inet") return;
    out.push({
      ip: toIpv4(reqString(ao, "local", ac), at(ac, "local")),
      prefixLen: reqInt(ao, "prefixlen", ac),
    });
  });
  return out;
}

function vxlanInfo(i: Obj, c: Ctx): VxlanInfo {
  const local = optString(i, "local", c);
  const remote = optString(i, "remote", c);
  const group = optString(i, "group", c);
  const rawLink = field(i, "link");
  let link: string | number | undefined;
  if (typeof rawLink === "string" && rawLink !== "") link = rawLink;
  else if (rawLink !== undefined) {
    const n = toInt(rawLink);
    if (n === undefined) fail(at(c, "link"), `expected a device name or ifindex, got ${kindOf(rawLink)}`);
    link = n;
  }
  return defined({
    vni: optInt(i, "id", c) ?? optInt(i, "vni", c),
    port: optInt(i, "port", c) ?? optInt(i, "dstport", c),
    // `local6` (an IPv6 tunnel) is not an Ipv4: left undefined, which a diff reads as "wrong local".
    localIp: local !== undefined && isIpv4(local) ? local : undefined,
    link,
    learning: optBool(i, "learning", c),
    remote: remote !== undefined && isIpv4(remote) ? remote : undefined,
    group: group !== undefined && isIpv4(group) ? group : undefined,
  });
}

function parseLinkJson(o: Obj, c: Ctx): Link {
  const linkinfo = field(o, "linkinfo");
  const liCtx = at(c, "linkinfo");
  const li = linkinfo === undefined ? undefined : asObject(linkinfo, liCtx);
  const kind = (li && optString(li, "info_kind", liCtx)) ?? "none";
  const infoCtx = at(liCtx, "info_data");
  const infoData = li === undefined ? undefined : field(li, "info_data");
  const info = infoData === undefined ? undefined : asObject(infoData, infoCtx);
  return {
    ifindex: reqInt(o, "ifindex", c),
    name: reqString(o, "ifname", c),
    mtu: reqInt(o, "mtu", c),
    flags: strings(o, "flags", c),
    operstate: optString(o, "operstate", c) ?? "UNKNOWN",
    mac: (optString(o, "address", c) ?? "").toLowerCase(),
    ...(optString(o, "ifalias", c) ? { alias: optString(o, "ifalias", c) } : {}),
    kind,
    ...(kind === "vxlan" && info !== undefined ? { vxlan: vxlanInfo(info, infoCtx) } : {}),
    addresses: addressesOf(o, c),
  };
}

/** A link listing (`ip [-j] -d addr|link show …`): JSON when asked for (or printed anyway), else plain text. */
export function parseLinks(text: string, section: string, askedJson: boolean): Link[] {
  if (!askedJson && !looksJson(text)) return parseLinksText(text, section);
  const out: Link[] = [];
  eachObject(jsonArray(text, section), section, (o, c) => {
    out.push(parseLinkJson(o, c));
  });
  return out;
}
