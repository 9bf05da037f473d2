/**
 * Live progress for a run: a listr2 task per node (grouped by cluster) on a terminal, plain lines
 * otherwise. It only listens to the engine's events; the engine does not know it exists.
 */
import type { HostResult, RunEvent } from "../exec/engine.js";
import { hostLabel } from "./recap.js";

export interface Progress {
  onEvent(e: RunEvent): void;
  /** Resolves when the display has finished. */
  done: Promise<void>;
}

export interface ProgressNode {
  /** Event id: a node's name, or `cluster:<name>` for a cluster's IPPools. */
  id: string;
  name: string;
  cluster: string;
}

export async function startProgress(
  nodes: ProgressNode[],
  mode: "tty" | "plain" | "silent",
): Promise<Progress> {
  if (mode === "silent") return { onEvent: () => undefined, done: Promise.resolve() };
  if (mode === "plain") {
    return {
      onEvent: (e) => {
        if (e.kind === "done") process.stdout.write(`${hostLabel(e.result)}: ${summary(e.result)}\n`);
      },
      done: Promise.resolve(),
    };
  }
  const { Listr } = await import("listr2");
  const waiters = new Map<string, { resolve: (r: HostResult) => void; title: (t: string) => void }>();
  const results = new Map<string, HostResult>();
  /** The last stage of each host, for a task that starts after its host's events began. */
  const stages = new Map<string, string>();
  const clusters = [...new Set(nodes.map((n) => n.cluster))];
  const list = new Listr(
    clusters.map((c) => ({
      title: c,
      task: (_ctx, task) =>
        task.newListr(
          nodes
            .filter((n) => n.cluster === c)
            .map((n) => ({
              title: n.name,
              task: async (_c, t) => {
                const early = stages.get(n.id);
                if (early) t.title = `${n.name}: ${early}`;
                const r =
                  results.get(n.id) ??
                  (await new Promise<HostResult>((resolve) =>
                    waiters.set(n.id, {
                      resolve,
                      title: (s) => {
                        t.title = `${n.name}: ${s}`;
                      },
                    }),
                  ));
                t.title = `${n.name}: ${summary(r)}`;
                if (r.status === "failed" || r.status === "unreachable" || r.status === "rolled-back") {
                  throw new Error(`${n.name}: ${summary(r)}`);
                }
              },
            })),
          { concurrent: true, exitOnError: false },
        ),
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  const done = list.run().then(
    () => undefined,
    () => undefined,
  );
  return {
    onEvent: (e) => {
      const w = waiters.get(e.id);
      if (e.kind === "stage") {
        stages.set(e.id, e.text);
        w?.title(e.text);
      } else {
        results.set(e.id, e.result);
        w?.resolve(e.result);
      }
    },
    done,
  };
}

export function summary(r: HostResult): string {
  switch (r.status) {
    case "ok":
      return r.changes.length > 0
        ? `${r.changes.length} change(s) pending${r.error ? ` (${r.error})` : ""}`
        : "ok";
    case "changed":
      return `changed (${r.applied.length})`;
    case "unreachable":
      return `unreachable: ${r.error ?? ""}`;
    case "rolled-back":
      return `rolled back: ${r.rollback?.detail ?? ""}`;
    default:
      return `failed: ${r.error ?? ""}${r.rollback ? ` — ${r.rollback.detail}` : ""}`;
  }
}
