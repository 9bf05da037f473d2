/**
 * What the engine drives: a node (its kernel state, over a NodeSession) or a cluster (its CNI's resources,
 * over the CNI's ClusterSession). Both plan changes with inverses, apply them, read back and roll back the same way.
 */
import type { ClusterChange, ClusterSession, Cni } from "../cni/index.js";
import type { NodeFacts } from "../facts/types.js";
import type { ClusterModel, NodeModel } from "../model/types.js";
import type { Change } from "../plan/change.js";
import { diffNode, diffTeardown, PlanConflict } from "../plan/node-diff.js";
import { managedState } from "../plan/ownership.js";
import { bootFacts } from "../plan/persist.js";
import { diffPersist } from "../plan/persist-diff.js";
import type { PlanShape } from "../plan/shape.js";
import { siteChange } from "../plan/site.js";
import { LostContactError } from "./errors.js";
import { checkRevert } from "./lost-contact.js";
import type { ConfirmOptions, NodeSession } from "./node-session.js";

export type AnyChange = Change | ClusterChange;

export interface ApplyResult {
  applied: AnyChange[];
  /** What failed (the command and the system's message). */
  failure?: string;
  /** What the read-back still shows as different (empty when converged). */
  left: AnyChange[];
}

export interface Target {
  kind: "node" | "cluster";
  /** Node name, or cluster name for a cluster. */
  name: string;
  cluster: string;
  address: string;
  plan(): AnyChange[];
  okCount(changes: readonly AnyChange[]): number;
  apply(changes: AnyChange[]): Promise<ApplyResult>;
  /**
   * Undoes `applied`; `restored`: the read-back equals the state before the run. After lost contact, the
   * node undid it by itself: `detail` and `error` then say what happened instead.
   */
  rollback(
    applied: AnyChange[],
  ): Promise<{ restored: boolean; errors: string[]; detail?: string; error?: string }>;
  commandsSent(): number;
}

/**
 * The node's changes in playbook order. `checks`: exit codes of the shell steps' checks (in
 * shellSteps order); omitted, every shell step counts as already as wanted.
 */
export function nodeChanges(
  node: NodeModel,
  facts: NodeFacts,
  shape: PlanShape,
  checks?: readonly number[],
): Change[] {
  const needsDiff = shape.steps.some((s) => s.kind === "phase");
  const diff = needsDiff ? diffNode(node, facts).changes : [];
  let shellIndex = 0;
  return shape.steps.flatMap((s): Change[] => {
    if (s.kind === "phase") return diff.filter((c) => c.phase === s.phase);
    if (s.kind === "teardown") return diffTeardown(node, facts);
    if (s.kind === "persist") {
      // The boot files replay the node's from-scratch change set. On a node that holds none of meshctl's
      // runtime state (a fresh apply) that is the diff just made: not made twice (#15).
      const from = needsDiff && holdsNothingOfOurs(facts) ? diff : undefined;
      const scratch = () => (from ?? diffNode(node, bootFacts(facts)).changes).flatMap((c) => c.forward);
      return diffPersist(node, facts, s.state, scratch);
    }
    const code = checks?.[shellIndex++] ?? (s.step.state === "present" ? 0 : 1);
    const c = siteChange(node, s.step, code);
    return c ? [c] : [];
  });
}

/** The facts are already as a boot finds them (bootFacts): no device, entries, routes or connected route. */
function holdsNothingOfOurs(f: NodeFacts): boolean {
  return (
    f.device === undefined &&
    f.neighbours.length === 0 &&
    f.fdb.length === 0 &&
    f.routes.length === 0 &&
    f.connected?.length === 0
  );
}

/** Commit-confirmed, and how to reach the node again (new connection: its facts) after lost contact. */
export interface NodeSafety {
  confirm?: ConfirmOptions;
  reopen?: () => Promise<NodeFacts>;
  onStage?: (text: string) => void;
}

export function nodeTarget(
  node: NodeModel,
  session: NodeSession,
  shape: PlanShape,
  safety: NodeSafety = {},
): Target {
  let lost: LostContactError | undefined;
  const afterLoss = async (e: LostContactError) => {
    if (!safety.reopen) return { restored: false, errors: [e.message] };
    const r = await checkRevert(e, session.before, safety.reopen, sameManagedState, safety.onStage);
    return { restored: r.restored, errors: [], detail: r.detail, error: r.error };
  };
  return {
    kind: "node",
    name: node.name,
    cluster: node.cluster,
    address: node.ssh.host,
    plan: () => {
      const building = shape.steps.some((s) => s.kind === "phase");
      if (building && session.before.underlay === undefined) {
        throw new PlanConflict(
          node.name,
          `no interface on this node holds the underlay IP ${node.device.localIp}: correct underlay_ip (or host) for ${node.name} in the inventory`,
        );
      }
      return nodeChanges(node, session.before, shape, session.checks);
    },
    okCount: (changes) => {
      if (shape.steps.some((s) => s.kind === "teardown")) return 0;
      const total = 1 + node.fdb.length + node.neighbours.length + node.routes.length;
      // Entries already as wanted (the boot files are counted as changes only).
      const fixing = changes.filter((c) => c.action !== "delete" && c.resource !== "persist");
      return Math.max(0, total - fixing.length);
    },
    apply: async (changes) => {
      let out: Awaited<ReturnType<NodeSession["apply"]>>;
      try {
        out = await session.apply(changes as Change[], safety.confirm);
      } catch (e) {
        if (!(e instanceof LostContactError)) throw e;
        lost = e;
        return { applied: changes, failure: e.message, left: [] };
      }
      if (out.failure) {
        return { applied: out.applied, failure: `${out.failure.command}: ${out.failure.message}`, left: [] };
      }
      return { applied: out.applied, left: nodeChanges(node, out.after, shape) };
    },
    rollback: async (applied) => {
      if (lost) return afterLoss(lost);
      try {
        const rb = await session.rollback(applied as Change[]);
        return { restored: sameManagedState(session.before, rb.after), errors: rb.errors };
      } catch (e) {
        if (e instanceof LostContactError) return afterLoss(e);
        throw e;
      }
    },
    commandsSent: () => session.commandsSent,
  };
}

export function clusterTarget(
  cluster: ClusterModel,
  mesh: readonly ClusterModel[],
  address: string,
  cni: Cni,
  session: ClusterSession,
  shape: PlanShape,
): Target {
  const plan = (state = session.before) =>
    shape.pools === "absent" ? cni.teardown(state) : cni.diff(cluster, mesh, state);
  let sent = 0;
  return {
    kind: "cluster",
    name: cluster.name,
    cluster: cluster.name,
    address,
    plan: () => plan(),
    okCount: (changes) =>
      shape.pools === "absent"
        ? 0
        : Math.max(
            0,
            cni.desired(cluster, mesh).length - changes.filter((c) => c.action !== "delete").length,
          ),
    apply: async (changes) => {
      sent += changes.reduce((n, c) => n + c.forward.length, 0);
      const out = await session.apply(changes as ClusterChange[]);
      return {
        applied: out.applied,
        ...(out.failure ? { failure: out.failure } : {}),
        left: out.failure ? [] : plan(out.after),
      };
    },
    rollback: async (applied) => {
      sent += applied.reduce((n, c) => n + c.inverse.length, 0);
      const rb = await session.rollback(applied as ClusterChange[]);
      return { restored: cni.sameManaged(rb.after, session.before), errors: rb.errors };
    },
    commandsSent: () => sent,
  };
}

/** Whether two fact sets agree on everything meshctl manages (the rollback check). Pure. */
export const sameManagedState = (a: NodeFacts, b: NodeFacts): boolean => managedState(a) === managedState(b);
