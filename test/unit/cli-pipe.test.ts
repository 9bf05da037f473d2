/**
 * A reader that stops early (`meshctl plan | head`): meshctl leaves quietly with 141 (128 + SIGPIPE, as
 * `yes | head` does), in text and in -o json, never with "internal error" and a stack trace.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bigInventoryYaml } from "../support/big-inventory.js";
import { ROOT, STACK_FRAME } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "meshctl-pipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// 2 × 100 nodes: a plan of several MB, far more than a pipe holds.
const inventory = join(dir, "big.yaml");
writeFileSync(inventory, bigInventoryYaml(2, 100));

/** Runs meshctl with stdout a pipe that is closed after the first chunk. */
function closedEarly(args: string[]): Promise<{ code: number | null; stderr: string; read: number }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let read = 0;
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdout.once("data", (d: Buffer) => {
      read = d.length;
      child.stdout.destroy();
    });
    child.on("close", (code) => done({ code, stderr, read }));
  });
}

describe("stdout closed by its reader", { timeout: 120_000 }, () => {
  it.each([[[]], [["-o", "json"]]])("plan %j: exit 141, nothing on stderr", async (extra) => {
    const r = await closedEarly(["plan", "-i", inventory, ...extra]);
    expect(r.read).toBeGreaterThan(0);
    expect(r.code).toBe(141);
    expect(r.stderr).toBe("");
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
