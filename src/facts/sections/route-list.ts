/**
 * A route listing (`ip -d route show …`, IPv4 unless told otherwise), JSON or plain text. With `-d` the text form starts with the
 * type, then the destination and keyword/value pairs; a multipath route continues on `nexthop` lines:
 *   unicast 198.18.252.0/26 via 198.18.251.2 dev mshvx0 table main scope global onlink
 *   blackhole 198.18.255.0/24 proto bird
 *   unicast 198.18.255.128/25 proto boot
 *   	nexthop via 198.18.250.10 dev eth0 weight 1
 * `protocol` is omitted when the listing is filtered by protocol (and `boot` without -d), `table` for main
 * (older versions), `dst` is `default` or a bare address for a host route.
 */
import { type Cidr, routeDstToCidr } from "../../net/addr.js";
import { FactsParseError, preview } from "../errors.js";
import type { NextHopFact, RouteFact } from "../types.js";
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
  optInt,
  optIpv4,
  optString,
  reqString,
  strings,
  toInt,
} from "./read.js";

const TABLE_NAMES: Record<number, string> = { 253: "default", 254: "main", 255: "local" };

function tableName(v: unknown, c: Ctx): string {
  if (v === undefined) return "main";
  const n = toInt(v);
  if (n !== undefined) return TABLE_NAMES[n] ?? String(n);
  if (typeof v !== "string" || v === "")
    fail(at(c, "table"), `expected a table name or id, got ${kindOf(v)}`);
  return v;
}

function protocolOf(v: unknown, c: Ctx, whenOmitted: number | string): number | string {
  if (v === undefined) return whenOmitted;
  const n = toInt(v);
  if (n !== undefined) return n;
  if (typeof v !== "string" || v === "")
    fail(at(c, "protocol"), `expected a protocol name or id, got ${kindOf(v)}`);
  return v;
}

function dstOf(raw: string, c: Ctx): Cidr {
  const r = routeDstToCidr(raw === "default" ? "0.0.0.0/0" : raw);
  if (!r.ok) fail(at(c, "dst"), r.error);
  return r.value;
}

function nextHopsJson(o: Obj, c: Ctx): NextHopFact[] | undefined {
  const v = field(o, "nexthops");
  if (v === undefined) return undefined;
  const nc = at(c, "nexthops");
  if (!Array.isArray(v)) fail(nc, `expected a list, got ${kindOf(v)}`);
  return v.map((h, i) => {
    const hc = at(nc, i);
    const ho = asObject(h, hc);
    return {
      ...defined({
        via: optIpv4(ho, "gateway", hc),
        dev: optString(ho, "dev", hc),
        weight: optInt(ho, "weight", hc),
      }),
      flags: strings(ho, "flags", hc),
    };
  });
}

function parseJson(text: string, section: string, whenOmitted: number | string): RouteFact[] {
  const out: RouteFact[] = [];
  eachObject(jsonArray(text, section), section, (o, c) => {
    const nexthops = nextHopsJson(o, c);
    out.push({
      dst: dstOf(reqString(o, "dst", c), c),
      type: optString(o, "type", c) ?? "unicast",
      ...defined({ via: optIpv4(o, "gateway", c), dev: optString(o, "dev", c) }),
      protocol: protocolOf(field(o, "protocol"), c, whenOmitted),
      table: tableName(field(o, "table"), c),
      ...defined({
        scope: optString(o, "scope", c),
        metric: optInt(o, "metric", c),
        prefsrc: optIpv4(o, "prefsrc", c),
      }),
      flags: strings(o, "flags", c),
      ...(nexthops === undefined ? {} : { nexthops }),
    });
  });
  return out;
}

const TYPES = new Set([
  "unicast",
  "local",
  "broadcast",
  "anycast",
  "multicast",
  "blackhole",
  "unreachable",
  "prohibit",
  "throw",
  "nat",
  "xresolve",
]);
const FLAGS = new Set([
  "onlink",
  "dead",
  "linkdown",
  "pervasive",
  "offload",
  "trap",
  "notify",
  "unresolved",
  "rt_offload",
  "rt_trap",
  "rt_offload_failed",
]);

/** Keyword/value pairs and lone flags of one route (or nexthop) line. */
function words(w: string[]): { kv: Map<string, string>; flags: string[] } {
  const kv = new Map<string, string>();
  const flags: string[] = [];
  for (let i = 0; i < w.length; i++) {
    const t = w[i] as string;
    if (FLAGS.has(t)) flags.push(t);
    else if ((t === "via" && w[i + 1] === "inet") || w[i + 1] === "lock") {
      kv.set(t, w[i + 2] ?? ""); // `via inet X` (older), `mtu lock N`
      i += 2;
    } else if (w[i + 1] !== undefined) kv.set(t, w[++i] as string);
    else flags.push(t);
  }
  return { kv, flags };
}

function viaOf(kv: Map<string, string>, c: Ctx) {
  const via = kv.get("via");
  if (via !== undefined && !isIpv4(via))
    fail(at(c, "gateway"), `expected an IPv4 address, got ${JSON.stringify(via)}`);
  return via;
}

function parseText(text: string, section: string, whenOmitted: number | string): RouteFact[] {
  const out: RouteFact[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const c: Ctx = { section, path: `[${out.length}]` };
    const w = line.trim().split(/\s+/);
    const last = out[out.length - 1];
    if (w[0] === "nexthop" && last !== undefined) {
      const { kv, flags } = words(w.slice(1));
      last.nexthops ??= [];
      last.nexthops.push({
        ...defined({ via: viaOf(kv, c), dev: kv.get("dev"), weight: toInt(kv.get("weight")) }),
        flags,
      });
      continue;
    }
    if (/^\s/.test(line) && last !== undefined) continue; // continuation lines of other details (cache, …)
    const type = TYPES.has(w[0] as string) ? (w.shift() as string) : "unicast";
    const dst = w.shift();
    if (dst === undefined) throw new FactsParseError(section, `unexpected line ${preview(line)}`);
    const { kv, flags } = words(w);
    const src = kv.get("src");
    out.push({
      dst: dstOf(dst, c),
      type,
      ...defined({ via: viaOf(kv, c), dev: kv.get("dev") }),
      protocol: protocolOf(kv.get("proto"), c, whenOmitted),
      table: tableName(kv.get("table"), c),
      ...defined({
        scope: kv.get("scope"),
        metric: toInt(kv.get("metric")),
        prefsrc: src !== undefined && isIpv4(src) ? src : undefined,
      }),
      flags,
    });
  }
  return out;
}

/** `whenOmitted`: the protocol of a route printed without one (the filter's N, or `boot`). */
export function parseRouteList(
  text: string,
  section: string,
  askedJson: boolean,
  whenOmitted: number | string,
): RouteFact[] {
  return askedJson || looksJson(text)
    ? parseJson(text, section, whenOmitted)
    : parseText(text, section, whenOmitted);
}
