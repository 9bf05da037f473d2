/**
 * The SSH floor: connect to every host in parallel through meshctl's connector and run `true`. Nothing in
 * meshctl can converge N nodes faster than this; the bench reports every other number relative to it.
 */
import { performance } from "node:perf_hooks";
import { createSshConnector, type SshConnectorOptions } from "../exec/ssh/index.js";
import type { SshTarget } from "../inventory/types.js";

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
