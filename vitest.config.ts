import { defineConfig } from "vitest/config";

/** Line-coverage floors (%) of the pure layers under the unit tests. */
const COVERAGE_FLOORS = {
  "src/inventory/**": { lines: 97 },
  "src/model/**": { lines: 85 },
  "src/plan/**": { lines: 97 },
  "src/facts/**": { lines: 97 },
  "src/cni/**": { lines: 70 },
  "src/exec/ssh/known-hosts.ts": { lines: 89 },
};

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // `npm run coverage`: unit-test line coverage per file and folder, with floors for the pure layers
    // (README "Development"). Lab tests run the built CLI in other processes, so they are not counted.
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text", "json-summary"],
      thresholds: COVERAGE_FLOORS,
    },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "lab",
          include: ["test/lab/**/*.test.ts"],
          // No root (or no kubectl, sshd, ...): the lab project fails before any test, never skips.
          globalSetup: ["test/lab/helpers/global-setup.ts"],
          // Lab tests share the root namespace's bridge and sysctls: run them one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
