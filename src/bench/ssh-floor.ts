/**
 * The SSH floor: connect to every host in parallel through meshctl's connector and run `true`. Nothing in
 * meshctl can converge N nodes faster than this; the bench reports every other number relative to it.
 * Run as a program (`node dist/bench/ssh-floor.js INVENTORY [RETRIES]`) it is the floor *process*: the
 * bench times it as it times meshctl (process start included) and reads its CPU from the `@@rusage` line.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createSshConnector, type SshConnectorOptions } from "../exec/ssh/index.js";
import { loadInventory } from "../inventory/load.js";
import type { SshTarget } from "../inventory/types.js";
import { buildModel } from "../model/build.js";

export interface FloorResult {
  wallMs: number;
  connected: number;
  failed: number;
  /** The first few error messages, for the bench log. */
  errors: string[];
}

export async function measureFloor(
  targets: { name: string; target: SshTarget }[],
  forks: number,
  opts: Omit<SshConnectorOptions, "forks"> = {},
): Promise<FloorResult> {
  const connector = createSshConnector({ ...opts, forks });
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    targets.map(async ({ name, target }) => {
      const conn = await connector.connect(name, target);
      try {
        await conn.exec("true", { check: true });
      } finally {
        conn.close();
      }
    }),
  );
  const wallMs = performance.now() - started;
  connector.closeAll();
  const errors = outcomes.flatMap((o) =>
    o.status === "rejected" ? [String(o.reason?.message ?? o.reason)] : [],
  );
  return {
    wallMs,
    connected: targets.length - errors.length,
    failed: errors.length,
    errors: errors.slice(0, 5),
  };
}

/** The floor process: every node of the inventory, 100 at once; exit 4 if any failed, `@@rusage` on stderr. */
async function floorProcess(inventory: string, retries: number): Promise<number> {
  const model = buildModel(await loadInventory(inventory));
  const r = await measureFloor(
    model.nodes.map((n) => ({ name: n.name, target: n.ssh })),
    100,
    { retries },
  );
  for (const e of r.errors) process.stderr.write(`${e}\n`);
  const u = process.resourceUsage();
  process.stderr.write(
    `@@rusage ${JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`,
  );
  return r.failed > 0 ? 4 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [inventory, retries] = process.argv.slice(2);
  if (!inventory) {
    process.stderr.write("usage: ssh-floor.js INVENTORY [RETRIES]\n");
    process.exitCode = 64;
  } else {
    process.exitCode = await floorProcess(inventory, Number(retries ?? 2));
  }
}
