/**
 * Runs once before any lab test: builds dist/ and the bundle; without root or a tool the lab needs, the
 * whole lab project fails at once with what to do — `npm test` as a normal user fails loudly instead of
 * skipping the lab tests.
 */
import { execFileSync } from "node:child_process";
import { buildDist } from "./cli.js";
import { requireRootOrFail } from "./host.js";

export default function setup(): void {
  requireRootOrFail();
  // Every lab test runs bin/meshctl.js, i.e. the bundle: built from the source under test, once, here.
  buildDist();
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore", timeout: 30_000 });
  } catch {
    throw new Error(
      "kubectl is missing: the lab tests drive the lab's API with it (scripts/install-system-deps.sh)",
    );
  }
}
