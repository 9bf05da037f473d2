/**
 * The controller side of a fresh `diff` without nodes (`node dist/bench/scale-diff.js INVENTORY`): load,
 * model, every node diffed from empty facts, its commands rendered — what meshctl computes for a fleet
 * none of whose nodes has the mesh yet (the largest diff). Prints `@@stages` and `@@rusage` on stderr.
 */
import { loadInventory } from "../inventory/load.js";
import { buildModel } from "../model/build.js";
import { diffNode } from "../plan/node-diff.js";
import { commandsOf } from "../plan/render.js";
import { emptyFacts } from "../plan/scratch.js";

const [file] = process.argv.slice(2);
if (!file) throw new Error("usage: scale-diff.js INVENTORY");
const stages: string[] = [];
let t = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  stages.push(`${name} ${(now - t).toFixed(0)} ms`);
  t = now;
};
const inventory = await loadInventory(file);
lap("load+validate");
const model = buildModel(inventory);
lap("model");
let changes = 0;
let lines = 0;
for (const n of model.nodes) {
  const d = diffNode(n, emptyFacts(n));
  changes += d.changes.length;
  lines += commandsOf(d.changes).length; // rendered and dropped, node by node, as diff streams them
}
lap(`diff+render (${model.nodes.length} nodes, ${changes} changes, ${lines} commands)`);
const u = process.resourceUsage();
process.stderr.write(`@@stages ${stages.join(", ")}\n`);
process.stderr.write(
  `@@rusage ${JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`,
);
