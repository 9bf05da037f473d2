/**
 * The node-side driver script on a real dash and real iproute2, in a throwaway network namespace with a
 * private /run/lock (no SSH): request framing, batches, stop-after-failure, forced batches, site scripts
 * with their environment, and the lock.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { driverScript, encodeBatch, encodeJournal } from "../../src/exec/driver.js";
import type { BatchCmd, ShellCmd } from "../../src/plan/commands.js";
import { requireRootOrFail } from "./helpers/host.js";

const NS = `mshdrv-${process.pid}`;
const FACTS = "echo marker-facts";
const ip = (...args: string[]): BatchCmd => ({ tool: "ip", args });
const sh = (script: string, env: Record<string, string> = {}): ShellCmd => ({
  tool: "sh",
  label: "t",
  script,
  env,
});

/** Runs the driver in the namespace with `input` on stdin; returns its stdout lines. */
function drive(
  input: string,
  lockDir = `/tmp/${NS}-lock`,
  lockWait = 30,
): { lines: string[]; code: number | null } {
  const r = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      NS,
      "unshare",
      "-m",
      "sh",
      "-c",
      `mkdir -p ${lockDir} && mount --bind ${lockDir} /run/lock && exec sh -c "$0"`,
      driverScript({ facts: FACTS, readback: "echo marker-readback" }, lockWait),
    ],
    { input, encoding: "utf8", timeout: 20_000 },
  );
  return { lines: r.stdout.split("\n").filter(Boolean), code: r.status };
}

beforeAll(() => {
  requireRootOrFail();
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
  spawnSync("ip", ["netns", "exec", NS, "ip", "link", "set", "lo", "up"]);
});

afterAll(() => {
  spawnSync("ip", ["netns", "del", NS]);
  spawnSync("rm", ["-rf", `/tmp/${NS}-lock`]);
});

describe("the driver", () => {
  it("prints facts first, then answers each batch; a failed batch stops the later ones but facts still answer", () => {
    const input =
      encodeBatch({ tool: "ip", cmds: [ip("route", "add", "198.18.250.0/24", "dev", "lo", "proto", "77")] }) +
      encodeBatch({
        tool: "ip",
        cmds: [
          ip("route", "add", "198.18.251.0/24", "dev", "lo", "proto", "77"),
          ip("route", "add", "198.18.250.0/24", "dev", "lo", "proto", "77"),
        ],
      }) +
      encodeBatch({ tool: "ip", cmds: [ip("route", "add", "198.18.252.0/24", "dev", "lo", "proto", "77")] }) +
      "facts\nquit\n";
    const { lines } = drive(input);
    expect(lines.slice(0, 3)).toEqual(["@@facts-begin", "marker-facts", "@@facts-end"]);
    expect(lines[3]).toBe("@@ok");
    expect(lines[4]).toBe("@@failed");
    expect(lines.slice(5, lines.indexOf("@@end")).join("\n")).toMatch(/File exists[\s\S]*Command failed -:2/);
    const after = lines.slice(lines.indexOf("@@end") + 1);
    expect(after).toEqual(["@@skipped", "@@facts-begin", "marker-facts", "@@facts-end"]);
    const routes = spawnSync("ip", ["netns", "exec", NS, "ip", "route", "show", "proto", "77"], {
      encoding: "utf8",
    }).stdout;
    expect(routes).toMatch(/198\.18\.250\.0\/24/);
    expect(routes).toMatch(/198\.18\.251\.0\/24/);
    expect(routes).not.toMatch(/198\.18\.252\.0\/24/);
  });

  it("forced batches try every line (rollback)", () => {
    const input = `${encodeBatch(
      {
        tool: "ip",
        cmds: [
          ip("route", "del", "198.18.250.0/24", "dev", "lo", "proto", "77"),
          ip("route", "del", "198.18.253.0/24", "dev", "lo", "proto", "77"),
          ip("route", "del", "198.18.251.0/24", "dev", "lo", "proto", "77"),
        ],
      },
      "force",
    )}quit\n`;
    const { lines } = drive(input);
    expect(lines[3]).toBe("@@failed");
    const routes = spawnSync("ip", ["netns", "exec", NS, "ip", "route", "show", "proto", "77"], {
      encoding: "utf8",
    }).stdout;
    expect(routes.trim()).toBe("");
  });

  it("site scripts get the values as environment, not as text, and checks answer their exit code", () => {
    const tricky = "$(touch /tmp/pwned) `id` ; rm -rf /";
    const input =
      encodeBatch({ tool: "sh", cmds: [sh('[ "$V" = "$1" ] || exit 3', { V: "x" })] }, "check") +
      encodeBatch({ tool: "sh", cmds: [sh('printf "%s\\n" "$V"; exit 0', { V: tricky })] }) +
      encodeBatch({ tool: "sh", cmds: [sh("echo line1\necho line2 >&2\nexit 7")] }) +
      encodeBatch({ tool: "sh", cmds: [sh("echo never")] }) +
      "quit\n";
    const { lines } = drive(input);
    expect(lines[3]).toBe("@@rc 3");
    expect(lines[4]).toBe("@@ok");
    expect(lines.slice(5)).toEqual(["@@failed", "| line1", "| line2", "@@end", "@@skipped"]);
    expect(spawnSync("test", ["-e", "/tmp/pwned"]).status).not.toBe(0);
  });

  it("undoes a change set by itself when the controller leaves without committing it", () => {
    const add = ip("route", "add", "198.18.254.0/24", "dev", "lo", "proto", "77");
    const undo = ip("route", "del", "198.18.254.0/24", "dev", "lo", "proto", "77");
    const routes = () =>
      spawnSync("ip", ["netns", "exec", NS, "ip", "route", "show", "proto", "77"], { encoding: "utf8" })
        .stdout;
    // Lost: journal, change, then end of input (no commit, no quit) — the route must be gone again.
    const lost = drive(`${encodeJournal([undo])}${encodeBatch({ tool: "ip", cmds: [add] })}`);
    expect(lost.lines.slice(3)).toEqual(["@@ok", "@@ok"]);
    expect(routes()).not.toMatch(/198\.18\.254\.0/);
    // Committed: the change stays, and no journal is left behind.
    drive(`${encodeJournal([undo])}${encodeBatch({ tool: "ip", cmds: [add] })}commit\nquit\n`);
    expect(routes()).toMatch(/198\.18\.254\.0\/24/);
    expect(spawnSync("test", ["-e", `/tmp/${NS}-lock/meshctl.journal`]).status).not.toBe(0);
  });

  it("never replays a journal it did not write (a diff after a hard-killed run changes nothing)", () => {
    const add = ip("route", "add", "198.18.254.0/24", "dev", "lo", "proto", "77");
    const undo = ip("route", "del", "198.18.254.0/24", "dev", "lo", "proto", "77");
    const routes = () =>
      spawnSync("ip", ["netns", "exec", NS, "ip", "route", "show", "proto", "77"], { encoding: "utf8" })
        .stdout;
    drive(`${encodeBatch({ tool: "ip", cmds: [add] })}quit\n`);
    // A leftover journal, as a driver killed with SIGKILL would leave it.
    const leftover = `/tmp/${NS}-lock/meshctl.journal`;
    writeFileSync(leftover, encodeJournal([undo]).replace(/^journal - \d+\n/, ""));
    try {
      drive("quit\n");
      drive("");
      expect(routes()).toMatch(/198\.18\.254\.0\/24/);
      expect(existsSync(leftover)).toBe(true);
    } finally {
      rmSync(leftover, { force: true });
      spawnSync("ip", [
        "netns",
        "exec",
        NS,
        "ip",
        "route",
        "del",
        "198.18.254.0/24",
        "dev",
        "lo",
        "proto",
        "77",
      ]);
    }
  });

  it("a second run on the same node waits for the lock, then gives up saying so", async () => {
    const lockDir = `/tmp/${NS}-lock`;
    const holder = spawn(
      "ip",
      [
        "netns",
        "exec",
        NS,
        "unshare",
        "-m",
        "sh",
        "-c",
        `mount --bind ${lockDir} /run/lock && exec flock /run/lock/meshctl.lock sleep 20`,
      ],
      { stdio: "ignore" },
    );
    await new Promise((r) => setTimeout(r, 500));
    try {
      const t0 = Date.now();
      const { lines, code } = drive("quit\n", lockDir, 2);
      expect(code).toBe(75);
      expect(lines).toEqual(["@@error another meshctl run holds /run/lock/meshctl.lock"]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    } finally {
      holder.kill();
    }
  }, 30_000);
});
