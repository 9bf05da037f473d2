/**
 * Prints one closing line CI tools read: `tests: N passed, N failed, N skipped`. In CI (CI=true) a
 * skipped test fails the run: lab tests must run there (root and network namespaces are available).
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failed++;
        else skipped++;
      }
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (process.env.CI === "true" && skipped > 0) {
      process.stdout.write(`CI: ${skipped} test(s) skipped — every test must run in CI\n`);
      process.exitCode = 1;
    }
  }
}
