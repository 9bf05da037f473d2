/**
 * The diagnose reads that join the facts script as fact sections (so they run in the same `ip -batch`
 * process and are read by the same route parser, JSON or plain text): per other cluster's pod CIDR, the
 * main table's routes inside it (`ip route show table main root CIDR`). Section `root-A-B-C-D-LEN`.
 */
import type { FactsSection } from "../facts/index.js";
import { parseRouteList } from "../facts/sections/route-list.js";
import { type Cidr, parseCidr } from "../net/addr.js";
import type { DiagnoseExtra } from "./types.js";

const PREFIX = "root-";
export const rootSectionName = (c: Cidr): string => PREFIX + c.replace(/[./]/g, "-");

function cidrOf(name: string): Cidr | undefined {
  const m = /^root-(\d+)-(\d+)-(\d+)-(\d+)-(\d+)$/.exec(name);
  if (!m) return undefined;
  const r = parseCidr(`${m[1]}.${m[2]}.${m[3]}.${m[4]}/${m[5]}`);
  return r.ok ? r.value : undefined;
}

/** The sections for these CIDRs; each parse appends to `into` (an unreadable listing is an `error`). */
export function rootSections(cidrs: readonly Cidr[], into: DiagnoseExtra["rootRoutes"] = []): FactsSection[] {
  return cidrs.map((cidr) => ({
    name: rootSectionName(cidr),
    command: () => ({ tool: "ip", args: `route show table main root ${cidr}` }),
    parse(text, d) {
      try {
        const routes = parseRouteList(text, rootSectionName(cidr), d.caps.ipJson, "boot").map((r) => ({
          dst: r.dst,
          type: r.type,
          ...(r.via === undefined ? {} : { via: r.via }),
          ...(r.dev === undefined ? {} : { dev: r.dev }),
          protocol: r.protocol,
          ...(r.scope === undefined ? {} : { scope: r.scope }),
        }));
        into.push({ cidr, routes });
      } catch (e) {
        into.push({ cidr, routes: [], error: (e as Error).message.slice(0, 160) });
      }
    },
    readback: false,
    fields: [],
  }));
}

/** The root sections an output holds (their CIDRs are in their names). */
export function rootCidrsIn(names: Iterable<string>): Cidr[] {
  const out: Cidr[] = [];
  for (const n of names) {
    const c = n.startsWith(PREFIX) ? cidrOf(n) : undefined;
    if (c !== undefined) out.push(c);
  }
  return out;
}
