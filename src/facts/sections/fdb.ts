/**
 * `fdb`: FDB entries on the device (`bridge fdb show dev DEV`), JSON or plain text:
 *   02:6d:73:00:00:02 dst 198.18.250.3 self permanent
 *   02:6d:73:00:00:02 dev mshvx0 dst 198.18.250.3 self permanent        (older: `dev` printed, even twice)
 *   02:6d:73:00:00:02 198.18.250.3 self permanent                        (4.17–4.18: `dst` keyword dropped)
 * Keyword/value pairs in any order; the state is the last word (`permanent`, `static`, `stale`, or none
 * for a learned live entry).
 */
import { FactsParseError, preview } from "../errors.js";
import type { FdbFact } from "../types.js";
import {
  at,
  defined,
  eachObject,
  fail,
  isIpv4,
  jsonArray,
  looksJson,
  optInt,
  optString,
  reqString,
  strings,
  toInt,
} from "./read.js";
import type { FactsSection } from "./types.js";

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const STATES = new Set(["permanent", "static", "stale", "reachable"]);
const FLAGS = new Set(["self", "router", "extern_learn", "offload", "sticky", "use", "master"]);

function fdbKind(mac: string): FdbFact["kind"] {
  if (mac === "00:00:00:00:00:00") return "flood";
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1 ? "multicast" : "unicast";
}

function entry(
  mac: string,
  dst: string | undefined,
  flags: string[],
  state: string,
  o: Partial<FdbFact>,
): FdbFact {
  return {
    mac,
    kind: fdbKind(mac),
    ...(dst === undefined ? {} : isIpv4(dst) ? { dst } : { dstOther: dst }),
    flags,
    state: state === "" ? "reachable" : state,
    ...defined(o),
  };
}

function parseJson(text: string): FdbFact[] {
  const out: FdbFact[] = [];
  eachObject(jsonArray(text, "fdb"), "fdb", (o, c) => {
    const mac = reqString(o, "mac", c).toLowerCase();
    if (!MAC_TEXT.test(mac)) fail(at(c, "mac"), `expected a MAC address, got ${JSON.stringify(mac)}`);
    const num = (key: string) => optInt(o, key, c);
    out.push(
      entry(mac, optString(o, "dst", c), strings(o, "flags", c), optString(o, "state", c) ?? "", {
        port: num("port"),
        vni: num("vni"),
        srcVni: num("src_vni"),
        via: optString(o, "via", c),
        nhid: num("nhid"),
        vlan: num("vlan"),
        master: optString(o, "master", c),
      }),
    );
  });
  return out;
}

function parseLine(line: string): FdbFact {
  const w = line.trim().split(/\s+/);
  const mac = (w[0] ?? "").toLowerCase();
  if (!MAC_TEXT.test(mac))
    throw new FactsParseError("fdb", `expected "<MAC> … [state]", got ${preview(line)}`);
  const kv = new Map<string, string>();
  const flags: string[] = [];
  let state = "";
  for (let i = 1; i < w.length; i++) {
    const t = w[i] as string;
    if (STATES.has(t)) state = t;
    else if (t === "master" && w[i + 1] !== undefined && !STATES.has(w[i + 1] as string))
      kv.set(t, w[++i] as string);
    else if (FLAGS.has(t)) flags.push(t);
    // iproute2 4.17–4.18 printed the destination without its keyword (fixed by commit 4abb8c72, 4.19).
    else if (isIpv4(t) && !kv.has("dst")) kv.set("dst", t);
    else if (w[i + 1] !== undefined) kv.set(t, w[++i] as string);
  }
  const num = (k: string) => toInt(kv.get(k));
  return entry(mac, kv.get("dst"), flags, state, {
    port: num("port"),
    vni: num("vni"),
    srcVni: num("src_vni"),
    via: kv.get("via"),
    nhid: num("nhid"),
    vlan: num("vlan"),
    master: kv.get("master"),
  });
}

export const fdbSection: FactsSection = {
  name: "fdb",
  command: (p) => ({ tool: "bridge", args: `fdb show dev ${p.device}`, when: "device" }),
  parse(text, d) {
    d.fdb =
      d.caps.bridgeJson || looksJson(text)
        ? parseJson(text)
        : text
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map(parseLine);
  },
  readback: true,
  fields: ["fdb"],
};
