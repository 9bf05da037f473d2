import type { Command } from "commander";
import { stringify } from "yaml";
import { loadInventory } from "../inventory/load.js";
import { buildModel, nodesWithoutBlocks } from "../model/build.js";
import { planFromScratch } from "../plan/scratch.js";
import { inventoryOption, type OutputFormat, outputOption } from "./options.js";

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("print the commands that would build the mesh from scratch, node by node (contacts nothing)")
    .addOption(inventoryOption())
    .addOption(outputOption())
    .action(async (opts: { inventory: string; output: OutputFormat }) => {
      const inv = await loadInventory(opts.inventory);
      const model = buildModel(inv);
      const plan = planFromScratch(model);
      const missing = nodesWithoutBlocks(inv);
      if (opts.output === "json") {
        process.stdout.write(`${JSON.stringify({ ...plan, nodesWithoutBlocks: missing }, null, 2)}\n`);
        return;
      }
      const out: string[] = [];
      for (const n of plan.nodes) {
        out.push(`# node ${n.name} (cluster ${n.cluster}, ssh ${n.host})`, ...n.commands, "");
      }
      for (const c of plan.clusters) {
        out.push(
          `# cluster ${c.name}: on control node ${c.control}`,
          `kubectl apply --server-side --field-manager=meshctl -f - <<'EOF'`,
        );
        out.push(c.resources.map((p) => stringify(p).trimEnd()).join("\n---\n"), "EOF", "");
      }
      if (missing.length > 0) {
        out.push(`# pod blocks of ${missing.join(", ")} are discovered from the cluster at apply time`);
      }
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
