/**
 * What the node's `ip` and `bridge` can print, probed by the facts script itself (`ip -V`, in the same
 * round trip; one iproute2 package ships both tools) and an input of every section's command and parser.
 * JSON appeared per command (iproute2 history): `bridge -json fdb` 4.7, `-json` for link/addr 4.14,
 * `ip -j route` / `ip -j neigh` 4.17 (4.14–4.16 silently print plain text); before 4.14 `-json` is
 * refused. But route JSON stayed invalid until 5.5 (captured from real builds, test/fixtures/facts): 4.18–4.20
 * print the route type without a key (`{"unicast","dst":…}`, fixed in 5.0) and `{}` for every link a `show
 * dev` filter skips, and up to 5.4 a multipath route prints its nexthops as text inside the JSON (fixed in 5.5,
 * iproute2 commit 4ecefff3). So: 5.5 and later → JSON everywhere, every `ip` read in one `ip -j -batch`
 * process; older → plain text everywhere (RHEL 8.0–8.2, Debian 10 included).
 */
import { UnsupportedNodeError } from "./errors.js";

export interface Capabilities {
  /** Every `ip` read prints valid JSON (≥ 5.5): they all run in one `ip -j -batch` process. */
  ipJson: boolean;
  /** `bridge -j fdb show` prints JSON. */
  bridgeJson: boolean;
}

export const JSON_CAPS: Capabilities = { ipJson: true, bridgeJson: true };
export const TEXT_CAPS: Capabilities = { ipJson: false, bridgeJson: false };

/** The oldest iproute2 and kernel meshctl supports (CentOS 7.4+: iproute 4.11, kernel 3.10). */
export const MIN_IPROUTE2 = { major: 4, minor: 11, snapshot: 170501 } as const;
export const MIN_KERNEL = { major: 3, minor: 10 } as const;
/** iproute2 5.5 (`ip -V` of the release: `iproute2-ss200127`): valid JSON for every `ip` read. */
export const JSON_FROM = { major: 5, minor: 5, snapshot: 200127 } as const;

/** Where a node's tools are looked up, in this order, by every script meshctl runs there. */
export const TOOLS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * From `$caps_ip` (`ip -V`'s line): sets `$caps_kernel` (the kernel release), `$caps_mode` (`json` or
 * `text`) and `$caps_rb` (1 when route listings can share a batch: iproute2 before 4.13, `iproute2-ss` <
 * 170905, `exit()`s at the end of `ip route show` even inside `ip -batch`; src/facts/batch.ts). `ip -V`
 * prints `iproute2-ssYYMMDD` up to 5.7 and `iproute2-X.Y.Z` (or a `git describe`, `v5.7.0-77-g…`) since.
 * Shell built-ins only.
 */
export const CAPS_FROM_IP = `caps_kernel=; read -r caps_kernel 2>/dev/null </proc/sys/kernel/osrelease
caps_rb=1
case $caps_ip in *iproute2-ss1[0-6][0-9][0-9][0-9][0-9]*|*iproute2-ss170[0-8][0-9][0-9]*) caps_rb= ;; esac
caps_mode=text
case $caps_ip in
  *iproute2-ss[0-9][0-9][0-9][0-9][0-9][0-9]*)
    caps_d=\${caps_ip#*iproute2-ss}; caps_d=\${caps_d%"\${caps_d#??????}"}
    [ "$caps_d" -ge ${JSON_FROM.snapshot} ] 2>/dev/null && caps_mode=json ;;
  *iproute2-[0-9]*|*iproute2-v[0-9]*)
    caps_x=\${caps_ip#*iproute2-}; caps_x=\${caps_x#v}; caps_ma=\${caps_x%%.*}; caps_x=\${caps_x#*.}; caps_mi=\${caps_x%%[!0-9]*}
    { [ "$caps_ma" -gt ${JSON_FROM.major} ] || { [ "$caps_ma" -eq ${JSON_FROM.major} ] && [ "$caps_mi" -ge ${JSON_FROM.minor} ]; }; } 2>/dev/null && caps_mode=json ;;
esac`;

/**
 * The detection: `$caps_ip` from the one `ip -V`, then CAPS_FROM_IP. A script run alone (diagnose, tests)
 * detects for itself; the node driver detects once per session, before the facts (from a cache keyed by the
 * ip binary's identity, src/exec/caps-cache.ts), so neither the facts nor the read-back start `ip -V`
 * (their subshells inherit the variables).
 */
export const CAPS_DETECT = `caps_ip=$(ip -V 2>&1)
${CAPS_FROM_IP}`;

/**
 * The probe of a facts script: detects unless the driver already did (`$caps_mode` set), then prints
 * `@@caps` with `ip -V`'s line, the kernel release and the chosen mode.
 */
export const CAPS_PROBE = `if [ -z "\${caps_mode-}" ]; then
${CAPS_DETECT}
fi
printf '\\n@@caps\\n%s\\nkernel %s\\nmode %s\\n' "$caps_ip" "$caps_kernel" "$caps_mode"`;

export interface NodeVersions {
  /** `ip -V` as printed. */
  ip: string;
  iproute2?: { major: number; minor: number } | { snapshot: number };
  kernel?: { major: number; minor: number };
}

const SUPPORTED = `meshctl supports iproute2 ${MIN_IPROUTE2.major}.${MIN_IPROUTE2.minor} (ss${MIN_IPROUTE2.snapshot}) and Linux ${MIN_KERNEL.major}.${MIN_KERNEL.minor} or newer`;

function versionOf(ipV: string): NodeVersions["iproute2"] {
  const ss = /iproute2-ss(\d{6})/.exec(ipV);
  if (ss) return { snapshot: Number(ss[1]) };
  const dotted = /iproute2-v?(\d+)\.(\d+)/.exec(ipV);
  return dotted ? { major: Number(dotted[1]), minor: Number(dotted[2]) } : undefined;
}

const older = (a: { major: number; minor: number }, b: { major: number; minor: number }) =>
  a.major < b.major || (a.major === b.major && a.minor < b.minor);

/** Reads `@@caps`; refuses a node older than meshctl supports, naming the versions. */
export function parseCaps(text: string): { caps: Capabilities; versions: NodeVersions } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const ip = lines.find((l) => !/^(kernel|mode) /.test(l))?.trim() ?? "";
  const kernelRaw = /^kernel (\d+)\.(\d+)/m.exec(text);
  const mode = /^mode (\S+)/m.exec(text)?.[1];
  const iproute2 = versionOf(ip);
  const kernel = kernelRaw ? { major: Number(kernelRaw[1]), minor: Number(kernelRaw[2]) } : undefined;
  if (iproute2 === undefined)
    throw new UnsupportedNodeError(
      "caps",
      `cannot tell the node's iproute2 version from \`ip -V\` (${JSON.stringify(ip)}): ${SUPPORTED}`,
    );
  const tooOld =
    "snapshot" in iproute2 ? iproute2.snapshot < MIN_IPROUTE2.snapshot : older(iproute2, MIN_IPROUTE2);
  if (tooOld)
    throw new UnsupportedNodeError(
      "caps",
      `the node's iproute2 is too old (${JSON.stringify(ip)}): ${SUPPORTED}`,
    );
  if (kernel !== undefined && older(kernel, MIN_KERNEL))
    throw new UnsupportedNodeError(
      "caps",
      `the node's kernel ${kernel.major}.${kernel.minor} is too old: ${SUPPORTED}`,
    );
  if (mode !== "json" && mode !== "text")
    throw new UnsupportedNodeError("caps", `no mode line in ${JSON.stringify(text.trim())}`);
  return {
    caps: mode === "json" ? JSON_CAPS : TEXT_CAPS,
    versions: { ip, iproute2, ...(kernel ? { kernel } : {}) },
  };
}
