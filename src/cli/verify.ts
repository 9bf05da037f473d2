/** `meshctl verify`: ping across the mesh — node × node over the overlay, at full MTU, and pod × pod. */
import { type Command, Option } from "commander";
import { withNodesFrom } from "../exec/cluster-nodes.js";
import { buildModel } from "../model/build.js";
import type { Limit } from "../model/select.js";
import { renderVerify, verifyToJson } from "../verify/render.js";
import { runVerify } from "../verify/run.js";
import { exitCodeOfOutcome } from "./exit-codes.js";
import { loadInventoryReporting } from "./inventory.js";
import { intArg, type OutputFormat, withRemoteOptions } from "./options.js";
import { printDocument } from "./output.js";
import { connectorFor } from "./ssh-options.js";

interface VerifyOpts {
  inventory: string;
  output: OutputFormat;
  limit?: Limit;
  forks: number;
  acceptNewHostKeys?: boolean;
  count: number;
  timeoutMs: number;
}

export function registerVerify(program: Command): void {
  withRemoteOptions(program.command("verify"))
    .description(
      "prove the mesh: ping every node's overlay IP (also at full MTU, don't-fragment) and every other cluster's test endpoints from every node (exit 1: a probe failed)",
    )
    .addOption(
      new Option("--count <n>", "echo requests per probe").argParser(intArg("--count", 1, 100)).default(2),
    )
    .addOption(
      new Option("--timeout-ms <ms>", "how long to wait for a reply (rounded up to whole seconds)")
        .argParser(intArg("--timeout-ms", 1, 600_000))
        .default(1000),
    )
    .action(async (o: VerifyOpts) => {
      const connector = await connectorFor(o);
      const inv = await withNodesFrom(await loadInventoryReporting(o.inventory), connector);
      const limit = o.limit;
      const tty = o.output === "text" && process.stderr.isTTY;
      let done = 0;
      const result = await runVerify(buildModel(inv), {
        connector,
        ...(limit ? { limit } : {}),
        count: o.count,
        timeoutMs: o.timeoutMs,
        onNodeDone: tty ? () => process.stderr.write(`\r  verifying: ${++done} node(s) done`) : undefined,
      }).finally(() => connector.closeAll());
      if (tty) process.stderr.write("\r\x1b[K");
      if (o.output === "text") process.stdout.write(`${renderVerify(result)}\n`);
      else await printDocument(o.output, "verify", exitCodeOfOutcome(result.outcome), verifyToJson(result));
      process.exitCode = exitCodeOfOutcome(result.outcome);
    });
}
