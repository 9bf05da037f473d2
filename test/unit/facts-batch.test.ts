/**
 * Every `ip` read of the facts in ONE `ip -batch` process, JSON or plain text (src/facts/batch.ts, #11):
 * - the script, run against a stand-in `ip` that logs its calls: how many programs it starts per version;
 * - the plain-text batch cut at the separators, strictly, and a batch that stopped early (an error, an
 *   interface gone, iproute2 < 4.13 ending the batch at `route show`) reported by section, never read as
 *   shorter listings.
 * The real output of every build (4.11 to 6.4) is in test/fixtures/facts (facts-text.test.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TEXT_SEPARATOR } from "../../src/facts/batch.js";
import { CAPS_FROM_IP } from "../../src/facts/caps.js";
import { FactsParseError, factsScript, parseFacts, readbackScript } from "../../src/facts/index.js";
import type { FactsScriptParams } from "../../src/facts/script.js";
import { splitSections } from "../../src/facts/split.js";
import { textParts } from "../../src/facts/split-batch.js";
import { type IfName, ifName, ipv4 } from "../../src/net/addr.js";

const dir = mkdtempSync(join(tmpdir(), "meshctl-facts-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// `lo` exists on every Linux machine: the guarded (device) sections run.
const params = { device: "lo" as IfName, routeProtocol: 77, localIp: ipv4("198.18.0.11") };
/** No such device: its guarded sections do not run, only the holder and the VXLAN listing. */
const absent = { ...params, device: "mshvx9" as IfName };

const SEP_OUT = "local 127.0.0.1 dev lo table local src 127.0.0.1 uid 0 \n    cache <local> \n";

/**
 * A stand-in `ip`/`bridge` (shell functions): logs every call (and every batch line) to $LOG, answers
 * `ip -V` as $VER, prints `[]` (json) or nothing (text) per batch command, the separator's real text for
 * `route get 127.0.0.1`, and fails like iproute2 on the command in $FAIL (error on stderr, batch stops).
 */
const STUBS = `
ip() {
  echo "ip $*" >>"$LOG"
  case "$*" in
  -V) echo "ip utility, $VER"; return 0 ;;
  *-batch*)
    j=; case "$*" in *-j*) j=1 ;; esac
    while IFS= read -r l; do
      [ -n "$l" ] || continue
      echo "  $l" >>"$LOG"
      if [ "$l" = "$FAIL" ]; then echo 'Cannot find device "lo"' >&2; return 1; fi
      case $l in
      '${TEXT_SEPARATOR}') printf '${SEP_OUT.replace(/\n/g, "\\n")}' ;;
      'addr show dev lo') [ -n "$j" ] && echo '[{"ifname":"lo"}]' || printf '1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue state UNKNOWN\\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\\n' ;;
      'addr show to '*) out "\${OUT_holder-}" ;;
      'addr show type vxlan') out "\${OUT_vxlans-}" ;;
      'neigh show dev '*) out "\${OUT_neigh-}" ;;
      *) [ -n "$j" ] && echo '[]' ;;
      esac
    done
    return 0 ;;
  esac
}
out() { if [ -n "$1" ]; then printf '%s\\n' "$1"; elif [ -n "$j" ]; then echo '[]'; fi; }
bridge() { echo "bridge $*" >>"$LOG"; case "$*" in *-j*) echo '[]' ;; esac; }
`;

function run(
  script: string,
  ver: string,
  fail = "",
  outputs: Record<string, string> = {},
): { output: string; calls: string[] } {
  const log = join(dir, "log");
  rmSync(log, { force: true });
  const output = execFileSync("sh", ["-c", STUBS + script], {
    encoding: "utf8",
    env: { ...process.env, LOG: log, VER: ver, FAIL: fail, ...outputs },
  });
  return { output, calls: readFileSync(log, "utf8").trimEnd().split("\n") };
}

/** The programs started (batch lines, indented in the log, are not). */
const programs = (calls: string[]) => calls.filter((c) => !c.startsWith(" "));

const VERSIONS = [
  // [`ip -V`, mode, programs of the facts (device present), of the read-back (caps already probed)]
  ["iproute2-6.1.0", "json", ["ip -V", "ip -d -j -batch -", "bridge -j fdb show dev lo"]],
  ["iproute2-ss200127", "json", ["ip -V", "ip -d -j -batch -", "bridge -j fdb show dev lo"]], // 5.5
  ["iproute2-ss190924", "text", ["ip -V", "ip -d -batch -", "bridge fdb show dev lo"]], // 5.3
  ["iproute2-ss180129", "text", ["ip -V", "ip -d -batch -", "bridge fdb show dev lo"]], // 4.15
  ["iproute2-ss170905", "text", ["ip -V", "ip -d -batch -", "bridge fdb show dev lo"]], // 4.13
  ...["iproute2-ss170501", "iproute2-ss161212"].map(
    (v) =>
      [
        v, // 4.11 (CentOS 7), 4.9: `ip route show` ends a batch: one route listing in it, last
        "text",
        [
          "ip -V",
          "ip -d route show table main scope global",
          "ip -d route show table main dev lo proto kernel",
          "ip -d -batch -",
          "bridge fdb show dev lo",
        ],
      ] as const,
  ),
] as const;

describe("the facts script starts one `ip -batch` for every ip read", () => {
  it.each(VERSIONS)("%s (%s mode): %j", (ver, mode, expected) => {
    const { output, calls } = run(factsScript(params), ver);
    expect(programs(calls)).toEqual(expected);
    expect(output).toContain(`\nmode ${mode}\n`);
    const batch = calls.filter((c) => c.startsWith("  ")).map((c) => c.trim());
    const reads = batch.filter((c) => c !== TEXT_SEPARATOR);
    // links and neighbours first, route listings last
    expect(reads.slice(0, 5)).toEqual([
      "addr show dev lo",
      "addr show type vxlan",
      "addr show to 198.18.0.11/32",
      "neigh show dev lo",
      "route show table all proto 77",
    ]);
    // text: a separator between every two reads, none after the last
    if (mode === "text") expect(batch.length).toBe(2 * reads.length - 1);
    else expect(batch).toEqual(reads);
  });

  it("the read-back: the batch and bridge, plus a route listing alone before 4.13", () => {
    const rb = (ver: string) =>
      programs(run(`caps_ip='ip utility, ${ver}'\n${CAPS_FROM_IP}\n${readbackScript(params)}`, ver).calls);
    expect(rb("iproute2-6.1.0")).toEqual(["ip -d -j -batch -", "bridge -j fdb show dev lo"]);
    expect(rb("iproute2-ss180129")).toEqual(["ip -d -batch -", "bridge fdb show dev lo"]);
    expect(rb("iproute2-ss170501")).toEqual([
      "ip -d route show table main dev lo proto kernel",
      "ip -d -batch -",
      "bridge fdb show dev lo",
    ]);
  });

  it("diagnose's route reads join the batch", () => {
    const root = {
      name: "root-198-18-32-0-20",
      command: () => ({ tool: "ip" as const, args: "route show table main root 198.18.32.0/20" }),
      parse: () => {},
      readback: false,
      fields: [],
    };
    const { calls } = run(factsScript(params, [root]), "iproute2-ss180129");
    expect(programs(calls)).toHaveLength(3);
    expect(calls).toContain("  route show table main root 198.18.32.0/20");
  });

  it("a guarded section whose interface is absent is `[]`, outside the batch", () => {
    const { output, calls } = run(factsScript({ ...params, device: ifName("mshvx9") }), "iproute2-ss180129");
    expect(programs(calls)).toEqual(["ip -V", "ip -d -batch -"]);
    expect(output).toMatch(/@@device\n\[\]\n/);
    expect(output).toContain("@@ip-text vxlans holder routes routes-main\n");
    const f = parseFacts(output);
    expect(f.device).toBeUndefined();
  });

  it("a failing command: ip's stderr is reported with the section where the batch stopped", () => {
    for (const ver of ["iproute2-ss180129", "iproute2-6.1.0"]) {
      const { output } = run(factsScript(params), ver, "neigh show dev lo");
      expect(output).toMatch(/@@ip-stderr\nCannot find device "lo"\n\n@@ip-status 1\n/);
      let err: unknown;
      try {
        parseFacts(output);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FactsParseError);
      expect((err as FactsParseError).section).toBe("neigh");
      expect((err as FactsParseError).message).toContain(
        'failed here (exit 1): "Cannot find device \\"lo\\""',
      );
    }
  });

  it("sysctls are read for the device and the named underlay by name, and for the holder's links", () => {
    // `lo` is the only link every machine has: as the device, as the underlay, as the local IP's holder.
    const named = { ...params, device: "mshvx9" as IfName, underlayDev: "lo" as IfName };
    const holderJson = '[{"ifindex":7,"ifname":"br9","flags":[]},{"ifindex":1,"ifname":"lo","flags":[]}]';
    const holderText =
      "7: br9: <UP> mtu 1500\n    inet 198.18.0.11/24 scope global br9\n1: lo: <LOOPBACK,UP> mtu 65536\n";
    const cases: [string, Record<string, string>, FactsScriptParams, boolean][] = [
      ["iproute2-6.1.0", {}, params, true], // the device, by name
      ["iproute2-6.1.0", {}, named, true], // the underlay, by name
      ["iproute2-6.1.0", { OUT_holder: holderJson }, absent, true],
      ["iproute2-ss180129", { OUT_holder: holderText }, absent, true],
      // a link another section lists is not read: a foreign VXLAN, a neighbour line that looks like one
      ["iproute2-6.1.0", { OUT_vxlans: '[{"ifname":"lo"}]', OUT_neigh: '[{"ifname":"lo"}]' }, absent, false],
      ["iproute2-ss180129", { OUT_vxlans: "1: lo: <LOOPBACK,UP> mtu 65536" }, absent, false],
    ];
    for (const [ver, outputs, p, read] of cases) {
      const sysctl = /@@sysctl\n([\s\S]*?)\n@@/.exec(run(factsScript(p), ver, "", outputs).output)?.[1] ?? "";
      const what = `${ver} ${JSON.stringify(outputs)} ${p.device}`;
      expect(/^net\.ipv4\.conf\.lo\.rp_filter \d+$/m.test(sysctl), what).toBe(read);
      expect(/^net\.ipv4\.conf\.lo\.forwarding \d+$/m.test(sysctl), what).toBe(read);
      expect(sysctl, what).toMatch(/^net\.ipv4\.conf\.all\.rp_filter \d+$/m);
    }
  });

  it("the separator failing (e.g. no loopback): the section before it is named", () => {
    const { output } = run(factsScript(params), "iproute2-ss180129", TEXT_SEPARATOR);
    expect(() => parseFacts(output)).toThrow(/section @@device: ip -batch failed here \(exit 1\)/);
  });
});

/** A facts output whose plain-text batch holds `body` for these names (other sections from a fixture). */
function withTextBatch(names: string, body: string, status = "0", stderr = ""): string {
  const f = readFileSync(
    new URL("../fixtures/facts/a-configured.iproute2-4.15.out", import.meta.url),
    "utf8",
  );
  return f.replace(
    /^@@ip-stderr\n[\s\S]*?^@@ip-text [^\n]*\n[\s\S]*?(?=^@@fdb$)/m,
    `@@ip-stderr\n${stderr}\n@@ip-status ${status}\n@@ip-text ${names}\n${body}\n`,
  );
}

describe("the plain-text batch, cut at the separators", () => {
  it("cuts at the separator line and its indented `cache` lines, nowhere else", () => {
    const local = "local 127.0.0.1 dev lo table local scope host src 127.0.0.1 "; // a listed local route
    expect(
      textParts(`a\n${SEP_OUT}b\n${local}\nlocal 127.0.0.1 dev lo src 127.0.0.1 \n    cache <local> \nc`),
    ).toEqual(["a", `b\n${local}`, "c"]);
    // 4.11 on an old kernel: no table, no uid
    expect(textParts("x\nlocal 127.0.0.1 dev lo src 127.0.0.1 \n    cache <local> \ny")).toEqual(["x", "y"]);
    // a route line that merely starts the same way is not a separator
    expect(textParts("local 127.0.0.1 dev lo table local src 127.0.0.1 proto 77\n")).toHaveLength(1);
  });

  it("fewer separators than asked (ip stopped without an error): the section where it stopped", () => {
    const names = "device vxlans holder underlay neigh routes routes-main connected";
    const e = (() => {
      try {
        splitSections(
          withTextBatch(names, `1: lo: <LOOPBACK> mtu 65536\n${SEP_OUT}unicast 198.18.9.0/24 dev eth0`),
        );
      } catch (err) {
        return err as FactsParseError;
      }
      throw new Error("no error");
    })();
    expect(e).toBeInstanceOf(FactsParseError);
    expect(e.section).toBe("vxlans");
    expect(e.message).toContain(`1 separators (\`ip ${TEXT_SEPARATOR}\`) where the script asked for 7`);
  });

  it("more separators than asked: refused", () => {
    expect(() => splitSections(withTextBatch("device vxlans", `${SEP_OUT}${SEP_OUT}`))).toThrow(
      /section @@vxlans: ip -batch printed more sections than asked/,
    );
  });

  it("each section gets its own text; a section that printed nothing is empty", () => {
    const s = splitSections(
      withTextBatch("neigh routes", `198.18.251.2 lladdr 02:6d:73:00:00:02 PERMANENT\n${SEP_OUT}`),
    );
    expect(s.get("neigh")).toBe("198.18.251.2 lladdr 02:6d:73:00:00:02 PERMANENT");
    expect(s.get("routes")).toBe("");
  });

  it("an exit status that is not a number is refused", () => {
    expect(() => splitSections(withTextBatch("neigh", "", "x"))).toThrow(
      /section @@ip-status: expected ip's exit status/,
    );
  });
});

describe("the JSON batch with its status", () => {
  const json = (names: string, body: string, rc: string, stderr = "") =>
    `@@meshctl-facts 2\n@@ip-stderr\n${stderr}\n@@ip-status ${rc}\n@@ip-batch ${names}\n${body}\n@@end\n`;

  it("one value per name", () => {
    const s = splitSections(json("a b", "[]\n[{}]", "0"));
    expect([...s.entries()]).toEqual([
      ["a", "[]"],
      ["b", "[{}]"],
    ]);
  });

  it("a value missing, or stderr, or a non-zero status: the section where ip stopped", () => {
    expect(() => splitSections(json("a b", "[]", "0"))).toThrow(
      /section @@b: ip -batch printed 1 JSON values for 2 sections/,
    );
    expect(() => splitSections(json("a b", "[]", "255", "Error: oops"))).toThrow(
      /section @@b: ip -batch failed here \(exit 255\): "Error: oops"/,
    );
    expect(() => splitSections(json("a b", "[]\n[]", "0", "Warning: x"))).toThrow(
      /section @@b: ip -batch failed here: "Warning: x"/,
    );
  });

  it("output captured before @@ip-status: stderr mixed in as stray text", () => {
    const old = '@@meshctl-facts 2\n@@ip-batch a b\n[]\nDevice "x" does not exist.\n@@end\n';
    expect(() => splitSections(old)).toThrow(
      /section @@b: ip -batch failed here: "Device \\"x\\" does not exist."/,
    );
  });
});
