/**
 * What changed between two resolved models (`meshctl watch`): nodes that joined or left, nodes whose pod
 * blocks changed, and the nodes whose desired state differs — the only ones a change set is sent to. Pure.
 */
import type { MeshModel, NodeModel } from "../model/types.js";

export interface ModelChanges {
  joined: string[];
  left: string[];
  /** Nodes whose pod blocks changed (a BlockAffinity created or deleted). */
  blocks: string[];
  /** Nodes of `next` whose desired state is not what it was: new nodes and every peer of a change. */
  affected: string[];
}

/**
 * Everything meshctl converges a node to (its SSH target too: a new address is a new node to reach). Not
 * its own pod blocks: those become routes on the other clusters' nodes, not state on it.
 */
const desired = (n: NodeModel): string =>
  JSON.stringify([n.ssh.host, n.ssh.port, n.device, n.fdb, n.neighbours, n.routes]);

export function modelChanges(prev: MeshModel, next: MeshModel): ModelChanges {
  const before = new Map(prev.nodes.map((n) => [n.name as string, n]));
  const after = new Map(next.nodes.map((n) => [n.name as string, n]));
  const blocksOf = (n: NodeModel | undefined) => JSON.stringify(n?.podBlocks ?? []);
  return {
    joined: [...after.keys()].filter((n) => !before.has(n)),
    left: [...before.keys()].filter((n) => !after.has(n)),
    blocks: [...after]
      .filter(([name, n]) => before.has(name) && blocksOf(before.get(name)) !== blocksOf(n))
      .map(([name]) => name),
    affected: [...after]
      .filter(([name, n]) => {
        const was = before.get(name);
        return was === undefined || desired(was) !== desired(n);
      })
      .map(([name]) => name),
  };
}

/** True when nothing a node is converged to changed. */
export const unchanged = (c: ModelChanges): boolean => c.affected.length === 0 && c.left.length === 0;

/** Delay before the next round after `failures` failed rounds in a row: doubling, at most 10 intervals or 5 min. */
export function backoffMs(intervalMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  const cap = Math.min(10 * intervalMs, 300_000);
  return Math.max(intervalMs, Math.min(cap, intervalMs * 2 ** failures));
}
