/** `meshctl discover`: the pod blocks each cluster assigns its nodes (Calico block affinities). */
import type { Command } from "commander";
import { discoverBlocks, writeBlocks } from "../kube/discover.js";
import { buildModel } from "../model/build.js";
import type { Limit } from "../model/select.js";
import { selectNodes } from "../model/select.js";
import { ExitCode } from "./exit-codes.js";
import { loadInventoryReporting } from "./inventory.js";
import { type OutputFormat, withRemoteOptions } from "./options.js";
import { printDocument } from "./output.js";
import { connectorFor } from "./ssh-options.js";

export function registerDiscover(program: Command): void {
  withRemoteOptions(program.command("discover"))
    .description("print each node's pod blocks as its cluster reports them (--write: into the inventory)")
    .option("--write", "write the blocks found into the inventory file as pod_blocks (keeps comments)")
    .action(
      async (o: {
        inventory: string;
        output: OutputFormat;
        forks: number;
        limit?: Limit;
        write?: boolean;
        acceptNewHostKeys?: boolean;
      }) => {
        const inv = await loadInventoryReporting(o.inventory);
        const model = buildModel(inv);
        const limit = o.limit;
        const clusters = new Set(selectNodes(model, limit).map((n) => n.cluster as string));
        const connector = await connectorFor(o);
        let found: Awaited<ReturnType<typeof discoverBlocks>>;
        try {
          found = await discoverBlocks(
            model,
            model.clusters.filter((c) => clusters.has(c.name)),
            connector,
          );
        } finally {
          connector.closeAll();
        }
        const written = o.write ? await writeBlocks(o.inventory, found) : [];
        const exitCode = found.some((c) => c.error) ? ExitCode.failed : ExitCode.ok;
        if (o.output !== "text") {
          await printDocument(o.output, "discover", exitCode, { clusters: found, written });
        } else {
          for (const c of found) {
            process.stdout.write(
              `cluster ${c.cluster} (kubectl on ${c.control})${c.error ? `: error: ${c.error}` : ""}\n`,
            );
            for (const n of c.nodes) {
              const note =
                n.inInventory && JSON.stringify(n.inInventory) !== JSON.stringify(n.blocks)
                  ? `  (inventory: ${n.inInventory.join(", ")})`
                  : "";
              process.stdout.write(
                `  ${n.name}: ${n.blocks.length ? n.blocks.join(", ") : "no blocks found"}${note}\n`,
              );
            }
          }
          if (o.write)
            process.stdout.write(
              written.length
                ? `wrote pod_blocks of ${written.join(", ")} into ${o.inventory}\n`
                : "inventory already up to date\n",
            );
        }
        process.exitCode = exitCode;
      },
    );
}
