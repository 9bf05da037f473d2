/**
 * meshctl's entry point: builds the command tree and maps every error to a documented exit code.
 * The only place that exits; stages throw MeshctlError subclasses or return results.
 */
import { Command, CommanderError } from "commander";
import { registerDiagnose } from "./diagnose.js";
import { registerDiscover } from "./discover.js";
import { registerEngineVerbs } from "./engine-verbs.js";
import { registerLab } from "./lab.js";
import { registerPing } from "./ping.js";
import { registerPlan } from "./plan.js";
import { reportError } from "./report-error.js";
import { registerVerify } from "./verify.js";

export function buildProgram(): Command {
  const program = new Command("meshctl")
    .description("Join the pod networks of several Kubernetes clusters with a static VXLAN mesh, over SSH.")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  registerPlan(program);
  registerEngineVerbs(program);
  registerDiscover(program);
  registerPing(program);
  registerVerify(program);
  registerDiagnose(program);
  registerLab(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 64;
    }
    return reportError(e);
  }
}

process.exitCode = await main(process.argv);
if (process.env.MESHCTL_RUSAGE) {
  // For the benchmark: the controller's peak memory and CPU, on stderr.
  const u = process.resourceUsage();
  process.stderr.write(
    `@@rusage ${JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`,
  );
}
