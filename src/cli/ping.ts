/**
 * `meshctl ping`: connect to every node (with host-key checks) and run `true` — like `ansible -m ping`.
 * Its wall time is the floor every other verb is measured against: nothing can converge N nodes faster.
 */
import type { Command } from "commander";
import { measureFloor } from "../bench/ssh-floor.js";
import { selectNodes } from "../exec/engine.js";
import { loadInventory } from "../inventory/load.js";
import { buildModel } from "../model/build.js";
import { ExitCode } from "./exit-codes.js";
import { type OutputFormat, parseLimit, withRemoteOptions } from "./options.js";
import { connectorOptions } from "./ssh-options.js";

export function registerPing(program: Command): void {
  withRemoteOptions(program.command("ping"))
    .description("connect to every node and run `true` (checks SSH, host keys and sudo)")
    .action(
      async (o: {
        inventory: string;
        output: OutputFormat;
        limit?: string;
        forks: number;
        acceptNewHostKeys?: boolean;
        sshConfig?: string;
        retries?: number;
        verbose?: number;
      }) => {
        const inv = await loadInventory(o.inventory);
        const nodes = selectNodes(buildModel(inv), parseLimit(o.limit));
        const r = await measureFloor(
          nodes.map((n) => ({ name: n.name, target: n.ssh })),
          o.forks,
          await connectorOptions(o),
        );
        if (o.output === "json") {
          process.stdout.write(`${JSON.stringify({ nodes: nodes.length, ...r }, null, 2)}\n`);
        } else {
          for (const e of r.errors) process.stdout.write(`${e}\n`);
          process.stdout.write(
            `${r.connected}/${nodes.length} nodes answered in ${(r.wallMs / 1000).toFixed(2)} s\n`,
          );
        }
        process.exitCode = r.failed === 0 ? ExitCode.ok : ExitCode.unreachable;
      },
    );
}
