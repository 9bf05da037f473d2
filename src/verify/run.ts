/**
 * The verify run: every selected node in parallel — connect, one exec of the verify script, parse,
 * close. Emits nothing on the terminal; returns a VerifyResult for the renderer.
 */

import { classifyError, type Outcome } from "../core/errors.js";
import { factsOf, readClusters, reportedBlocks } from "../exec/clusters.js";
import type { Connector } from "../exec/ssh/types.js";
import { clustersToAsk, resolveModel } from "../model/resolve.js";
import { type Limit, selectNodes } from "../model/select.js";
import type { MeshModel } from "../model/types.js";
import { parseVerifyOutput } from "./parse.js";
import { columnsOf, planNode } from "./plan.js";
import { replyWaitSeconds, scriptBudgetMs, verifyScript } from "./script.js";
import type { NodeVerify, VerifyResult } from "./types.js";

export interface VerifyOptions {
  connector: Connector;
  limit?: Limit;
  count: number;
  timeoutMs: number;
  onNodeDone?: (n: NodeVerify) => void;
}

/** `base`: the inventory's model; it is resolved here with the pod blocks the clusters report. */
export async function runVerify(base: MeshModel, o: VerifyOptions): Promise<VerifyResult> {
  const nodes = selectNodes(base, o.limit);
  // Nodes without pod_blocks in the inventory: ask their clusters (the pod probes need the blocks).
  const reads = await readClusters(base, clustersToAsk(base), o.connector);
  const model = resolveModel(base, reportedBlocks(factsOf(reads)));
  const warnings = reads.flatMap((r) =>
    "error" in r
      ? [
          `pod blocks of cluster ${r.cluster}'s nodes unknown (${r.error}): pod probes from them use the overlay IP`,
        ]
      : [],
  );
  const results = await Promise.all(
    nodes.map(async (selected): Promise<NodeVerify> => {
      const node = model.nodes.find((n) => n.name === selected.name) ?? selected;
      const base = { node: node.name, cluster: node.cluster, host: node.ssh.host, notes: [], probes: [] };
      const plan = planNode(model, node);
      const opts = { device: node.device.name, count: o.count, timeoutMs: o.timeoutMs };
      let result: NodeVerify;
      try {
        const conn = await o.connector.connect(node.name, node.ssh);
        try {
          const r = await conn.exec(verifyScript(plan, opts), {
            timeoutMs: scriptBudgetMs(plan, opts),
            label: "verify pings",
          });
          const out = parseVerifyOutput(r.stdout, plan, replyWaitSeconds(o.timeoutMs));
          result = {
            ...base,
            status: out.probes.every((p) => p.ok) ? "ok" : "failed",
            ...(out.deviceMtu === undefined ? {} : { deviceMtu: out.deviceMtu }),
            podSource: out.podSource,
            notes: out.notes,
            probes: out.probes,
          };
        } finally {
          conn.close();
        }
      } catch (e) {
        const c = classifyError(e);
        result = { ...base, status: c.unreachable ? "unreachable" : "failed", error: c.message };
      }
      o.onNodeDone?.(result);
      return result;
    }),
  );
  return { columns: columnsOf(model), nodes: results, warnings, outcome: verifyOutcome(results) };
}

/**
 * 0: every probe passed. 1: a probe failed between reachable nodes, or a node could not be verified.
 * 4: nodes were unreachable and every failed probe was towards one of them.
 */
export function verifyOutcome(nodes: readonly NodeVerify[]): Outcome {
  const unreachable = new Set(nodes.filter((n) => n.status === "unreachable").map((n) => n.node));
  if (nodes.some((n) => n.status === "failed" && n.probes.length === 0)) return "failed";
  const failed = nodes.flatMap((n) => n.probes.filter((p) => !p.ok));
  if (failed.some((p) => !unreachable.has(p.to))) return "failed";
  return unreachable.size > 0 ? "unreachable" : "ok";
}
