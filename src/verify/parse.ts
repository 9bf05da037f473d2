/** Reads the output of `verifyScript` (and of iputils/busybox ping) into probe results. Pure. */
import { ParseError } from "../core/errors.js";
import { cidrContainsIp, type Ipv4, parseIpv4 } from "../net/addr.js";
import { ICMP_OVERHEAD, VERIFY_MARKER } from "./script.js";
import type { NodePlan, PingStats, PodSource, ProbeResult } from "./types.js";

export class VerifyParseError extends ParseError {
  constructor(detail: string) {
    super(`cannot read the verify output: ${detail}`);
  }
}

const STATS =
  /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?(?:, \+(\d+) duplicates)?, ([\d.]+)% packet loss/;
const RTT = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = ([\d.]+)\/([\d.]+)\/([\d.]+)/;

/** The first line that says why a ping failed, reworded where ping's words are cryptic. */
function reason(lines: string[]): string | undefined {
  for (const l of lines) {
    const t = l.trim();
    let m = /^ping: local error: [Mm]essage too long, mtu=(\d+)/.exec(t);
    if (m) return `message too long: the local path MTU is ${m[1]}`;
    m = /^From (\S+) icmp_seq=\d+ Frag needed and DF set \(mtu = (\d+)\)/.exec(t);
    if (m) return `fragmentation needed: ${m[1]} reports a path MTU of ${m[2]}`;
    m = /^From (\S+) icmp_seq=\d+ (.+)$/.exec(t);
    if (m) return `${m[2]} (from ${m[1]})`;
    if (/^ping: bind: Cannot assign requested address/.test(t))
      return "the source address is not on the node";
    if (t.startsWith("ping:") || /^ping: /.test(t)) return t.slice(5).trim();
  }
  return undefined;
}

/** Statistics of one ping run from its output (stdout and stderr interleaved). */
export function parsePing(text: string, exitCode?: number): PingStats {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const s = STATS.exec(text);
  const why = reason(lines);
  if (!s) {
    return {
      sent: 0,
      received: 0,
      loss: 100,
      ...(exitCode === undefined ? {} : { exitCode }),
      detail:
        why ?? (text.trim() === "" ? "ping printed nothing" : `unexpected ping output: ${firstLine(text)}`),
    };
  }
  const sent = Number(s[1]);
  const received = Number(s[2]);
  const errors = Number(s[4] ?? 0);
  const r = RTT.exec(text);
  const stats: PingStats = {
    sent,
    received,
    loss: Number(s[6]),
    ...(r ? { rttMs: Number(r[2]) } : {}),
    ...(exitCode === undefined ? {} : { exitCode }),
  };
  if (received === 0) stats.detail = why ?? (errors > 0 ? `${errors} error(s)` : "no reply");
  else if (received < sent) stats.detail = `${sent - received} of ${sent} lost`;
  return stats;
}

function firstLine(t: string): string {
  const l = t.trim().split("\n")[0] ?? "";
  return l.length > 120 ? `${l.slice(0, 120)}…` : l;
}

export interface NodeOutput {
  deviceMtu?: number;
  podSource: PodSource;
  notes: string[];
  probes: ProbeResult[];
}

/** Parses one node's script output against the plan it was generated from. */
export function parseVerifyOutput(output: string, plan: NodePlan, waitSeconds = 1): NodeOutput {
  const lines = output.replace(/\r\n?/g, "\n").split("\n");
  const start = lines.findIndex((l) => l.trim() === VERIFY_MARKER);
  if (start < 0)
    throw new VerifyParseError(`no "${VERIFY_MARKER}" line (got ${JSON.stringify(firstLine(output))})`);
  let deviceMtu: number | undefined;
  let underlayMtu: number | undefined;
  const direct = new Set<number>();
  let deviceSeen = false;
  let podSource: PodSource | undefined;
  let ended = false;
  const bodies = new Map<number, string[]>();
  let current: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("@@error ")) throw new VerifyParseError(line.slice(8));
    if (line === "@@end") {
      ended = true;
      break;
    }
    let m = /^@@device (\d+|absent)$/.exec(line);
    if (m) {
      deviceSeen = true;
      if (m[1] !== "absent") deviceMtu = Number(m[1]);
      continue;
    }
    m = /^@@underlay (\d+|absent)$/.exec(line);
    if (m) {
      if (m[1] !== "absent") underlayMtu = Number(m[1]);
      continue;
    }
    m = /^@@direct (\d+)$/.exec(line);
    if (m) {
      direct.add(Number(m[1]));
      continue;
    }
    m = /^@@src (\S+) (pod-block|overlay)$/.exec(line);
    if (m) {
      const a = parseIpv4(m[1] as string);
      if (!a.ok) throw new VerifyParseError(`source address: ${a.error}`);
      podSource = { address: a.value, kind: m[2] as PodSource["kind"] };
      continue;
    }
    m = /^@@probe (\d+)$/.exec(line);
    if (m) {
      current = [];
      bodies.set(Number(m[1]), current);
      continue;
    }
    current?.push(line);
  }
  if (!ended)
    throw new VerifyParseError("the output stops before @@end (script interrupted or connection lost)");
  if (!deviceSeen || !podSource) throw new VerifyParseError("the @@device or @@src line is missing");
  if (
    podSource.kind === "pod-block" &&
    !plan.podBlocks.some((b) => cidrContainsIp(b, podSource?.address as Ipv4))
  ) {
    throw new VerifyParseError(`source address ${podSource.address} is in none of the node's pod blocks`);
  }
  const notes: string[] = [];
  const tunnelled = plan.probes.some((p) => p.kind !== "pod" && !direct.has(p.id));
  if (deviceMtu === undefined && tunnelled) notes.push("the mesh device is absent: run `meshctl apply`");
  if (podSource.kind === "overlay" && plan.probes.some((p) => p.kind === "pod")) {
    notes.push(
      plan.podBlocks.length === 0
        ? `no pod blocks known for this node: pod probes sent from its overlay IP ${podSource.address}`
        : `holds no address in its pod blocks (${plan.podBlocks.join(", ")}): pod probes sent from its overlay IP ${podSource.address}`,
    );
  }
  const probes = plan.probes.map((p): ProbeResult => {
    // A direct peer (#14): pinged at its underlay address, the MTU probe sized from the underlay's MTU.
    const isDirect = direct.has(p.id) && p.underlay !== undefined;
    const mtu = isDirect ? underlayMtu : deviceMtu;
    const base = {
      from: plan.node,
      fromCluster: plan.cluster,
      to: p.to,
      toCluster: p.toCluster,
      kind: p.kind,
      dst: isDirect ? (p.underlay as Ipv4) : p.dst,
      ...(p.kind === "pod" ? { src: podSource.address } : {}),
      ...(p.kind === "mtu" && mtu !== undefined ? { size: mtu - ICMP_OVERHEAD } : {}),
    };
    const body = bodies.get(p.id);
    if (body === undefined || body.every((l) => l.trim() === "")) {
      return {
        ...base,
        ok: false,
        loss: 100,
        sent: 0,
        received: 0,
        detail:
          p.kind === "mtu" && mtu === undefined
            ? `not run: ${isDirect ? "the underlay's MTU is unknown" : "the mesh device is absent"}`
            : "not run",
      };
    }
    const rcLine = body.findIndex((l) => l.startsWith("@@rc "));
    const rc = rcLine >= 0 ? Number(body[rcLine]?.slice(5)) : undefined;
    const text = (rcLine >= 0 ? body.slice(0, rcLine) : body).join("\n");
    const st = parsePing(text, rc);
    const ok = st.received > 0;
    let detail = st.detail;
    if (!ok && detail === "no reply") detail = `no reply within ${waitSeconds} s`;
    return {
      ...base,
      ok,
      ...(st.rttMs === undefined ? {} : { rttMs: st.rttMs }),
      loss: st.loss,
      sent: st.sent,
      received: st.received,
      ...(detail === undefined ? {} : { detail }),
    };
  });
  // A full-size probe that fails where the small one to the same peer passes is an MTU black hole.
  for (const r of probes) {
    if (r.kind !== "mtu" || r.ok || r.sent === 0) continue;
    const small = probes.find((x) => x.kind === "overlay" && x.to === r.to);
    if (small?.ok && !/MTU/.test(r.detail ?? "")) {
      r.detail = `${r.detail ?? "no reply"}: ${(r.size ?? 0) + ICMP_OVERHEAD}-byte don't-fragment pings are lost while small ones pass (MTU black hole on the path)`;
    }
  }
  return { ...(deviceMtu === undefined ? {} : { deviceMtu }), podSource, notes, probes };
}
