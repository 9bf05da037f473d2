/**
 * The sections read by the shell itself (no process): the echoed parameters, sysctls from /proc/sys and
 * the bound UDP ports from /proc/net/udp{,6}.
 *   params   JSON echo of the script's parameters (so facts cannot be mixed up)
 *   sysctl   `key value`: ip_forward, rp_filter of all/default, of the device, of the named underlay and of
 *            the local IP's holder(s) ($N, src/facts/script.ts), and those links' forwarding (a direct
 *            route's traffic is forwarded only if its input link's is on)
 *   udp      hex local port of every UDP socket
 *   session  $SSH_CONNECTION of meshctl's session (`client-ip client-port server-ip server-port`)
 */
import { parseIpv4 } from "../../net/addr.js";
import { FactsParseError, preview } from "../errors.js";
import type { FactsParams } from "../types.js";
import { asObject, at, type Ctx, optString, reqInt, reqString, toIpv4 } from "./read.js";
import type { FactsScriptParams, FactsSection } from "./types.js";

/** The parameters as the `@@params` section echoes them. */
export function paramsJson(p: FactsScriptParams): string {
  return JSON.stringify({
    device: p.device,
    routeProtocol: p.routeProtocol,
    localIp: p.localIp,
    ...(p.underlayDev === undefined ? {} : { underlayDev: p.underlayDev }),
  });
}

export function parseParams(text: string): FactsParams {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
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

export const paramsSection: FactsSection = {
  name: "params",
  command: (p) => ({ sh: `echo '${paramsJson(p)}'` }),
  parse() {
    // read first, by parseFacts itself (every other section needs the parameters)
  },
  readback: true,
  fields: ["params"],
};

// (sysctl files answer EOF to a second read(2), so dash's byte-wise read returns 1 with v set)
const SYSCTL_SH = `s() { v=; read -r v 2>/dev/null <"/proc/sys/net/ipv4/$1"; if [ -n "$v" ]; then printf 'net.ipv4.%s %s\\n' "$2" "$v"; fi; }
s ip_forward ip_forward
for n in all default $N; do s "conf/$n/rp_filter" "conf.$n.rp_filter"; done
for n in $N; do s "conf/$n/forwarding" "conf.$n.forwarding"; done`;

export const sysctlSection: FactsSection = {
  name: "sysctl",
  command: () => ({ sh: SYSCTL_SH }),
  parse(text, d) {
    const out: Record<string, number> = {};
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const m = /^(net\.\S+)\s+(-?\d+)\s*$/.exec(line);
      if (!m) throw new FactsParseError("sysctl", `expected "key value", got ${preview(line)}`);
      out[m[1] as string] = Number(m[2]);
    }
    d.sysctl = out;
  },
  readback: false,
  fields: ["sysctl"],
};

const UDP_SH = `for f in /proc/net/udp /proc/net/udp6; do
  [ -r "$f" ] || continue
  while read -r _ a _; do case $a in *:*) printf '%s\\n' "\${a##*:}" ;; esac; done <"$f"
done`;

export const udpSection: FactsSection = {
  name: "udp",
  command: () => ({ sh: UDP_SH }),
  parse(text, d) {
    const ports = new Set<number>();
    for (const line of text.split("\n")) {
      const t = line.trim();
      if (t === "") continue;
      if (!/^[0-9A-Fa-f]{1,4}$/.test(t))
        throw new FactsParseError("udp", `expected a hex port, got ${preview(t)}`);
      const port = Number.parseInt(t, 16);
      if (port !== 0) ports.add(port);
    }
    d.udpPorts = [...ports].sort((a, b) => a - b);
  },
  readback: false,
  fields: ["udpPorts"],
};

/**
 * The client address of meshctl's SSH session as the node sees it. The script gets $SSH_CONNECTION as its
 * $1 from the login shell, before sudo drops it (src/exec/ssh/quote.ts). An IPv4-mapped IPv6 address counts
 * as its IPv4 address; anything else (IPv6, empty: run without SSH) leaves the field unset.
 */
export const sessionSection: FactsSection = {
  name: "session",
  command: () => ({ sh: `printf '%s\\n' "\${MESHCTL_SSH_CONNECTION:-}"` }),
  parse(text, d) {
    const client = text.trim().split(/\s+/)[0] ?? "";
    const ip = parseIpv4(client.replace(/^::ffff:/i, ""));
    if (ip.ok) d.sshClient = ip.value;
  },
  readback: false,
  optional: true,
  fields: ["sshClient"],
};
