/**
 * `meshctl ping`: connect to every node (with host-key checks) and run `true` — like `ansible -m ping`.
 * Its wall time is the floor every other verb is measured against: nothing can converge N nodes faster.
 */
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import { isUnreachable } from "../core/errors.js";
import { withNodesFrom } from "../exec/cluster-nodes.js";
import { buildModel } from "../model/build.js";
import type { Limit } from "../model/select.js";
import { selectNodes } from "../model/select.js";
import { ExitCode } from "./exit-codes.js";
import { loadInventoryReporting } from "./inventory.js";
import { type OutputFormat, withRemoteOptions } from "./options.js";
import { printDocument } from "./output.js";
import { connectorFor, logOf, type SshCliOpts } from "./ssh-options.js";

interface PingOpts extends SshCliOpts {
  inventory: string;
  output: OutputFormat;
  limit?: Limit;
}

export interface PingResult {
  name: string;
  cluster: string;
  host: string;
  status: "ok" | "unreachable" | "failed";
  ms: number;
  error?: string;
}

export function registerPing(program: Command): void {
  withRemoteOptions(program.command("ping"))
    .description("connect to every node and run `true` (checks SSH, host keys and sudo)")
    .action(async (o: PingOpts) => {
      const log = logOf(o);
      const connector = await connectorFor(o, log);
      const inv = await withNodesFrom(await loadInventoryReporting(o.inventory), connector);
      const nodes = selectNodes(buildModel(inv), o.limit);
      const started = performance.now();
      const results = await Promise.all(
        nodes.map(async (n): Promise<PingResult> => {
          const t = performance.now();
          const base = { name: n.name, cluster: n.cluster as string, host: n.ssh.host };
          try {
            const conn = await connector.connect(n.name, n.ssh);
            try {
              await conn.exec("true", { check: true });
            } finally {
              conn.close();
            }
            return { ...base, status: "ok", ms: Math.round(performance.now() - t) };
          } catch (err) {
            const status = isUnreachable(err) ? "unreachable" : "failed";
            return { ...base, status, ms: Math.round(performance.now() - t), error: (err as Error).message };
          }
        }),
      ).finally(() => connector.closeAll());
      const wallMs = Math.round(performance.now() - started);
      const count = (s: PingResult["status"]) => results.filter((r) => r.status === s).length;
      const exitCode =
        count("failed") > 0 ? ExitCode.failed : count("unreachable") > 0 ? ExitCode.unreachable : ExitCode.ok;
      if (o.output !== "text") {
        const summary = {
          total: results.length,
          ok: count("ok"),
          unreachable: count("unreachable"),
          failed: count("failed"),
          wallMs,
        };
        await printDocument(o.output, "ping", exitCode, { summary, nodes: results });
      } else {
        for (const r of results) if (r.error) process.stdout.write(`${r.error}\n`);
        process.stdout.write(
          `${count("ok")}/${results.length} nodes answered in ${(wallMs / 1000).toFixed(2)} s\n`,
        );
      }
      process.exitCode = exitCode;
    });
}
