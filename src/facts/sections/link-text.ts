/**
 * `ip -d addr show` / `ip -d link show` in plain text (iproute2 without `-json`, or before 4.14), e.g.
 *
 *   5: mshvx0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000
 *       link/ether 02:6d:73:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535
 *       vxlan id 10001 local 198.18.250.2 dev eth0 srcport 0 0 dstport 4899 nolearning ttl auto ageing 300 …
 *       inet 198.18.251.1/24 scope global mshvx0
 *          valid_lft forever preferred_lft forever
 *
 * The kind is the first word of the detail line after `link/…` (`print_linktype`, unchanged since 3.x);
 * VXLAN options are keyword/value pairs in any order (6.4 moved `nolearning` to the end and prints only
 * non-default flags: learning is on unless `nolearning` is printed, in every version).
 */
import { FactsParseError, preview } from "../errors.js";
import type { Link, VxlanInfo } from "./link-types.js";
import { defined, isIpv4, toInt } from "./read.js";

const HEADER = /^(\d+):\s+([^\s:@]+)(?:@\S*)?:\s+<([^>]*)>(.*)$/;
/** First words of `-d` detail lines that are not a link kind. */
const NOT_KIND = new Set([
  "addrgenmode",
  "numtxqueues",
  "numrxqueues",
  "gso_max_size",
  "gso_max_segs",
  "tso_max_size",
  "gro_max_size",
  "altname",
  "alias",
  "parentbus",
  "parentdev",
  "vf",
  "prop",
  "link-netnsid",
]);

function vxlanText(words: string[]): VxlanInfo {
  const after = (k: string): string | undefined => {
    const i = words.indexOf(k);
    return i < 0 ? undefined : words[i + 1];
  };
  const ip = (k: string) => {
    const v = after(k);
    return v !== undefined && isIpv4(v) ? v : undefined;
  };
  const dev = after("dev");
  return defined({
    vni: toInt(after("id")),
    port: toInt(after("dstport")),
    localIp: ip("local"),
    link: dev === undefined ? undefined : /^\d+$/.test(dev) ? Number(dev) : dev,
    learning: !words.includes("nolearning"),
    remote: ip("remote"),
    group: ip("group"),
  });
}

interface Building {
  link: Link;
  /** The line right after `link/…` is the `-d` detail line (kind first), when there is one. */
  nextIsDetail: boolean;
}

function header(m: RegExpExecArray): Building {
  const rest = (m[4] as string).trim().split(/\s+/);
  const after = (k: string) => {
    const i = rest.indexOf(k);
    return i < 0 ? undefined : rest[i + 1];
  };
  const flags = (m[3] as string).split(",").filter((f) => f !== "");
  return {
    link: {
      ifindex: Number(m[1]),
      name: m[2] as string,
      mtu: toInt(after("mtu")) ?? 0,
      flags,
      operstate: after("state") ?? "UNKNOWN",
      mac: "",
      kind: "none",
      addresses: [],
    },
    nextIsDetail: false,
  };
}

function detail(b: Building, words: string[], line: string, section: string): void {
  const [first = "", second] = words;
  if (first.startsWith("link/")) {
    b.nextIsDetail = true;
    if (second !== undefined && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(second))
      b.link.mac = second.toLowerCase();
    return;
  }
  if (first === "alias") {
    // `    alias TEXT` (after the details on every iproute2 version seen; handled wherever it is).
    b.link.alias = line.trim().slice("alias ".length);
    return;
  }
  const isDetail = b.nextIsDetail;
  b.nextIsDetail = false;
  if (first === "inet") {
    const [ip, len] = (second ?? "").split("/");
    const peer = words[words.indexOf("peer") + 1]?.split("/")[1];
    if (ip === undefined || !isIpv4(ip))
      throw new FactsParseError(section, `bad address line ${preview(line)}`);
    b.link.addresses.push({ ip, prefixLen: toInt(len ?? peer ?? "32") ?? 32 });
    return;
  }
  if (isDetail && /^[a-z][a-z0-9_]*$/.test(first) && first !== "inet6" && !NOT_KIND.has(first)) {
    b.link.kind = first;
    if (first === "vxlan") b.link.vxlan = vxlanText(words.slice(1));
  }
}

export function parseLinksText(text: string, section: string): Link[] {
  const out: Building[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const m = HEADER.exec(line);
    if (m) {
      out.push(header(m));
      continue;
    }
    const cur = out[out.length - 1];
    if (cur === undefined || !/^\s/.test(line))
      throw new FactsParseError(section, `unexpected line ${preview(line)}`);
    detail(cur, line.trim().split(/\s+/), line, section);
  }
  return out.map((b) => b.link);
}
