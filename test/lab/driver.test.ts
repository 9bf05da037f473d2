/**
 * The node-side driver script on a real dash and real iproute2, in a throwaway network namespace with a
 * private /run (no SSH): request framing, batches, stop-after-failure, forced batches, site scripts
 * with their environment, the lock, and the private state directory (world-writable /run/lock as on
 * Debian/Ubuntu/CentOS nodes).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IP_CANDIDATES } from "../../src/exec/caps-cache.js";
import { driverScript, encodeBatch, encodeJournal } from "../../src/exec/driver.js";
import { fileRequest } from "../../src/exec/driver-files.js";
import type { BatchCmd, ShellCmd } from "../../src/plan/commands.js";
import { requireRootOrFail } from "./helpers/host.js";

const NS = `mshdrv-${process.pid}`;
/** Bind-mounted over /run for the driver: root's, 0755, with a lock/ at 1777 as on real nodes. */
const RUN = `/tmp/${NS}-run`;
const STATE = `${RUN}/meshctl`;
const FACTS = "echo marker-facts";
const ip = (...args: string[]): BatchCmd => ({ tool: "ip", args });
const sh = (script: string, env: Record<string, string> = {}): ShellCmd => ({
  tool: "sh",
  label: "t",
  script,
  env,
});

/** Runs the driver in the namespace with `input` on stdin; returns its stdout lines. */
function driverArgs(lockWait = 30, facts = FACTS): string[] {
  return [
    "netns",
    "exec",
    NS,
    "unshare",
    "-m",
    "sh",
    "-c",
    `mount --bind ${RUN} /run && exec sh -c "$0"`,
    driverScript({ facts, readback: "echo marker-readback" }, lockWait),
  ];
}

function drive(input: string, lockWait = 30): { lines: string[]; code: number | null } {
  const r = spawnSync("ip", driverArgs(lockWait), { input, encoding: "utf8", timeout: 20_000 });
  return { lines: r.stdout.split("\n").filter(Boolean), code: r.status };
}

beforeAll(() => {
  requireRootOrFail();
  mkdirSync(`${RUN}/lock`, { recursive: true });
  chmodSync(RUN, 0o755);
  chmodSync(`${RUN}/lock`, 0o1777);
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
  spawnSync("ip", ["netns", "exec", NS, "ip", "link", "set", "lo", "up"]);
});

afterAll(() => {
  spawnSync("ip", ["netns", "del", NS]);
  spawnSync("rm", ["-rf", RUN]);
});

describe("the driver", () => {
  it("probes ip -V once per ip binary: kept in its state directory, keyed by the binary's path and identity", () => {
    const caps = `${STATE}/caps`;
    rmSync(caps, { force: true });
    const run = () =>
      spawnSync("ip", driverArgs(30, 'echo "caps=$caps_ip|$caps_mode"'), {
        input: "quit\n",
        encoding: "utf8",
        timeout: 20_000,
      }).stdout.match(/^caps=.*$/m)?.[0];
    const real = spawnSync("ip", ["-V"], { encoding: "utf8" }).stdout.trim();
    // the facts' PATH order (the list itself is pinned by test/unit/caps-cache.test.ts)
    const ipPath = IP_CANDIDATES.find((p) => existsSync(p)) as string;
    const key = spawnSync("stat", ["-L", "-c", "%n %d:%i:%s:%Z", ipPath], { encoding: "utf8" }).stdout.trim();
    expect(run()).toBe(`caps=${real}|json`);
    expect(readFileSync(caps, "utf8")).toBe(`${key}\n${real}\nend\n`);
    // read from the cache, not probed: a (planted) 4.11 answer under the same key is what the driver uses
    writeFileSync(caps, `${key}\nip utility, iproute2-ss170501\nend\n`);
    expect(run()).toBe("caps=ip utility, iproute2-ss170501|text");
    // another binary (another key): probed again, and kept
    writeFileSync(caps, `${key}0\nip utility, iproute2-ss170501\nend\n`);
    expect(run()).toBe(`caps=${real}|json`);
    expect(readFileSync(caps, "utf8")).toBe(`${key}\n${real}\nend\n`);
    expect(lstatSync(caps).mode & 0o777).toBe(0o600);
  });

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
    expect(spawnSync("test", ["-e", `${STATE}/journal`]).status).not.toBe(0);
  });

  it("never replays a journal it did not write (a diff after a hard-killed run changes nothing)", () => {
    const add = ip("route", "add", "198.18.254.0/24", "dev", "lo", "proto", "77");
    const undo = ip("route", "del", "198.18.254.0/24", "dev", "lo", "proto", "77");
    const routes = () =>
      spawnSync("ip", ["netns", "exec", NS, "ip", "route", "show", "proto", "77"], { encoding: "utf8" })
        .stdout;
    drive(`${encodeBatch({ tool: "ip", cmds: [add] })}quit\n`);
    // A leftover journal, as a driver killed with SIGKILL would leave it.
    const leftover = `${STATE}/journal`;
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

  it("a step that never ends is killed with its whole process group at its limit; the lock is free again", async () => {
    const forever = { ...sh("sleep 100000 & sleep 100001; echo never"), timeoutSec: 1 };
    const t0 = Date.now();
    const { lines, code } = drive(
      encodeBatch({ tool: "sh", cmds: [{ ...forever, script: "sleep 100002" }] }, "check") +
        encodeBatch({ tool: "sh", cmds: [forever] }) +
        encodeBatch({ tool: "ip", cmds: [ip("route", "add", "198.18.248.0/24", "dev", "lo")] }) +
        "quit\n",
    );
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(code).toBe(0);
    expect(lines.slice(3)).toEqual(["@@timeout 1", "@@end", "@@timeout 1", "@@end", "@@skipped"]);
    const left = spawnSync("pgrep", ["-f", "^sleep 10000[012]$"], { encoding: "utf8" }).stdout.trim();
    expect(left).toBe("");
    expect(drive("quit\n", 0).code).toBe(0);
  }, 20_000);

  it("a second run on the same node waits for the lock, then gives up saying so", async () => {
    drive("quit\n"); // makes the state directory
    const holder = spawn("flock", [`${STATE}/lock`, "sleep", "20"], { stdio: "ignore" });
    await until(() => spawnSync("flock", ["-n", `${STATE}/lock`, "true"]).status !== 0);
    try {
      const t0 = Date.now();
      const { lines, code } = drive("quit\n", 2);
      expect(code).toBe(75);
      expect(lines).toEqual(["@@error another meshctl run holds /run/meshctl/lock"]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    } finally {
      holder.kill();
    }
  }, 30_000);
});

/** Polls `cond` every 50 ms for at most `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error("condition not reached in time");
}

/** `sh -c cmd` as the unprivileged user nobody. */
const NOBODY = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c"];
const asNobody = (cmd: string) => spawnSync("setpriv", [...NOBODY, cmd]);
const startAsNobody = (cmd: string) => spawn("setpriv", [...NOBODY, cmd], { stdio: "ignore" });

describe("node-side files (a local user on the node)", () => {
  const victim = `/tmp/${NS}-victim`;
  const add = ip("route", "add", "198.18.249.0/24", "dev", "lo", "proto", "77");
  const undo = ip("route", "del", "198.18.249.0/24", "dev", "lo", "proto", "77");

  it("meshctl writes only into a 0700 root directory it makes: a link planted in /run/lock is never followed, a squatted old lock never waited on", async () => {
    rmSync(STATE, { recursive: true, force: true });
    writeFileSync(victim, "precious\n", { mode: 0o600 });
    // What a local user can do in a world-writable /run/lock (as nobody, the real condition).
    expect(asNobody(`ln -s ${victim} ${RUN}/lock/meshctl.journal.tmp`).status).toBe(0);
    expect(asNobody(`ln -s ${victim} ${RUN}/lock/meshctl.journal`).status).toBe(0);
    const squatter = startAsNobody(`exec flock ${RUN}/lock/meshctl.lock sleep 30`);
    await until(() => spawnSync("flock", ["-n", `${RUN}/lock/meshctl.lock`, "true"]).status !== 0);
    try {
      const t0 = Date.now();
      const { lines, code } = drive(
        `${encodeJournal([undo])}${encodeBatch({ tool: "ip", cmds: [add] })}commit\nquit\n`,
      );
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(code).toBe(0);
      expect(lines.slice(3)).toEqual(["@@ok", "@@ok", "@@ok"]);
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      const st = lstatSync(STATE);
      expect(st.isDirectory()).toBe(true);
      expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o700]);
      // An uncommitted change set (journal written, then undone on end of input) goes through the
      // private directory too.
      drive(`${encodeJournal([add])}${encodeBatch({ tool: "ip", cmds: [undo] })}`);
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
    } finally {
      squatter.kill();
      rmSync(`${RUN}/lock/meshctl.journal.tmp`, { force: true });
      rmSync(`${RUN}/lock/meshctl.journal`, { force: true });
      rmSync(victim, { force: true });
      spawnSync("ip", ["netns", "exec", NS, "ip", "route", "del", "198.18.249.0/24", "dev", "lo"]);
    }
  }, 30_000);

  it("refuses a state directory that is a link, not a directory, or owned by another user, and follows nothing", () => {
    rmSync(STATE, { recursive: true, force: true });
    mkdirSync(victim, { mode: 0o700 });
    try {
      spawnSync("ln", ["-s", victim, STATE]);
      let r = drive("quit\n");
      expect(r.code).toBe(3);
      expect(r.lines).toEqual([
        "@@error /run/meshctl is a symbolic link: refusing to follow it (remove it; meshctl creates /run/meshctl itself)",
      ]);
      expect(spawnSync("ls", ["-A", victim], { encoding: "utf8" }).stdout).toBe("");
      rmSync(STATE);

      writeFileSync(STATE, "");
      r = drive("quit\n");
      expect(r.code).toBe(3);
      expect(r.lines[0]).toMatch(/^@@error \/run\/meshctl is not a directory: refusing/);
      rmSync(STATE);

      mkdirSync(STATE, { mode: 0o700 });
      spawnSync("chown", ["nobody", STATE]);
      r = drive("quit\n");
      expect(r.code).toBe(3);
      expect(r.lines[0]).toMatch(/^@@error \/run\/meshctl is owned by uid \d+, not root: refusing/);
      expect(existsSync(`${STATE}/lock`)).toBe(false);
      rmSync(STATE, { recursive: true });

      // Root's, but opened up by hand: made private again, then used.
      mkdirSync(STATE, { mode: 0o755 });
      chmodSync(STATE, 0o755);
      r = drive("quit\n");
      expect(r.code).toBe(0);
      expect(lstatSync(STATE).mode & 0o7777).toBe(0o700);
    } finally {
      rmSync(STATE, { recursive: true, force: true });
      rmSync(victim, { recursive: true, force: true });
    }
  });
});

describe("file requests", () => {
  it("a refused path answers @@failed with the reason, and a run stops there while a forced one is still refused on its own", () => {
    const input =
      fileRequest({ tool: "file", op: "put", path: "/etc/passwd", content: "x\n", mode: "644" }, "run", 10) +
      fileRequest({ tool: "file", op: "remove", path: "/etc/shadow" }, "run", 10) +
      fileRequest({ tool: "file", op: "restore", path: "/etc/hosts" }, "force", 10) +
      "quit\n";
    const { lines, code } = drive(input);
    expect(code).toBe(0);
    expect(lines.slice(3)).toEqual([
      "@@failed",
      "| refusing to put /etc/passwd: not one of meshctl's files",
      "@@end",
      "@@skipped",
      "@@failed",
      "| refusing to restore /etc/hosts: not one of meshctl's files",
      "@@end",
    ]);
    expect(readFileSync("/etc/passwd", "utf8")).not.toBe("x\n");
  });
});

describe("commit-confirmed on the node", () => {
  const add = ip("route", "add", "198.18.247.0/24", "dev", "lo", "proto", "77");
  const undo = ip("route", "del", "198.18.247.0/24", "dev", "lo", "proto", "77");
  const hasRoute = () =>
    spawnSync("ip", ["netns", "exec", NS, "ip", "route", "show", "198.18.247.0/24"], {
      encoding: "utf8",
    }).stdout.trim() !== "";
  const timers = () => spawnSync("pgrep", ["-f", "meshctl-revert"], { encoding: "utf8" }).stdout.trim();

  it("an armed change set that is never confirmed is reverted by the node itself, though its session hangs", async () => {
    rmSync(`${STATE}/reverted`, { force: true });
    const driver = spawn("ip", driverArgs(), { stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    driver.stdout.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<void>((r) => driver.on("close", () => r()));
    try {
      // The session stays open (stdin never ends), as a connection black-holed by the change would.
      driver.stdin.write(
        `${encodeJournal([undo])}arm 3 1\n${encodeBatch({ tool: "ip", cmds: [add] })}readback\n`,
      );
      await until(() => out.split("@@facts-end").length === 3);
      expect(out).toContain("@@ok\n@@ok\n@@ok\n@@facts-begin");
      expect(hasRoute()).toBe(true);
      const t0 = Date.now();
      await until(() => !hasRoute(), 8_000);
      // The window (1 s) restarts at the read-back; the timer's own 1 s ticks add at most one more.
      expect(Date.now() - t0).toBeLessThan(4_000);
      await exited; // the timer ended the session it could no longer trust
      expect(existsSync(`${STATE}/reverted`)).toBe(true);
      expect(existsSync(`${STATE}/journal`)).toBe(false);
      await until(() => timers() === "");
      // The lock is free again.
      expect(drive("quit\n", 0).code).toBe(0);
    } finally {
      driver.kill();
    }
  }, 30_000);

  it("confirmed: the change stays, no timer is left, and the driver takes a leftover armed change set back", async () => {
    const { lines } = drive(
      `${encodeJournal([undo])}arm 3 1\n${encodeBatch({ tool: "ip", cmds: [add] })}readback\nconfirm\ncommit\nquit\n`,
    );
    expect(lines.slice(-1)).toEqual(["@@ok"]);
    expect(lines.filter((l) => l === "@@ok")).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(hasRoute()).toBe(true);
    expect(timers()).toBe("");
    // A driver killed with its change set armed: the next driver reverts it at once, under the lock.
    writeFileSync(`${STATE}/armed`, "");
    writeFileSync(`${STATE}/journal`, encodeJournal([undo]).replace(/^journal - \d+\n/, ""));
    expect(drive("quit\n").code).toBe(0);
    expect(hasRoute()).toBe(false);
    expect(existsSync(`${STATE}/armed`)).toBe(false);
  }, 30_000);
});
