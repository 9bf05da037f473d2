/**
 * `npm run bench -- --scale N`: no lab. `meshctl plan` of a generated N-node inventory (4 clusters at
 * most 250 nodes each… up to 8 × 256), timed as a user runs it (output to /dev/null), then once more under
 * `node --cpu-prof` to say where its CPU goes; and the controller side of a fresh `diff` of the same
 * inventory without nodes (scale-diff.ts: every node diffed from empty facts), per stage.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bigInventoryYaml } from "./big-inventory.js";
import { MESHCTL, timed } from "./child.js";
import { type Profile, profileLines, selfTimeByGroup } from "./profile.js";

const SCALE_DIFF = fileURLToPath(new URL("./scale-diff.js", import.meta.url));

export async function benchScale(n: number, log: (s: string) => void): Promise<void> {
  const clusters = Math.min(8, Math.max(1, Math.ceil(n / 250)));
  const per = Math.ceil(n / clusters);
  const dir = mkdtempSync(join(tmpdir(), "meshctl-bench-scale-"));
  try {
    const inv = join(dir, "big.yaml");
    writeFileSync(inv, bigInventoryYaml(clusters, per));
    const nodes = clusters * per;
    log(
      `scale: ${nodes} nodes (${clusters} clusters × ${per}), no lab; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
    );
    const o = { timeoutMs: 300_000, attempts: 1 };
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await timed(MESHCTL, ["plan", "-i", inv], o));
    const best = [...runs].sort((a, b) => a.wallMs - b.wallMs)[1] ?? runs[0];
    if (!best) return;
    log(
      `plan (median of 3, output to /dev/null): wall ${(best.wallMs / 1000).toFixed(2)} s, CPU ${(best.cpuMs / 1000).toFixed(2)} s, peak RSS ${best.maxRssMb.toFixed(0)} MB (targets ≤ 5 s, ≤ 300 MB)`,
    );
    const prof = join(dir, "prof");
    const p = await timed(MESHCTL, ["plan", "-i", inv], {
      ...o,
      nodeArgs: ["--cpu-prof", "--cpu-prof-dir", prof],
    });
    const file = readdirSync(prof).find((f) => f.endsWith(".cpuprofile"));
    if (file) {
      const groups = selfTimeByGroup(JSON.parse(readFileSync(join(prof, file), "utf8")) as Profile);
      log(
        `plan under --cpu-prof (${(p.wallMs / 1000).toFixed(2)} s): self time by where it is spent (idle left out)`,
      );
      for (const l of profileLines(groups, 10)) log(`  ${l}`);
    }
    const d = await timed(SCALE_DIFF, [inv], o);
    log(
      `diff without nodes (controller side, every node from empty facts): wall ${(d.wallMs / 1000).toFixed(2)} s, CPU ${(d.cpuMs / 1000).toFixed(2)} s, peak RSS ${d.maxRssMb.toFixed(0)} MB`,
    );
    log(`  stages: ${d.stages ?? "?"}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
