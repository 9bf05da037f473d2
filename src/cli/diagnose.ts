/** `meshctl diagnose`: check every node and cluster for what breaks a static VXLAN mesh, and say how to fix it. */
import type { Command } from "commander";
import { diagnoseToJson, renderDiagnose } from "../diagnose/render.js";
import { runDiagnose } from "../diagnose/run.js";
import { withNodesFrom } from "../exec/cluster-nodes.js";
import { buildModel } from "../model/build.js";
import type { Limit } from "../model/select.js";
import { exitCodeOfOutcome } from "./exit-codes.js";
import { loadInventoryReporting } from "./inventory.js";
import { type OutputFormat, withRemoteOptions } from "./options.js";
import { printDocument } from "./output.js";
import { connectorFor } from "./ssh-options.js";

interface DiagnoseOpts {
  inventory: string;
  output: OutputFormat;
  limit?: Limit;
  forks: number;
  acceptNewHostKeys?: boolean;
  /** -v: show passing checks too. */
  verbose?: number;
}

export function registerDiagnose(program: Command): void {
  withRemoteOptions(program.command("diagnose"))
    .description(
      "check every node and cluster for what breaks the mesh (device, rp_filter, forwarding, UDP port, firewall, MTU, overlapping routes) and print the fix (exit 1: an error found)",
    )
    .action(async (o: DiagnoseOpts) => {
      const connector = await connectorFor(o);
      const inv = await withNodesFrom(await loadInventoryReporting(o.inventory), connector);
      const limit = o.limit;
      const result = await runDiagnose(buildModel(inv), {
        connector,
        ...(limit ? { limit } : {}),
        ctx: { inventory: o.inventory },
      }).finally(() => connector.closeAll());
      if (o.output === "text") process.stdout.write(`${renderDiagnose(result, (o.verbose ?? 0) > 0)}\n`);
      else
        await printDocument(o.output, "diagnose", exitCodeOfOutcome(result.outcome), diagnoseToJson(result));
      process.exitCode = exitCodeOfOutcome(result.outcome);
    });
}
