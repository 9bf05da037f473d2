/**
 * `meshctl watch`: keeps the mesh converged until stopped. Each round (every interval, polling):
 *   load the inventory → open every cluster and read it (the one `kubectl get …,nodes` per cluster that
 *   any run does) → resolve the model (Nodes, pod blocks) → compare with the last converged model:
 *   - something changed (a Node joined or left, a BlockAffinity came or went): apply to the affected nodes only;
 *   - nothing changed: apply to the whole mesh, which sends nothing to a node in sync (the drift check).
 * Every apply is the engine's (src/exec/engine.ts: commit-confirmed, time-limited, rolled back on failure),
 * fed the cluster sessions this round opened. A round that cannot read every cluster changes nothing (never
 * prunes); failed rounds back off. Aborting (SIGTERM) lets a change set already sent finish, then stops.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { classifyError } from "../core/errors.js";
import { readClusterNodes } from "../exec/cluster-nodes.js";
import { reportedBlocks } from "../exec/clusters.js";
import { planRun, run } from "../exec/engine.js";
import type { OpenedClusters } from "../exec/parties.js";
import type { HostResult } from "../exec/results.js";
import type { Connector } from "../exec/ssh/types.js";
import { loadInventory } from "../inventory/load.js";
import { buildModel } from "../model/build.js";
import { parseLimit } from "../model/limit.js";
import { resolveModel } from "../model/resolve.js";
import type { MeshModel } from "../model/types.js";
import { loadPlaybook, shippedPlaybook } from "../playbook/load.js";
import { backoffMs, type ModelChanges, modelChanges, unchanged } from "./changes.js";

export type WatchEvent =
  | { event: "start"; inventory: string; intervalSeconds: number }
  | { event: "error"; stage: "inventory" | "clusters" | "run"; error: string }
  | ({ event: "change" } & ModelChanges)
  | { event: "check"; nodes: number }
  | { event: "node"; name: string; cluster: string; status: string; changes: number; error?: string }
  | {
      event: "outcome";
      round: "change" | "check";
      outcome: string;
      changed: number;
      failed: number;
      ms: number;
    }
  | { event: "backoff"; seconds: number; failures: number }
  | { event: "stop"; reason: string };

export interface WatchOptions {
  inventory: string;
  intervalMs: number;
  forks: number;
  confirmTimeoutSec?: number;
  /** A fresh connector per round (closed at its end: no connection outlives a round). */
  connector: () => Promise<Connector>;
  emit: (e: WatchEvent) => void;
  /** Aborted: no new round starts, a change set already sent finishes; then watch returns. */
  signal: AbortSignal;
}

export async function watch(o: WatchOptions): Promise<void> {
  o.emit({ event: "start", inventory: o.inventory, intervalSeconds: o.intervalMs / 1000 });
  let converged: MeshModel | undefined;
  let failures = 0;
  while (!o.signal.aborted) {
    const r = await round(o, converged);
    if (r.ok) {
      converged = r.model;
      failures = 0;
    } else failures++;
    if (o.signal.aborted) break;
    const wait = backoffMs(o.intervalMs, failures);
    if (failures > 0) o.emit({ event: "backoff", seconds: wait / 1000, failures });
    await sleep(wait, undefined, { signal: o.signal }).catch(() => undefined);
  }
  o.emit({ event: "stop", reason: "signal" });
}

type Round = { ok: true; model: MeshModel } | { ok: false };

async function round(o: WatchOptions, converged: MeshModel | undefined): Promise<Round> {
  let inv: Awaited<ReturnType<typeof loadInventory>>;
  try {
    inv = await loadInventory(o.inventory);
  } catch (e) {
    o.emit({ event: "error", stage: "inventory", error: classifyError(e).message });
    return { ok: false };
  }
  const connector = await o.connector();
  try {
    let read: Awaited<ReturnType<typeof readClusterNodes>>;
    try {
      read = await readClusterNodes(
        inv,
        connector,
        inv.clusters.map((c) => c.name),
      );
    } catch (e) {
      o.emit({ event: "error", stage: "clusters", error: classifyError(e).message });
      return { ok: false };
    }
    return await converge(o, converged, read.inventory, read.opened, connector);
  } finally {
    connector.closeAll();
  }
}

async function converge(
  o: WatchOptions,
  converged: MeshModel | undefined,
  inv: Parameters<typeof buildModel>[0],
  opened: OpenedClusters,
  connector: Connector,
): Promise<Round> {
  const t0 = Date.now();
  const base = buildModel(inv);
  const facts = (await Promise.all(opened.values())).map((c) => c.session.before);
  const model = resolveModel(base, reportedBlocks(facts));
  const changes = converged ? modelChanges(converged, model) : undefined;
  const targeted = changes !== undefined && !unchanged(changes) && changes.affected.length > 0;
  if (targeted) o.emit({ event: "change", ...changes });
  else o.emit({ event: "check", nodes: model.nodes.length });
  if (o.signal.aborted) {
    for (const c of opened.values()) void c.then((x) => x.conn.close()).catch(() => undefined);
    return { ok: false };
  }
  let result: Awaited<ReturnType<typeof run>>;
  try {
    const plan = planRun(base, {
      mode: "apply",
      playbook: await loadPlaybook(shippedPlaybook("mesh")),
      forks: o.forks,
      ...(targeted ? { limit: parseLimit(changes.affected.join(",")) } : {}),
      ...(o.confirmTimeoutSec === undefined ? {} : { confirmTimeoutSec: o.confirmTimeoutSec }),
    });
    result = await run(plan, { connector, clusters: opened, signal: o.signal });
  } catch (e) {
    for (const c of opened.values()) void c.then((x) => x.conn.close()).catch(() => undefined);
    o.emit({ event: "error", stage: "run", error: classifyError(e).message });
    return { ok: false };
  }
  const shown = (h: HostResult) => h.status !== "ok" || h.error !== undefined;
  for (const h of result.hosts.filter(shown)) {
    o.emit({
      event: "node",
      name: h.kind === "cluster" ? `cluster:${h.name}` : h.name,
      cluster: h.cluster,
      status: h.status,
      changes: h.applied.length,
      ...(h.error ? { error: h.error } : {}),
    });
  }
  const failed = result.hosts.filter((h) => h.status !== "ok" && h.status !== "changed").length;
  o.emit({
    event: "outcome",
    round: targeted ? "change" : "check",
    outcome: result.outcome,
    changed: result.hosts.filter((h) => h.status === "changed").length,
    failed,
    ms: Date.now() - t0,
  });
  return result.outcome === "ok" ? { ok: true, model } : { ok: false };
}
