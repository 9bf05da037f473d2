/**
 * The diagnose run: every selected node in parallel — connect, one exec of the diagnose script, parse,
 * close — and, at the same time, every cluster in scope read through kubectl on its control node
 * (IPPools; pod blocks the inventory leaves out); then the pure checks. Returns a DiagnoseResult for the renderer; no terminal I/O.
 */
import { rulesOf } from "../cni/rules.js";
import { classifyError, type Outcome } from "../core/errors.js";
import { factsOf, readClusters, reportedBlocks } from "../exec/clusters.js";
import { factsParamsOf } from "../exec/facts-params.js";
import type { Connector } from "../exec/ssh/types.js";
import { clustersToAsk, resolveModel } from "../model/resolve.js";
import { type Limit, selectClusters, selectNodes } from "../model/select.js";
import type { MeshModel, NodeModel } from "../model/types.js";
import { clusterFindings, nodeFindings } from "./checks.js";
import type { CheckContext } from "./finding.js";
import { parseDiagnoseOutput } from "./parse.js";
import { diagnoseScript } from "./script.js";
import type { DiagnoseResult, Finding, NodeDiagnosis } from "./types.js";

export const DIAGNOSE_TIMEOUT_MS = 60_000;

export interface DiagnoseOptions {
  connector: Connector;
  limit?: Limit;
  ctx?: CheckContext;
}

interface NodeRun {
  n: NodeDiagnosis;
  out?: ReturnType<typeof parseDiagnoseOutput>;
}

/** `base`: the inventory's model; it is resolved here with the pod blocks the clusters report. */
export async function runDiagnose(base: MeshModel, o: DiagnoseOptions): Promise<DiagnoseResult> {
  const nodes = selectNodes(base, o.limit);
  // Like apply: a cluster's pools are checked when no --limit is given or it names the cluster.
  const poolClusters = selectClusters(base, o.limit);
  const toRead = [...new Set([...poolClusters, ...clustersToAsk(base)])];
  const [reads, runs] = await Promise.all([
    readClusters(base, toRead, o.connector),
    Promise.all(nodes.map((node) => diagnoseNode(base, node, o.connector))),
  ]);
  const model = resolveModel(base, reportedBlocks(factsOf(reads)));
  const findings: Finding[] = [];
  const skipped: string[] = [];
  for (const r of runs) {
    if (!r.out) continue;
    const node = model.nodes.find((n) => n.name === r.n.node) as NodeModel;
    findings.push(...nodeFindings(model, node, r.out.facts, r.out.extra, o.ctx));
  }
  for (const c of model.clusters) {
    const inScope = poolClusters.some((x) => x.name === c.name);
    if (inScope) findings.push(...clusterFindings(c));
    const read = reads.find((r) => r.cluster === c.name);
    if (!read) continue;
    if ("error" in read) {
      if (inScope) {
        findings.push({
          cluster: c.name,
          check: "ippool",
          ok: false,
          severity: "error",
          finding: `could not read the IPPools through kubectl on ${c.control}: ${read.error}`,
          fix: `make kubectl work on ${c.control} (inventory: kubeconfig / context of cluster ${c.name}, or control), or leave the cluster out with --limit`,
        });
      }
      const blockless = model.nodes.filter((n) => n.cluster === c.name && n.podBlocks === undefined);
      if (blockless.length > 0)
        skipped.push(
          `pod blocks of ${blockless.map((n) => n.name).join(", ")} unknown: routes to them not checked`,
        );
    } else if (inScope) {
      findings.push(...rulesOf(c).checkCluster(c, model.clusters, read.facts, o.ctx?.inventory));
    }
  }
  const result: DiagnoseResult = { nodes: runs.map((r) => r.n), findings, skipped, outcome: "ok" };
  result.outcome = diagnoseOutcome(result);
  return result;
}

async function diagnoseNode(model: MeshModel, node: NodeModel, connector: Connector): Promise<NodeRun> {
  const base = { node: node.name, cluster: node.cluster, host: node.ssh.host };
  try {
    const conn = await connector.connect(node.name, node.ssh);
    try {
      const script = diagnoseScript({
        facts: factsParamsOf(node),
        device: node.device.name,
        port: node.device.port,
        remoteCidrs: model.clusters.filter((c) => c.name !== node.cluster).map((c) => c.podCidr),
      });
      const r = await conn.exec(script, { timeoutMs: DIAGNOSE_TIMEOUT_MS, label: "diagnose" });
      return { n: { ...base, status: "checked" }, out: parseDiagnoseOutput(r.stdout) };
    } finally {
      conn.close();
    }
  } catch (e) {
    const c = classifyError(e);
    return { n: { ...base, status: c.unreachable ? "unreachable" : "failed", error: c.message } };
  }
}

/** 1: an error-severity finding or a node that could not be checked; 4: only unreachable nodes; else 0. */
export function diagnoseOutcome(r: Pick<DiagnoseResult, "nodes" | "findings">): Outcome {
  if (r.findings.some((f) => !f.ok && f.severity === "error")) return "failed";
  if (r.nodes.some((n) => n.status === "failed")) return "failed";
  if (r.nodes.some((n) => n.status === "unreachable")) return "unreachable";
  return "ok";
}
