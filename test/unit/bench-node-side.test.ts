/**
 * The bench's node-side figures (src/bench/node-side.ts): the CPU a process and the children it reaped
 * spent, as /proc reports it, and the programs an strace log shows.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { countExecs, reapedCpuMs } from "../../src/bench/node-side.js";

describe("bench: node-side CPU and programs", () => {
  it("counts a reaped child's CPU in its parent's, and nothing for a process that is gone", () => {
    const before = reapedCpuMs([process.pid]);
    // a child that spins for 300 ms of CPU, then is reaped by spawnSync
    spawnSync(process.execPath, [
      "-e",
      "const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300e3);",
    ]);
    const spent = reapedCpuMs([process.pid]) - before;
    expect(spent).toBeGreaterThanOrEqual(250);
    expect(spent).toBeLessThan(5000);
    expect(reapedCpuMs([2 ** 22 + 12345])).toBe(0);
  }, 30_000); // a loaded machine may take a while to give the child its 200 ms

  it("counts the programs a trace shows by name, sshd's own re-exec left out", () => {
    const trace = [
      '101 execve("/usr/sbin/sshd", ["sshd", "-R"], 0x0 /* 3 vars */) = 0',
      '102 execve("/bin/sh", ["sh", "-c", "x"], 0x0 /* 3 vars */) = 0',
      '103 execve("/usr/sbin/ip", ["ip", "-batch", "-"], 0x0 /* 3 vars */) = 0',
      '104 execve("/usr/sbin/ip", ["ip", "-V"], 0x0 /* 3 vars */) = 0',
      "105 +++ exited with 0 +++",
    ].join("\n");
    expect([...countExecs(trace)]).toEqual([
      ["sh", 1],
      ["ip", 2],
    ]);
  });
});
