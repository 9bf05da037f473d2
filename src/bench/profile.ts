/**
 * Where a Node process's CPU went, from a V8 CPU profile (`node --cpu-prof`): self time grouped by meshctl
 * folder (dist/<folder>/), npm package, Node.js internals, and V8's own entries (GC, program, idle).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of a V8 CPU profile grouped by meshctl folder, package, Node internals, GC. */
export function selfTimeByGroup(p: Profile): Map<string, number> {
  const group = new Map<number, string>();
  for (const n of p.nodes) {
    const u = n.callFrame.url;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1];
    const own = /\/dist\/([^/]+)\//.exec(u)?.[1];
    group.set(
      n.id,
      pkg
        ? `package ${pkg}`
        : own
          ? `meshctl ${own}/`
          : u.startsWith("node:")
            ? "Node.js internals"
            : n.callFrame.functionName.startsWith("(")
              ? n.callFrame.functionName
              : `native ${n.callFrame.functionName || "?"}`,
    );
  }
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const g = group.get(id) ?? "(other)";
    out.set(g, (out.get(g) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

/** The groups as `name ms %` lines, largest first, `(idle)` left out of the total. */
export function profileLines(groups: Map<string, number>, top = 8): string[] {
  const busy = [...groups.entries()].filter(([g]) => g !== "(idle)");
  const all = busy.reduce((a, [, ms]) => a + ms, 0);
  return busy
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([g, ms]) =>
        `${g.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms ${((100 * ms) / all).toFixed(0).padStart(3)} %`,
    );
}
