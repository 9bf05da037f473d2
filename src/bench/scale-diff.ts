/**
 * The controller side of a fresh `diff` without nodes (`node dist/bench/scale-diff.js INVENTORY`): load,
 * model, every node diffed from empty facts, its commands rendered — what meshctl computes for a fleet
 * none of whose nodes has the mesh yet (the largest diff), and the report `meshctl diff` prints of it
 * (collapsed). Prints `@@stages` and `@@rusage` on stderr.
 */
import type { HostResult } from "../exec/results.js";
import { loadInventory } from "../inventory/load.js";
import { buildModel } from "../model/build.js";
import { diffNode } from "../plan/node-diff.js";
import { commandsOf } from "../plan/render.js";
import { emptyFacts } from "../plan/scratch.js";
import { renderChanges } from "../ui/changes.js";

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
const hosts: HostResult[] = [];
for (const n of model.nodes) {
  const d = diffNode(n, emptyFacts(n));
  changes += d.changes.length;
  lines += commandsOf(d.changes).length; // each change's commands rendered, as apply sends them
  hosts.push({
    kind: "node",
    name: n.name,
    cluster: n.cluster,
    address: n.ssh.host,
    status: "ok",
    changes: d.changes,
    applied: [],
    okCount: 0,
    commandsSent: 0,
  });
}
lap(`diff+render (${model.nodes.length} nodes, ${changes} changes, ${lines} commands)`);
// What `meshctl diff` prints of it (collapsed: what every node of a cluster has is said once).
const text = renderChanges({ mode: "diff", hosts, outcome: "ok" });
lap(`report (${(text.length / 1e6).toFixed(1)} MB of text)`);
const u = process.resourceUsage();
process.stderr.write(`@@stages ${stages.join(", ")}\n`);
process.stderr.write(
  `@@rusage ${JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime })}\n`,
);
