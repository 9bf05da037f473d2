/**
 * The unit tests Stryker runs against each mutant (scripts/mutation.mjs sets MUTATION_TESTS to the tests
 * of the folder being mutated). Never the CLI tests: they start the program in a child process, which
 * Stryker cannot attribute mutants to.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: process.env.MUTATION_TESTS?.split(",") ?? ["test/unit/**/*.test.ts"],
    exclude: ["test/unit/cli-*.test.ts"],
    // Stryker runs two test processes beside the other work of a shared machine.
    testTimeout: 30_000,
  },
});
