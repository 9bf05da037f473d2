/**
 * The `lab up --os` wrappers, run by /bin/sh against a fake "real" binary that records its arguments and
 * stdin: what reaches the real binary, what is refused, and the exit codes. (The lab test runs them over the
 * real ip and bridge inside lab nodes.)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OS_RELEASES, osRelease, parseOsList } from "../../src/lab/osrelease.js";
import { wrapperScript } from "../../src/lab/oswrapper.js";
import { planLab } from "../../src/lab/plan.js";

let dir: string;
let log: string;

// The fake real binary: one line per call with its arguments, then its stdin (prefixed), exit $FAKE_RC.
const FAKE = `#!/bin/sh
{ printf 'CALL'; printf ' <%s>' "$@"; echo; } >> "$FAKE_LOG"
case " $* " in *" -batch "*|*" -b "*) sed 's/^/IN:/' >> "$FAKE_LOG" ;; esac
echo out
exit \${FAKE_RC:-0}
`;

function wrapper(os: string, tool: "ip" | "bridge"): string {
  const path = join(dir, `${os}-${tool}`);
  const script = wrapperScript(tool, osRelease(os), join(dir, "real"));
  if (!script) throw new Error(`no wrapper for ${os} ${tool}`);
  writeFileSync(path, script, { mode: 0o755 });
  return path;
}

function run(os: string, tool: "ip" | "bridge", args: string[], input = "", rc = 0) {
  writeFileSync(log, "");
  const r = spawnSync(wrapper(os, tool), args, {
    input,
    encoding: "utf8",
    env: { ...process.env, FAKE_LOG: log, FAKE_RC: String(rc) },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(log, "utf8") };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "meshctl-oswrap-"));
  log = join(dir, "calls.log");
  writeFileSync(join(dir, "real"), FAKE, { mode: 0o755 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("centos7 (iproute 4.11)", () => {
  it("refuses -j and -json as ip 4.11 does, exit 255, without running the real ip", () => {
    for (const [opt, shown] of [
      ["-j", "-j"],
      ["-json", "-json"],
      ["--json", "-json"],
      ["-js", "-js"],
    ]) {
      const r = run("centos7", "ip", ["-d", opt as string, "link", "show"]);
      expect(r.code).toBe(255);
      expect(r.stderr).toBe(`Option "${shown}" is unknown, try "ip -help".\n`);
      expect(r.calls).toBe("");
    }
  });
  it("refuses -pretty and -color=auto (4.11 knows neither)", () => {
    expect(run("centos7", "ip", ["-pretty", "link"]).code).toBe(255);
    expect(run("centos7", "ip", ["-color=auto", "link"]).stderr).toContain('Option "-color=auto" is unknown');
  });
  it("answers -V and -Version as 4.11 did", () => {
    expect(run("centos7", "ip", ["-V"]).stdout).toBe("ip utility, iproute2-ss170501\n");
    expect(run("centos7", "ip", ["-Version"]).stdout).toBe("ip utility, iproute2-ss170501\n");
    expect(run("centos7", "bridge", ["-V"]).stdout).toBe("bridge utility, 0.0\n");
  });
  it("passes everything else through unchanged, with the real exit code and stdout", () => {
    const r = run("centos7", "ip", ["-o", "-4", "route", "add", "a b", "-j"], "", 3);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("out\n");
    // -j after the object is an argument of the command, not an option of ip.
    expect(r.calls).toBe("CALL <-o> <-4> <route> <add> <a b> <-j>\n");
  });
  it("a value option's argument is not taken for an option or the object", () => {
    expect(run("centos7", "ip", ["-n", "-j", "link"]).calls).toBe("CALL <-n> <-j> <link>\n");
  });
  it("bridge 4.11: -json works for fdb (pretty, as 4.11 printed it), plain text for link", () => {
    expect(run("centos7", "bridge", ["-j", "fdb", "show"]).calls).toBe(
      "CALL <-json> <-pretty> <fdb> <show>\n",
    );
    expect(run("centos7", "bridge", ["-json", "link", "show"]).calls).toBe("CALL <link> <show>\n");
    expect(run("centos7", "bridge", ["-pretty", "fdb"]).stderr).toBe(
      'Option "-pretty" is unknown, try "bridge help".\n',
    );
  });
  it("-batch input is the real ip's (no -json to refuse)", () => {
    const r = run("centos7", "ip", ["-batch", "-"], "link show\nroute show\n");
    expect(r.calls).toBe("CALL <-batch> <->\nIN:link show\nIN:route show\n");
  });
});

describe("ubuntu1804 (iproute2 4.15)", () => {
  it("ip -j link/addr is JSON; route, neigh and others print plain text", () => {
    expect(run("ubuntu1804", "ip", ["-j", "-d", "link", "show"]).calls).toBe(
      "CALL <-json> <-pretty> <-d> <link> <show>\n",
    );
    expect(run("ubuntu1804", "ip", ["-4", "-j", "a"]).calls).toBe("CALL <-json> <-pretty> <-4> <a>\n");
    expect(run("ubuntu1804", "ip", ["-j", "route", "show", "proto", "80"]).calls).toBe(
      "CALL <route> <show> <proto> <80>\n",
    );
    expect(run("ubuntu1804", "ip", ["-n", "x", "-json", "neigh"]).calls).toBe("CALL <-n> <x> <neigh>\n");
    expect(run("ubuntu1804", "ip", ["-j", "ro"]).calls).toBe("CALL <ro>\n");
    // "m" resolves to maddress (before monitor and mroute): text.
    expect(run("ubuntu1804", "ip", ["-j", "m"]).calls).toBe("CALL <m>\n");
  });
  it("answers -V as 4.15 did and refuses -pretty", () => {
    expect(run("ubuntu1804", "ip", ["-V"]).stdout).toBe("ip utility, iproute2-ss180129\n");
    expect(run("ubuntu1804", "ip", ["-j", "-p", "link"]).code).toBe(255);
  });
  it("-j -batch: JSON lines and text lines go to separate real runs, line numbers kept", () => {
    const input = "link show\n# comment\nroute show\nneigh show\n\naddr show\n";
    const r = run("ubuntu1804", "ip", ["-j", "-batch", "-"], input);
    expect(r.calls).toBe(
      [
        "CALL <-json> <-pretty> <-batch> <->",
        "IN:link show",
        "IN:# comment",
        "CALL <-batch> <->",
        "IN:",
        "IN:",
        "IN:route show",
        "IN:neigh show",
        "IN:",
        "CALL <-json> <-pretty> <-batch> <->",
        "IN:",
        "IN:",
        "IN:",
        "IN:",
        "IN:",
        "IN:addr show",
        "",
      ].join("\n"),
    );
  });
  it("-j -batch FILE reads the file; a failing run stops the rest unless -force", () => {
    const file = join(dir, "batch.txt");
    writeFileSync(file, "route show\nlink show\n");
    const stop = run("ubuntu1804", "ip", ["-j", "-batch", file], "", 1);
    expect(stop.code).toBe(1);
    expect(stop.calls.match(/CALL/g)).toHaveLength(1);
    const force = run("ubuntu1804", "ip", ["-force", "-j", "-batch", file], "", 1);
    expect(force.code).toBe(1);
    expect(force.calls.match(/CALL/g)).toHaveLength(2);
    const missing = run("ubuntu1804", "ip", ["-j", "-batch", join(dir, "nope")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Cannot open file");
  });
  it("bridge 4.15: fdb, mdb and vlan JSON, link text", () => {
    expect(run("ubuntu1804", "bridge", ["-j", "mdb"]).calls).toBe("CALL <-json> <-pretty> <mdb>\n");
    expect(run("ubuntu1804", "bridge", ["-j", "l"]).calls).toBe("CALL <l>\n");
  });
});

describe("--os values", () => {
  it("one per cluster, cycling, recorded on every planned node", () => {
    const plan = planLab(4, 2, false, parseOsList("centos7,ubuntu1804,debian12"));
    expect(plan.clusters.map((c) => c.os)).toEqual(["centos7", "ubuntu1804", "debian12", "centos7"]);
    expect(plan.nodes.filter((n) => n.os === "centos7").map((n) => n.name)).toEqual([
      "c1-node1",
      "c1-node2",
      "c4-node1",
      "c4-node2",
    ]);
    expect(planLab(1, 1, false).nodes[0]?.os).toBe("host");
  });
  it("refuses unknown values and has no wrapper for debian12 (the real thing)", () => {
    expect(() => parseOsList("centos7,rhel9")).toThrow(/unknown --os value "rhel9"/);
    expect(wrapperScript("ip", OS_RELEASES.debian12 ?? osRelease("host"), "/x")).toBeUndefined();
  });
});
