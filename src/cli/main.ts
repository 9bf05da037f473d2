/**
 * meshctl's entry point. The only place that sets the exit status; stages throw MeshctlError subclasses or
 * return results (see program.ts).
 */
import { ExitCode } from "./exit-codes.js";
import { main } from "./program.js";

// A reader that stops early (`meshctl plan | head`): leave at once and quietly, with the status of a tool
// killed by SIGPIPE (128 + 13), as `yes | head` does — not an "internal error" with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(ExitCode.brokenPipe);
  });
}

process.exitCode = await main(process.argv);
if (process.env.MESHCTL_RUSAGE) {
  // For the benchmark: the controller's peak memory and CPU, on stderr.
  const u = process.resourceUsage();
  process.stderr.write(
    `@@rusage ${JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`,
  );
}
