/**
 * Typed network values. Every address, prefix, MAC and interface name that meshctl puts into a remote
 * command has been parsed by one of these functions first; the brand makes it impossible to pass an
 * unparsed inventory string where a typed value is expected.
 */
import { createRequire } from "node:module";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Canonical dotted-quad IPv4 address, e.g. `198.18.0.1`. */
export type Ipv4 = Brand<string, "Ipv4">;
/** Canonical IPv4 network in CIDR form whose host bits are zero, e.g. `10.234.64.0/18`. */
export type Cidr = Brand<string, "Cidr">;
/** Lower-case colon-separated unicast MAC, e.g. `c2:6a:9b:e5:39:8d`. */
export type Mac = Brand<string, "Mac">;
/** A valid Linux interface name (1–15 chars, no `/`, whitespace, `:` or shell metacharacters). */
export type IfName = Brand<string, "IfName">;
/** RFC 1123 label (lower-case alphanumerics and `-`, 1–63 chars). */
export type DnsLabel = Brand<string, "DnsLabel">;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(error: string): ParseResult<T> => ({ ok: false, error });

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseIpv4(text: string): ParseResult<Ipv4> {
  if (!DOTTED_QUAD.test(text)) return fail(`"${text}" is not an IPv4 address (expected a.b.c.d)`);
  return ok(text as Ipv4);
}

export function parseCidr(text: string): ParseResult<Cidr> {
  // The prefix length is canonical too: "/08" is rejected like "010.0.0.0".
  const m = /^([0-9.]+)\/(0|[1-9]\d?)$/.exec(text);
  if (!m || !DOTTED_QUAD.test(m[1] ?? "") || Number(m[2]) > 32) {
    return fail(`"${text}" is not an IPv4 CIDR (expected a.b.c.d/len)`);
  }
  // Host bits must be zero (ip-num's IPv4CidrRange.fromCidr accepts them silently). Checked by arithmetic:
  // this runs for every route of every node's facts; ip-num's validator costs ~20 µs a call.
  const len = Number(m[2]);
  if (len < 32 && ipToInt(m[1] as string) % 2 ** (32 - len) !== 0) {
    return fail(`"${text}" is not a network address: did you mean ${networkOf(text)}/${m[2]}?`);
  }
  return ok(text as Cidr);
}

/**
 * The network of a CIDR with host bits set, by ip-num, loaded only on this path (an inventory error):
 * importing it at start-up cost ~45 ms of CPU on every run, a tenth of a no-op apply's controller time (#15).
 */
function networkOf(text: string): string {
  const { IPv4CidrRange } = createRequire(import.meta.url)("ip-num") as typeof import("ip-num");
  return IPv4CidrRange.fromCidr(text).getFirst().toString();
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function parseMac(text: string): ParseResult<Mac> {
  const lower = text.toLowerCase();
  if (!MAC.test(lower)) return fail(`"${text}" is not a MAC address (expected xx:xx:xx:xx:xx:xx)`);
  if (lower === "00:00:00:00:00:00")
    return fail("the all-zero MAC is the flood entry and cannot be a node's MAC");
  if ((Number.parseInt(lower.slice(0, 2), 16) & 1) === 1) {
    return fail(
      `"${text}" is a multicast MAC (lowest bit of the first octet set); a device MAC must be unicast`,
    );
  }
  return ok(lower as Mac);
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function parseIfName(text: string): ParseResult<IfName> {
  if (text.length > 15) return fail(`"${text}" is longer than 15 characters (Linux IFNAMSIZ)`);
  if (!IFNAME.test(text) || text === "." || text === "..") {
    return fail(`"${text}" is not a valid interface name (letters, digits, '_', '.', '-' only)`);
  }
  return ok(text as IfName);
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function parseDnsLabel(text: string): ParseResult<DnsLabel> {
  if (!LABEL.test(text)) {
    return fail(
      `"${text}" is not an RFC 1123 name (lower-case letters, digits and '-', at most 63, no leading/trailing '-')`,
    );
  }
  return ok(text as DnsLabel);
}

/** Unwraps a parse result whose input is known-good (tests, values produced by meshctl itself). */
export function must<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export const ipv4 = (s: string): Ipv4 => must(parseIpv4(s));
export const cidr = (s: string): Cidr => must(parseCidr(s));
export const mac = (s: string): Mac => must(parseMac(s));
export const ifName = (s: string): IfName => must(parseIfName(s));

// ---- arithmetic -------------------------------------------------------------------------------------

/**
 * The address as an unsigned 32-bit number: four groups of 1–3 ASCII digits, each ≤ 255, separated by
 * dots (leading zeros allowed, as in `010.0.0.1`); anything else is a RangeError. Scanned by hand, not with
 * a regular expression: it runs N² times in validation and planning.
 */
export function ipToInt(ip: Ipv4 | string): number {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else if (c === 46 && digits > 0 && octet <= 255 && dots < 3) {
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else throw new RangeError(`not an IPv4 address: ${ip}`);
  }
  if (dots !== 3 || digits === 0 || octet > 255) throw new RangeError(`not an IPv4 address: ${ip}`);
  return n * 256 + octet;
}

export function intToIp(n: number): Ipv4 {
  const u = n >>> 0;
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}` as Ipv4;
}

export function cidrPrefix(c: Cidr): number {
  return Number(c.slice(c.indexOf("/") + 1));
}

export function cidrBase(c: Cidr): Ipv4 {
  return c.slice(0, c.indexOf("/")) as Ipv4;
}

/** First and last address of a network as unsigned integers. */
export function cidrBounds(c: Cidr): [number, number] {
  const first = ipToInt(cidrBase(c));
  const size = 2 ** (32 - cidrPrefix(c));
  return [first, first + size - 1];
}

export function cidrContainsIp(c: Cidr, ip: Ipv4): boolean {
  const [lo, hi] = cidrBounds(c);
  const n = ipToInt(ip);
  return n >= lo && n <= hi;
}

export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  const [olo, ohi] = cidrBounds(outer);
  const [ilo, ihi] = cidrBounds(inner);
  return ilo >= olo && ihi <= ohi;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const [alo, ahi] = cidrBounds(a);
  const [blo, bhi] = cidrBounds(b);
  return alo <= bhi && blo <= ahi;
}

/** `ip route` prints host routes without `/32`; normalise either form to a Cidr. */
export function routeDstToCidr(dst: string): ParseResult<Cidr> {
  return parseCidr(dst.includes("/") ? dst : `${dst}/32`);
}
