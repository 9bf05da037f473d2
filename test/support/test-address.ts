/**
 * An address inside 198.18.0.0/15 for tests that run a server in the root namespace (the lab's
 * Kubernetes API test equipment): added to `lo` for the file's tests and removed afterwards, so no test
 * contacts any address outside the lab range — not even loopback. Needs root (lab project).
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll } from "vitest";

export const TEST_IP = "198.18.253.1";

export function useTestAddress(): void {
  let added = false;
  beforeAll(() => {
    if (process.getuid?.() !== 0)
      throw new Error("this test needs root: it adds a 198.18.0.0/15 address to lo");
    const have = spawnSync("ip", ["-o", "addr", "show", "dev", "lo", "to", `${TEST_IP}/32`], {
      encoding: "utf8",
    });
    if (have.stdout.trim() !== "") return;
    const r = spawnSync("ip", ["addr", "add", `${TEST_IP}/32`, "dev", "lo"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cannot add ${TEST_IP} to lo: ${r.stderr}`);
    added = true;
  });
  afterAll(() => {
    if (added) spawnSync("ip", ["addr", "del", `${TEST_IP}/32`, "dev", "lo"]);
  });
}
