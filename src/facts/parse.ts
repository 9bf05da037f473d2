/**
 * Parses the output of `factsScript` into NodeFacts. Pure, no I/O.
 *
 * iproute2 JSON differs between versions and with/without filters, so every field is checked and read
 * tolerantly: numbers may print as numbers or strings, `protocol` as a number or a name (and is omitted
 * when the listing is filtered by protocol, or is `boot` without `-d`), `table` is omitted for main,
 * `dst` is `default` or a bare address for a host route, the VXLAN underlay (`info_data.link`) is a name,
 * an ifindex or `ifN`. Anything that cannot be read throws a FactsParseError naming the section and the
 * JSON path that was wrong.
 */
import { ParseError } from "../core/errors.js";
import { type Cidr, type Ipv4, parseIpv4, routeDstToCidr } from "../net/addr.js";
import { resolveUnderlay } from "./query.js";
import { FACTS_MARKER } from "./script.js";
import type {
  AddressFact,
  DeviceFact,
  FactsParams,
  FdbFact,
  InterfaceFact,
  NeighbourFact,
  NextHopFact,
  NodeFacts,
  RouteFact,
  VxlanPortFact,
} from "./types.js";

export class FactsParseError extends ParseError {
  constructor(
    /** The script section (without `@@`) that could not be read. */
    readonly section: string,
    readonly detail: string,
  ) {
    super(`cannot read node facts: section @@${section}: ${detail}`);
  }
}

// ---- sections ---------------------------------------------------------------------------------------

const SECTION_LINE = /^@@([a-z0-9][a-z0-9-]*)\s*$/;

function preview(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return JSON.stringify(t.length > 160 ? `${t.slice(0, 160)}…` : t);
}

function splitSections(output: string): Map<string, string> {
  const lines = output.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === FACTS_MARKER);
  if (start < 0) {
    throw new FactsParseError(
      "meshctl-facts",
      `no "${FACTS_MARKER}" line: not the output of the facts script (got ${preview(output)})`,
    );
  }
  const sections = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (name !== undefined) sections.set(name, body.join("\n"));
  };
  for (const line of lines.slice(start + 1)) {
    const m = SECTION_LINE.exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    flush();
    name = m[1] as string;
    body = [];
    if (sections.has(name)) throw new FactsParseError(name, "the section appears twice");
    if (name === "end") break;
  }
  if (name !== "end") {
    throw new FactsParseError(
      "end",
      `the output stops in @@${name ?? "meshctl-facts"} before @@end: truncated (script interrupted or connection lost)`,
    );
  }
  sections.set("end", "");
  return sections;
}

function section(sections: Map<string, string>, name: string): string {
  const text = sections.get(name);
  if (text === undefined) throw new FactsParseError(name, "the section is missing");
  return text;
}

function jsonArray(sections: Map<string, string>, name: string): unknown[] {
  const text = section(sections, name).trim();
  if (text === "") throw new FactsParseError(name, "empty: the command printed nothing");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FactsParseError(name, `not JSON (${(e as Error).message}): ${preview(text)}`);
  }
  if (!Array.isArray(value)) throw new FactsParseError(name, `expected a JSON array, got ${kindOf(value)}`);
  return value;
}

// ---- defensive field readers ------------------------------------------------------------------------

interface Ctx {
  section: string;
  path: string;
}

type Obj = Record<string, unknown>;

const at = (c: Ctx, key: string | number): Ctx => ({
  section: c.section,
  path: typeof key === "number" ? `${c.path}[${key}]` : c.path === "" ? key : `${c.path}.${key}`,
});

function fail(c: Ctx, msg: string): never {
  throw new FactsParseError(c.section, c.path === "" ? msg : `${c.path}: ${msg}`);
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 60 ? `${s.slice(0, 60)}…` : s}`;
}

function asObject(v: unknown, c: Ctx): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    fail(c, `expected an object, got ${kindOf(v)}`);
  return v as Obj;
}

/** A field's value; null counts as absent (iproute2 prints flags as `"router": null`). */
function field(o: Obj, key: string): unknown {
  const v = o[key];
  return v === null ? undefined : v;
}

function optString(o: Obj, key: string, c: Ctx): string | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") fail(at(c, key), `expected a string, got ${kindOf(v)}`);
  return v;
}

function reqString(o: Obj, key: string, c: Ctx): string {
  const v = optString(o, key, c);
  if (v === undefined) fail(at(c, key), "missing");
  return v;
}

/** A non-negative integer printed as a number or a decimal string. */
function toInt(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d{1,10}$/.test(v)) return Number(v);
  return undefined;
}

function optInt(o: Obj, key: string, c: Ctx): number | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  const n = toInt(v);
  if (n === undefined) fail(at(c, key), `expected a non-negative integer, got ${kindOf(v)}`);
  return n;
}

function reqInt(o: Obj, key: string, c: Ctx): number {
  const n = optInt(o, key, c);
  if (n === undefined) fail(at(c, key), "missing");
  return n;
}

function optBool(o: Obj, key: string, c: Ctx): boolean | undefined {
  const v = field(o, key);
  if (v === undefined) return undefined;
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  return fail(at(c, key), `expected a boolean, got ${kindOf(v)}`);
}

/** A list of strings; a lone string (some versions) is a list of one; absent is empty. */
function strings(o: Obj, key: string, c: Ctx): string[] {
  const v = field(o, key);
  if (v === undefined) return [];
  if (typeof v === "string") return v === "" ? [] : [v];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    fail(at(c, key), `expected a list of strings, got ${kindOf(v)}`);
  }
  return v as string[];
}

function toIpv4(s: string, c: Ctx): Ipv4 {
  const r = parseIpv4(s);
  if (!r.ok) fail(c, r.error);
  return r.value;
}

function optIpv4(o: Obj, key: string, c: Ctx): Ipv4 | undefined {
  const s = optString(o, key, c);
  return s === undefined ? undefined : toIpv4(s, at(c, key));
}

const isIpv4 = (s: string): s is Ipv4 => parseIpv4(s).ok;

function eachObject(list: unknown[], section: string, f: (o: Obj, c: Ctx) => void): void {
  list.forEach((v, i) => {
    const c = at({ section, path: "" }, i);
    f(asObject(v, c), c);
  });
}

// ---- links and addresses ----------------------------------------------------------------------------

interface Link {
  ifindex: number;
  name: string;
  mtu: number;
  flags: string[];
  operstate: string;
  mac: string;
  kind: string;
  info?: Obj;
  infoCtx: Ctx;
  addresses: AddressFact[];
}

function parseLink(o: Obj, c: Ctx): Link {
  const linkinfo = field(o, "linkinfo");
  const li = linkinfo === undefined ? undefined : asObject(linkinfo, at(c, "linkinfo"));
  const liCtx = at(c, "linkinfo");
  const infoData = li === undefined ? undefined : field(li, "info_data");
  const infoCtx = at(liCtx, "info_data");
  const addrInfo = field(o, "addr_info");
  const addresses: AddressFact[] = [];
  if (addrInfo !== undefined) {
    if (!Array.isArray(addrInfo)) fail(at(c, "addr_info"), `expected a list, got ${kindOf(addrInfo)}`);
    addrInfo.forEach((a, i) => {
      const ac = at(at(c, "addr_info"), i);
      const ao = asObject(a, ac);
      if (optString(ao, "family", ac) !== "inet") return;
      addresses.push({
        ip: toIpv4(reqString(ao, "local", ac), at(ac, "local")),
        prefixLen: reqInt(ao, "prefixlen", ac),
      });
    });
  }
  return {
    ifindex: reqInt(o, "ifindex", c),
    name: reqString(o, "ifname", c),
    mtu: reqInt(o, "mtu", c),
    flags: strings(o, "flags", c),
    operstate: optString(o, "operstate", c) ?? "UNKNOWN",
    mac: (optString(o, "address", c) ?? "").toLowerCase(),
    kind: (li && optString(li, "info_kind", liCtx)) ?? "none",
    ...(infoData === undefined ? {} : { info: asObject(infoData, infoCtx) }),
    infoCtx,
    addresses,
  };
}

function parseLinks(sections: Map<string, string>, name: string): Link[] {
  const out: Link[] = [];
  eachObject(jsonArray(sections, name), name, (o, c) => {
    out.push(parseLink(o, c));
  });
  return out;
}

interface VxlanInfo {
  vni?: number;
  port?: number;
  localIp?: Ipv4;
  link?: string | number;
  learning?: boolean;
  remote?: Ipv4;
  group?: Ipv4;
}

function vxlanInfo(l: Link): VxlanInfo {
  const i = l.info;
  if (l.kind !== "vxlan" || i === undefined) return {};
  const c = l.infoCtx;
  const vni = optInt(i, "id", c) ?? optInt(i, "vni", c);
  const port = optInt(i, "port", c) ?? optInt(i, "dstport", c);
  const local = optString(i, "local", c);
  const remote = optString(i, "remote", c);
  const group = optString(i, "group", c);
  const learning = optBool(i, "learning", c);
  const rawLink = field(i, "link");
  let link: string | number | undefined;
  if (typeof rawLink === "string" && rawLink !== "") link = rawLink;
  else if (rawLink !== undefined) {
    const n = toInt(rawLink);
    if (n === undefined) fail(at(c, "link"), `expected a device name or ifindex, got ${kindOf(rawLink)}`);
    link = n;
  }
  return {
    ...(vni === undefined ? {} : { vni }),
    ...(port === undefined ? {} : { port }),
    // `local6` (an IPv6 tunnel) is not an Ipv4: left undefined, which a diff reads as "wrong local".
    ...(local !== undefined && isIpv4(local) ? { localIp: local } : {}),
    ...(link === undefined ? {} : { link }),
    ...(learning === undefined ? {} : { learning }),
    ...(remote !== undefined && isIpv4(remote) ? { remote } : {}),
    ...(group !== undefined && isIpv4(group) ? { group } : {}),
  };
}

/** The underlay as a name, resolving an ifindex (or iproute2's `ifN` fallback) against known links. */
function resolveLink(
  link: string | number | undefined,
  known: Map<number, string>,
): { underlayDev?: string; underlayIndex?: number } {
  if (link === undefined) return {};
  if (typeof link === "number") {
    const name = known.get(link);
    return { underlayIndex: link, ...(name === undefined ? {} : { underlayDev: name }) };
  }
  const m = /^if(\d+)$/.exec(link);
  if (m && ![...known.values()].includes(link)) {
    const index = Number(m[1]);
    return { underlayIndex: index, underlayDev: known.get(index) ?? link };
  }
  return { underlayDev: link };
}

function toDevice(l: Link, known: Map<number, string>): DeviceFact {
  const v = vxlanInfo(l);
  return {
    name: l.name,
    ifindex: l.ifindex,
    kind: l.kind,
    ...(v.vni === undefined ? {} : { vni: v.vni }),
    ...(v.port === undefined ? {} : { port: v.port }),
    ...(v.localIp === undefined ? {} : { localIp: v.localIp }),
    ...resolveLink(v.link, known),
    ...(v.learning === undefined ? {} : { learning: v.learning }),
    ...(v.remote === undefined ? {} : { remote: v.remote }),
    ...(v.group === undefined ? {} : { group: v.group }),
    mac: l.mac,
    mtu: l.mtu,
    up: l.flags.includes("UP"),
    lowerUp: l.flags.includes("LOWER_UP"),
    operstate: l.operstate,
    flags: l.flags,
    addresses: l.addresses,
  };
}

const toInterface = (l: Link): InterfaceFact => ({
  name: l.name,
  ifindex: l.ifindex,
  mtu: l.mtu,
  up: l.flags.includes("UP"),
  addresses: l.addresses,
});

// ---- neighbours, fdb --------------------------------------------------------------------------------

const NEIGH_FLAGS = ["router", "proxy", "extern_learn", "offload", "managed"];

function parseNeighbours(sections: Map<string, string>): NeighbourFact[] {
  const out: NeighbourFact[] = [];
  eachObject(jsonArray(sections, "neigh"), "neigh", (o, c) => {
    const dst = reqString(o, "dst", c);
    if (!isIpv4(dst)) return; // the listing is -4; anything else is not meshctl's business
    const mac = optString(o, "lladdr", c);
    out.push({
      ip: dst,
      ...(mac === undefined ? {} : { mac: mac.toLowerCase() }),
      state: strings(o, "state", c).map((s) => s.toUpperCase()),
      flags: NEIGH_FLAGS.filter((f) => f in o),
    });
  });
  return out;
}

function fdbKind(mac: string): FdbFact["kind"] {
  if (mac === "00:00:00:00:00:00") return "flood";
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1 ? "multicast" : "unicast";
}

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function parseFdb(sections: Map<string, string>): FdbFact[] {
  const out: FdbFact[] = [];
  eachObject(jsonArray(sections, "fdb"), "fdb", (o, c) => {
    const mac = reqString(o, "mac", c).toLowerCase();
    if (!MAC_TEXT.test(mac)) fail(at(c, "mac"), `expected a MAC address, got ${JSON.stringify(mac)}`);
    const dst = optString(o, "dst", c);
    const state = optString(o, "state", c) ?? "";
    const num = (key: string, alt?: string) =>
      optInt(o, key, c) ?? (alt === undefined ? undefined : optInt(o, alt, c));
    const port = num("port");
    const vni = num("vni");
    const srcVni = num("src_vni");
    const nhid = num("nhid");
    const vlan = num("vlan");
    const via = optString(o, "via", c);
    const master = optString(o, "master", c);
    out.push({
      mac,
      kind: fdbKind(mac),
      ...(dst === undefined ? {} : isIpv4(dst) ? { dst } : { dstOther: dst }),
      flags: strings(o, "flags", c),
      state: state === "" ? "reachable" : state,
      ...(port === undefined ? {} : { port }),
      ...(vni === undefined ? {} : { vni }),
      ...(srcVni === undefined ? {} : { srcVni }),
      ...(via === undefined ? {} : { via }),
      ...(nhid === undefined ? {} : { nhid }),
      ...(vlan === undefined ? {} : { vlan }),
      ...(master === undefined ? {} : { master }),
    });
  });
  return out;
}

// ---- routes -----------------------------------------------------------------------------------------

const TABLE_NAMES: Record<number, string> = { 253: "default", 254: "main", 255: "local" };

function tableOf(o: Obj, c: Ctx): string {
  const v = field(o, "table");
  if (v === undefined) return "main";
  const n = toInt(v);
  if (n !== undefined) return TABLE_NAMES[n] ?? String(n);
  if (typeof v !== "string" || v === "")
    fail(at(c, "table"), `expected a table name or id, got ${kindOf(v)}`);
  return v;
}

function protocolOf(o: Obj, c: Ctx, whenOmitted: number | string): number | string {
  const v = field(o, "protocol");
  if (v === undefined) return whenOmitted;
  const n = toInt(v);
  if (n !== undefined) return n;
  if (typeof v !== "string" || v === "")
    fail(at(c, "protocol"), `expected a protocol name or id, got ${kindOf(v)}`);
  return v;
}

function dstOf(o: Obj, c: Ctx): Cidr {
  const raw = reqString(o, "dst", c);
  const r = routeDstToCidr(raw === "default" ? "0.0.0.0/0" : raw);
  if (!r.ok) fail(at(c, "dst"), r.error);
  return r.value;
}

function parseNextHops(o: Obj, c: Ctx): NextHopFact[] | undefined {
  const v = field(o, "nexthops");
  if (v === undefined) return undefined;
  const nc = at(c, "nexthops");
  if (!Array.isArray(v)) fail(nc, `expected a list, got ${kindOf(v)}`);
  return v.map((h, i) => {
    const hc = at(nc, i);
    const ho = asObject(h, hc);
    const via = optIpv4(ho, "gateway", hc);
    const dev = optString(ho, "dev", hc);
    const weight = optInt(ho, "weight", hc);
    return {
      ...(via === undefined ? {} : { via }),
      ...(dev === undefined ? {} : { dev }),
      ...(weight === undefined ? {} : { weight }),
      flags: strings(ho, "flags", hc),
    };
  });
}

/** `whenOmitted`: the protocol of a route printed without one (the filter's N, or `boot`). */
function parseRoutes(sections: Map<string, string>, name: string, whenOmitted: number | string): RouteFact[] {
  const out: RouteFact[] = [];
  eachObject(jsonArray(sections, name), name, (o, c) => {
    const via = optIpv4(o, "gateway", c);
    const dev = optString(o, "dev", c);
    const scope = optString(o, "scope", c);
    const metric = optInt(o, "metric", c);
    const prefsrc = optIpv4(o, "prefsrc", c);
    const nexthops = parseNextHops(o, c);
    out.push({
      dst: dstOf(o, c),
      type: optString(o, "type", c) ?? "unicast",
      ...(via === undefined ? {} : { via }),
      ...(dev === undefined ? {} : { dev }),
      protocol: protocolOf(o, c, whenOmitted),
      table: tableOf(o, c),
      ...(scope === undefined ? {} : { scope }),
      ...(metric === undefined ? {} : { metric }),
      ...(prefsrc === undefined ? {} : { prefsrc }),
      flags: strings(o, "flags", c),
      ...(nexthops === undefined ? {} : { nexthops }),
    });
  });
  return out;
}

// ---- sysctl, udp, params ----------------------------------------------------------------------------

function parseSysctl(sections: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of section(sections, "sysctl").split("\n")) {
    if (line.trim() === "") continue;
    const m = /^(net\.\S+)\s+(-?\d+)\s*$/.exec(line);
    if (!m) throw new FactsParseError("sysctl", `expected "key value", got ${preview(line)}`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

function parseUdp(sections: Map<string, string>): number[] {
  const ports = new Set<number>();
  for (const line of section(sections, "udp").split("\n")) {
    const t = line.trim();
    if (t === "") continue;
    if (!/^[0-9A-Fa-f]{1,4}$/.test(t))
      throw new FactsParseError("udp", `expected a hex port, got ${preview(t)}`);
    const port = Number.parseInt(t, 16);
    if (port !== 0) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

function parseParams(sections: Map<string, string>): FactsParams {
  const text = section(sections, "params").trim();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FactsParseError("params", `not JSON (${(e as Error).message}): ${preview(text)}`);
  }
  const c: Ctx = { section: "params", path: "" };
  const o = asObject(v, c);
  const routeProtocol = reqInt(o, "routeProtocol", c);
  const underlayDev = optString(o, "underlayDev", c);
  return {
    device: reqString(o, "device", c),
    routeProtocol,
    localIp: toIpv4(reqString(o, "localIp", c), at(c, "localIp")),
    ...(underlayDev === undefined ? {} : { underlayDev }),
  };
}

/** The links the facts are about, picked from the one `links` listing. */
function pickLinks(sections: Map<string, string>, params: FactsParams) {
  const all = parseLinks(sections, "links");
  const deviceLinks = all.filter((l) => l.name === params.device);
  if (deviceLinks.length > 1) {
    throw new FactsParseError(
      "links",
      `expected at most one link named ${params.device}, got ${deviceLinks.length}`,
    );
  }
  return {
    vxlans: all.filter((l) => l.kind === "vxlan"),
    deviceLinks,
    local: all.filter((l) => l.addresses.some((a) => a.ip === params.localIp)),
    underlayLinks: all.filter((l) => l.name === params.underlayDev),
  };
}

/** rp_filter of every interface is read; keep all/default, the device's and the underlay's. */
function keepSysctl(all: Record<string, number>, keep: Set<string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(all).filter(([k]) => {
      const m = /^net\.ipv4\.conf\.(.+)\.rp_filter$/.exec(k);
      return !m || keep.has(m[1] as string);
    }),
  );
}

// ---- all of it --------------------------------------------------------------------------------------

export function parseFacts(output: string): NodeFacts {
  const sections = splitSections(output);
  const params = parseParams(sections);

  const { vxlans, deviceLinks, local, underlayLinks } = pickLinks(sections, params);

  const known = new Map<number, string>();
  for (const l of [...vxlans, ...deviceLinks, ...local, ...underlayLinks]) known.set(l.ifindex, l.name);

  const interfaces: InterfaceFact[] = [];
  for (const l of [...local, ...underlayLinks]) {
    if (!interfaces.some((i) => i.ifindex === l.ifindex)) interfaces.push(toInterface(l));
  }
  const deviceLink = deviceLinks[0];
  const device = deviceLink === undefined ? undefined : toDevice(deviceLink, known);

  const vxlanPorts: VxlanPortFact[] = [];
  for (const l of vxlans) {
    if (l.kind !== "vxlan") continue;
    const v = vxlanInfo(l);
    if (v.port === undefined) continue;
    vxlanPorts.push({
      device: l.name,
      port: v.port,
      ...(v.vni === undefined ? {} : { vni: v.vni }),
      ...(v.localIp === undefined ? {} : { localIp: v.localIp }),
      up: l.flags.includes("UP"),
    });
  }

  const routes = parseRoutes(sections, "routes", params.routeProtocol);
  const ownedMain = new Set(routes.filter((r) => r.table === "main").map((r) => `${r.dst}|${r.metric ?? 0}`));
  const foreignRoutes = parseRoutes(sections, "routes-main", "boot").filter(
    (r) => r.protocol !== params.routeProtocol && !ownedMain.has(`${r.dst}|${r.metric ?? 0}`),
  );

  const underlay = resolveUnderlay({ params, interfaces }, params.localIp);
  return {
    params,
    ...(device === undefined ? {} : { device }),
    ...(underlay === undefined ? {} : { underlay }),
    interfaces,
    neighbours: parseNeighbours(sections),
    fdb: parseFdb(sections),
    routes,
    foreignRoutes,
    sysctl: keepSysctl(
      parseSysctl(sections),
      new Set([
        "all",
        "default",
        params.device,
        ...(underlay ? [underlay.name] : []),
        ...(params.underlayDev ? [params.underlayDev] : []),
      ]),
    ),
    vxlanPorts,
    udpPorts: parseUdp(sections),
  };
}
