/**
 * meshctl's entry point. The only place that sets the exit status; stages throw MeshctlError subclasses or
 * return results (see program.ts).
 */
import { main } from "./program.js";

process.exitCode = await main(process.argv);
if (process.env.MESHCTL_RUSAGE) {
  // For the benchmark: the controller's peak memory and CPU, on stderr.
  const u = process.resourceUsage();
  process.stderr.write(
    `@@rusage ${JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`,
  );
}
