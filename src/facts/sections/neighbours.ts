/**
 * `neigh`: IPv4 neighbours on the device (`ip neigh show dev DEV`: IPv6 ones are skipped), JSON or text:
 *   198.18.251.2 lladdr 02:6d:73:00:00:02 PERMANENT
 *   198.18.251.5  FAILED
 *   198.18.251.6 lladdr 02:6d:73:00:00:06 router REACHABLE
 * (`dev X` is printed only without the dev filter; states are upper-case words, flags lower-case.)
 */
import { FactsParseError, preview } from "../errors.js";
import type { NeighbourFact } from "../types.js";
import { eachObject, isIpv4, jsonArray, looksJson, optString, reqString, strings } from "./read.js";
import type { FactsSection } from "./types.js";

const NEIGH_FLAGS = ["router", "proxy", "extern_learn", "offload", "managed"];
/** Keywords followed by a value in the text form. */
const NEIGH_KEYS = new Set(["dev", "lladdr", "proto", "nud", "used", "probes", "vrf"]);

function parseJson(text: string): NeighbourFact[] {
  const out: NeighbourFact[] = [];
  eachObject(jsonArray(text, "neigh"), "neigh", (o, c) => {
    const dst = reqString(o, "dst", c);
    if (!isIpv4(dst)) return; // IPv6 neighbours are not meshctl's business
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

function parseText(text: string): NeighbourFact[] {
  const out: NeighbourFact[] = [];
  for (const line of text.split("\n")) {
    const w = line.trim().split(/\s+/);
    const ip = w[0] ?? "";
    if (ip === "") continue;
    if (!isIpv4(ip)) {
      if (ip.includes(":")) continue; // IPv6: not meshctl's business
      throw new FactsParseError("neigh", `expected "<IPv4> [lladdr MAC] STATE", got ${preview(line)}`);
    }
    let mac: string | undefined;
    const state: string[] = [];
    const flags: string[] = [];
    for (let i = 1; i < w.length; i++) {
      const t = w[i] as string;
      if (NEIGH_KEYS.has(t)) {
        if (t === "lladdr") mac = w[i + 1]?.toLowerCase();
        i++;
      } else if (/^[A-Z_]+$/.test(t)) state.push(t);
      else if (NEIGH_FLAGS.includes(t)) flags.push(t);
    }
    out.push({ ip, ...(mac === undefined ? {} : { mac }), state, flags });
  }
  return out;
}

export const neighSection: FactsSection = {
  name: "neigh",
  command: (p) => ({ tool: "ip", args: `neigh show dev ${p.device}`, when: "device" }),
  parse(text, d) {
    d.neighbours = d.caps.ipJson || looksJson(text) ? parseJson(text) : parseText(text);
  },
  readback: true,
  fields: ["neighbours"],
};
