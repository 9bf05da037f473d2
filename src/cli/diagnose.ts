/** `meshctl diagnose`: check every node and cluster for what breaks a static VXLAN mesh, and say how to fix it. */
import { type Command, Option } from "commander";
import { diagnoseToJson, renderDiagnose } from "../diagnose/render.js";
import { runDiagnose } from "../diagnose/run.js";
import { createSshConnector } from "../exec/ssh/index.js";
import { loadInventory } from "../inventory/load.js";
import { ExitCode, MeshctlError } from "./errors.js";
import { inventoryOption, limitOption, type OutputFormat, outputOption, parseLimit } from "./options.js";

interface DiagnoseOpts {
  inventory: string;
  output: OutputFormat;
  limit?: string;
  forks: number;
  acceptNewHostKeys?: boolean;
  verbose?: boolean;
}

const forksArg = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1)
    throw new MeshctlError(`--forks must be a whole number ≥ 1, got "${v}"`, ExitCode.usage);
  return n;
};

export function registerDiagnose(program: Command): void {
  program
    .command("diagnose")
    .description(
      "check every node and cluster for what breaks the mesh (device, rp_filter, forwarding, UDP port, firewall, MTU, overlapping routes) and print the fix (exit 1: an error found)",
    )
    .addOption(inventoryOption())
    .addOption(outputOption())
    .addOption(limitOption())
    .addOption(new Option("-f, --forks <n>", "SSH connections at once").argParser(forksArg).default(100))
    .option("--accept-new-host-keys", "record host keys of hosts not yet in known_hosts (never changed ones)")
    .option("-v, --verbose", "show passing checks too")
    .action(async (o: DiagnoseOpts) => {
      const inv = await loadInventory(o.inventory);
      const connector = createSshConnector({
        forks: o.forks,
        acceptNewHostKeys: o.acceptNewHostKeys ?? false,
      });
      const limit = parseLimit(o.limit);
      const result = await runDiagnose(inv, {
        connector,
        ...(limit ? { limit } : {}),
        ctx: { inventory: o.inventory },
      }).finally(() => connector.closeAll());
      process.stdout.write(
        o.output === "json"
          ? `${JSON.stringify(diagnoseToJson(result), null, 2)}\n`
          : `${renderDiagnose(result, o.verbose ?? false)}\n`,
      );
      process.exitCode = result.exitCode;
    });
}
