/** Reads the output of `diagnoseScript` into NodeFacts + DiagnoseExtra. Pure. */
import { ParseError } from "../core/errors.js";
import { parseFacts } from "../facts/parse.js";
import { splitSections } from "../facts/split.js";
import type { NodeFacts } from "../facts/types.js";
import { rootCidrsIn, rootSections } from "./roots.js";
import { DIAGNOSE_MARKER } from "./script.js";
import type { DiagnoseExtra, FirewallTool, ForwardChain, UdpSocket } from "./types.js";

export class DiagnoseParseError extends ParseError {
  constructor(section: string, detail: string) {
    super(`cannot read the diagnose output: section @@${section}: ${detail}`);
  }
}

function sections(text: string): Map<string, string[]> {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === DIAGNOSE_MARKER);
  if (start < 0)
    throw new DiagnoseParseError("meshctl-diagnose", `no "${DIAGNOSE_MARKER}" line after the facts`);
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    const m = /^@@(\S+(?: \S+)?)\s*$/.exec(line);
    if (m) {
      if (m[1] === "end") return out;
      cur = [];
      out.set(m[1] as string, cur);
      continue;
    }
    if (line.trim() !== "") cur?.push(line);
  }
  throw new DiagnoseParseError(
    "end",
    "the output stops before @@end (script interrupted or connection lost)",
  );
}

/** `iptables -S FORWARD`: the policy and whether ACCEPT rules name the device. */
export function parseIptables(lines: string[] | undefined, device: string): FirewallTool {
  if (lines === undefined) throw new DiagnoseParseError("iptables", "the section is missing");
  if (lines[0] === "!absent") return { present: false };
  if (lines[0]?.startsWith("!rc "))
    return { present: true, error: lines.slice(1).join(" ").trim(), chains: [] };
  const chain: ForwardChain = {
    source: "iptables",
    chain: "FORWARD",
    policyDrop: false,
    acceptsIn: false,
    acceptsOut: false,
  };
  for (const l of lines) {
    const w = l.trim().split(/\s+/);
    if (w[0] === "-P" && w[1] === "FORWARD") chain.policyDrop = w[2] === "DROP";
    if (w[0] !== "-A" || w[1] !== "FORWARD") continue;
    const target = w.indexOf("-j");
    if (target < 0 || w[target + 1] !== "ACCEPT") continue;
    const iIdx = w.indexOf("-i");
    const oIdx = w.indexOf("-o");
    // A rule with other matches (addresses, states) still lets part of the traffic through: count it only
    // when the interface is its sole match.
    const only = (idx: number) => idx >= 0 && w[idx + 1] === device && w.length === 6;
    if (only(iIdx)) chain.acceptsIn = true;
    if (only(oIdx)) chain.acceptsOut = true;
  }
  return { present: true, chains: [chain] };
}

/** Filtered `nft list ruleset`: forward-hook chains, their policy, and accept rules naming the device. */
export function parseNft(lines: string[] | undefined, device: string): FirewallTool {
  if (lines === undefined) throw new DiagnoseParseError("nft", "the section is missing");
  if (lines[0] === "!absent") return { present: false };
  if (lines[0]?.startsWith("!rc "))
    return { present: true, error: lines.slice(1).join(" ").trim(), chains: [] };
  const chains: ForwardChain[] = [];
  let table = "";
  let name = "";
  let current: ForwardChain | undefined;
  const quoted = `"${device}"`;
  for (const l of lines) {
    const t = l.trim();
    let m = /^table (\S+) (\S+) \{/.exec(t);
    if (m) {
      table = `nft ${m[1]} ${m[2]}`;
      current = undefined;
      continue;
    }
    m = /^chain (\S+) \{/.exec(t);
    if (m) {
      name = m[1] as string;
      current = undefined;
      continue;
    }
    if (/\bhook forward\b/.test(t)) {
      current = {
        source: table,
        chain: name,
        policyDrop: /policy drop;/.test(t),
        acceptsIn: false,
        acceptsOut: false,
      };
      chains.push(current);
      continue;
    }
    if (current && /\baccept$/.test(t)) {
      if (t === `iifname ${quoted} accept` || t.startsWith(`iifname ${quoted} counter`))
        current.acceptsIn = true;
      if (t === `oifname ${quoted} accept` || t.startsWith(`oifname ${quoted} counter`))
        current.acceptsOut = true;
    }
  }
  return { present: true, chains };
}

function parseUdp(lines: string[] | undefined): UdpSocket[] {
  if (lines === undefined) throw new DiagnoseParseError("udp-port", "the section is missing");
  return lines.map((l) => {
    const m = /^(udp6?) ([0-9A-Fa-f]+) (\d+) (\d+)$/.exec(l.trim());
    if (!m)
      throw new DiagnoseParseError(
        "udp-port",
        `expected "<udp|udp6> <addr> <uid> <inode>", got ${JSON.stringify(l)}`,
      );
    return {
      family: m[1] as UdpSocket["family"],
      local: m[2] as string,
      uid: Number(m[3]),
      inode: Number(m[4]),
    };
  });
}

export function parseDiagnoseOutput(output: string): { facts: NodeFacts; extra: DiagnoseExtra } {
  const rootRoutes: DiagnoseExtra["rootRoutes"] = [];
  const roots = rootSections(rootCidrsIn(splitSections(output).keys()), rootRoutes);
  const facts = parseFacts(output, roots);
  const s = sections(output);
  const device = facts.params.device;
  return {
    facts,
    extra: {
      iptables: parseIptables(s.get("iptables"), device),
      nft: parseNft(s.get("nft"), device),
      udpSockets: parseUdp(s.get("udp-port")),
      rootRoutes,
    },
  };
}
