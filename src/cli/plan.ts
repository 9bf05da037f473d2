/** `meshctl plan`: the commands that would build the mesh from scratch, node by node (contacts nothing). */
import type { Command } from "commander";
import { stringify } from "yaml";
import { shQuote } from "../exec/ssh/quote.js";
import { KUBECTL_APPLY_ARGS } from "../kube/kubectl.js";
import { buildModel } from "../model/build.js";
import { nodesWithoutBlocks } from "../model/resolve.js";
import { type Limit, selectClusters, selectNodes } from "../model/select.js";
import type { ClusterModel } from "../model/types.js";
import { type ScratchCluster, type ScratchNode, scratchClusters, scratchNodes } from "../plan/scratch.js";
import { ExitCode } from "./exit-codes.js";
import { loadInventoryReporting } from "./inventory.js";
import { inventoryOption, limitOption, type OutputFormat, outputOption } from "./options.js";
import { planDocument } from "./plan-document.js";
import { writeChunks } from "./write-stream.js";

interface PlanOpts {
  inventory: string;
  output: OutputFormat;
  limit?: Limit;
}

/**
 * The kubectl command line meshctl runs on the control node to apply a cluster's resources: the
 * inventory's kubeconfig as KUBECONFIG and its context as --context (each only when set; else kubectl's
 * own default, ~/.kube/config of the user it runs as), as src/kube/kubectl.ts and the CNI session run it.
 */
export function kubectlApply(c: Pick<ClusterModel, "kubeconfig" | "context">): string {
  return [
    c.kubeconfig ? `KUBECONFIG=${shQuote(c.kubeconfig)}` : "",
    "kubectl",
    c.context ? `--context ${shQuote(c.context)}` : "",
    KUBECTL_APPLY_ARGS,
  ]
    .filter(Boolean)
    .join(" ");
}

export type PlanCluster = ScratchCluster & {
  kubeconfig: string | null;
  context: string | null;
  command: string;
};

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("print the commands that would build the mesh from scratch, node by node (contacts nothing)")
    .addOption(inventoryOption())
    .addOption(outputOption())
    .addOption(limitOption())
    .action(async (opts: PlanOpts) => {
      const inv = await loadInventoryReporting(opts.inventory);
      const model = buildModel(inv);
      const nodes = selectNodes(model, opts.limit);
      const named = selectClusters(model, opts.limit);
      const clusters = scratchClusters(model, named).map((c, i): PlanCluster => {
        const m = named[i] as ClusterModel;
        return {
          ...c,
          kubeconfig: m.kubeconfig ?? null,
          context: m.context ?? null,
          command: kubectlApply(m),
        };
      });
      const chosen = new Set(nodes.map((n) => n.name as string));
      const missing = nodesWithoutBlocks(model)
        .map((n) => n.name as string)
        .filter((n) => chosen.has(n));
      // One node at a time, in small pieces: 1000 nodes make ~200 MB of commands, 2000 more than one
      // string may hold.
      const scratch = scratchNodes();
      const scratched = (function* () {
        for (const n of nodes) yield scratch(n);
      })();
      if (opts.output !== "text") {
        await writeChunks(
          process.stdout,
          planDocument(opts.output, ExitCode.ok, scratched, clusters, missing),
        );
        return;
      }
      await writeChunks(
        process.stdout,
        (function* () {
          for (const n of scratched) yield* nodeText(n);
        })(),
      );
      await writeChunks(process.stdout, [clustersText(clusters, missing)]);
    });
}

/** A node's text, in pieces of at most 256 lines (small strings stay in V8's young generation: no mmap churn). */
function* nodeText(n: ScratchNode): Generator<string> {
  let piece = `# node ${n.name} (cluster ${n.cluster}, ssh ${n.host})\n`;
  for (let i = 0; i < n.commands.length; i += 256) {
    piece += `${n.commands.slice(i, i + 256).join("\n")}\n`;
    yield piece;
    piece = "";
  }
  yield `${piece}\n`;
}

function clustersText(clusters: PlanCluster[], missing: string[]): string {
  const out: string[] = [];
  for (const c of clusters) {
    const kc =
      c.kubeconfig ??
      "kubectl's default (~/.kube/config of the user it runs as: root under become, else the SSH user)";
    out.push(
      `# cluster ${c.name}: on control node ${c.control}; kubeconfig ${kc}; context ${c.context ?? "its current context"}`,
      `${c.command} <<'EOF'`,
      c.resources.map((p) => stringify(p).trimEnd()).join("\n---\n"),
      "EOF",
      "",
    );
  }
  if (missing.length > 0) {
    out.push(`# pod blocks of ${missing.join(", ")} are discovered from the cluster at apply time`);
  }
  return out.length > 0 ? `${out.join("\n")}\n` : "";
}
