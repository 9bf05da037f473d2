/** `meshctl plan`: the commands that would build the mesh from scratch, node by node (contacts nothing). */
import type { Command } from "commander";
import { stringify } from "yaml";
import { shQuote } from "../exec/ssh/quote.js";
import { loadInventory } from "../inventory/load.js";
import { buildModel } from "../model/build.js";
import { nodesWithoutBlocks } from "../model/resolve.js";
import type { ClusterModel } from "../model/types.js";
import { planFromScratch } from "../plan/scratch.js";
import { ExitCode } from "./exit-codes.js";
import { inventoryOption, type OutputFormat, outputOption } from "./options.js";
import { printDocument } from "./output.js";

/**
 * The kubectl command line meshctl runs on the control node to apply a cluster's resources: the
 * inventory's kubeconfig as KUBECONFIG and its context as --context (each only when set; else kubectl's
 * own default, ~/.kube/config of the SSH user), as src/kube/kubectl.ts and the CNI session run it.
 */
export function kubectlApply(c: Pick<ClusterModel, "kubeconfig" | "context">): string {
  return [
    c.kubeconfig ? `KUBECONFIG=${shQuote(c.kubeconfig)}` : "",
    "kubectl",
    c.context ? `--context ${shQuote(c.context)}` : "",
    "apply --server-side --field-manager=meshctl --force-conflicts -f -",
  ]
    .filter(Boolean)
    .join(" ");
}

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
      const missing = nodesWithoutBlocks(model).map((n) => n.name as string);
      const clusterOf = (name: string) => model.clusters.find((c) => c.name === name);
      const clusters = plan.clusters.map((c) => {
        const m = clusterOf(c.name);
        return {
          ...c,
          kubeconfig: m?.kubeconfig ?? null,
          context: m?.context ?? null,
          command: kubectlApply(m ?? {}),
        };
      });
      if (opts.output !== "text") {
        await printDocument(opts.output, "plan", ExitCode.ok, {
          nodes: plan.nodes,
          clusters,
          nodesWithoutBlocks: missing,
        });
        return;
      }
      const out: string[] = [];
      for (const n of plan.nodes) {
        out.push(`# node ${n.name} (cluster ${n.cluster}, ssh ${n.host})`, ...n.commands, "");
      }
      for (const c of clusters) {
        const kc = c.kubeconfig ?? "kubectl's default ($KUBECONFIG, else ~/.kube/config of the SSH user)";
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
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
