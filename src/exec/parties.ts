/**
 * The targets of a run as parties: what to call each before it is open, and how to open it — a node
 * (connect, open its NodeSession, wait for the resolved model) or a cluster's IPPools (its read session).
 * The clusters are read once, at the start; the model is resolved from what they report.
 */
import { cniOf } from "../cni/index.js";
import { classifyError, MeshctlError } from "../core/errors.js";
import type { SshTarget } from "../inventory/types.js";
import { nodesWithoutBlocks, resolveModel } from "../model/resolve.js";
import type { ClusterModel, MeshModel, NodeModel } from "../model/types.js";
import { shellSteps } from "../plan/shape.js";
import { siteCheck } from "../plan/site.js";
import { controlSsh, type OpenCluster, openCluster, reportedBlocks } from "./clusters.js";
import { probeTcp } from "./confirm.js";
import { NodeSession } from "./node-session.js";
import type { Step } from "./results.js";
import type { RunPlan } from "./run-plan.js";
import { freshConnections, sharedConnections } from "./shared.js";
import type { Connection, Connector } from "./ssh/types.js";
import { clusterTarget, type NodeSafety, nodeTarget, type Target } from "./targets.js";

export interface Opened {
  target: Target;
  close: () => Promise<void>;
}

export type StageFn = (step: Step, text: string) => void;

export interface Party {
  id: string;
  kind: "node" | "cluster";
  name: string;
  cluster: string;
  address: string;
  open(stage: StageFn): Promise<Opened>;
}

interface Reads {
  sessions: Map<string, Promise<OpenCluster>>;
  /** The final model: the plan's, with the pod blocks the clusters reported. */
  model: Promise<MeshModel>;
}

/** Cluster sessions opened before the run (the clusters' Nodes read first), by cluster name. */
export type OpenedClusters = ReadonlyMap<string, Promise<OpenCluster>>;

/**
 * Opens every cluster the plan reads (or takes the session `opened` before the run: one read per
 * cluster and run); resolves the model; closes those read only for pod blocks, and opened ones not used.
 */
function startReads(plan: RunPlan, connector: Connector, opened?: OpenedClusters): Reads {
  const sessions = new Map(
    plan.reads.map((c) => [c.name as string, opened?.get(c.name) ?? openCluster(plan.model, c, connector)]),
  );
  for (const [name, p] of opened ?? []) {
    if (!sessions.has(name)) void p.then((o) => o.conn.close()).catch(() => undefined);
  }
  for (const p of sessions.values()) p.catch(() => undefined); // observed by whoever awaits it
  const model = resolveFromReads(plan, sessions);
  model.catch(() => undefined);
  void model
    .finally(async () => {
      for (const c of plan.blockClusters) {
        if (plan.poolClusters.includes(c)) continue;
        (await sessions.get(c.name)?.catch(() => undefined))?.conn.close();
      }
    })
    .catch(() => undefined);
  return { sessions, model };
}

async function resolveFromReads(plan: RunPlan, sessions: Reads["sessions"]): Promise<MeshModel> {
  if (plan.blockClusters.length === 0) return plan.model;
  const facts = [];
  for (const c of plan.blockClusters) {
    try {
      const open = await (sessions.get(c.name) as Promise<OpenCluster>);
      facts.push(open.session.before);
    } catch (e) {
      throw new MeshctlError(
        `pod blocks of cluster ${c.name}'s nodes are unknown: ${classifyError(e).message}`,
      );
    }
  }
  const model = resolveModel(plan.model, reportedBlocks(facts));
  const missing = nodesWithoutBlocks(model).map((n) => n.name);
  if (missing.length > 0) {
    throw new MeshctlError(
      `no pod blocks found for ${missing.join(", ")} (no confirmed Calico block affinity nor node podCIDRs): list them as pod_blocks in the inventory`,
    );
  }
  return model;
}

export function partiesOf(plan: RunPlan, connector: Connector, opened?: OpenedClusters): Party[] {
  // A cluster's kubectl and its control node's session share one SSH connection (#15); a node that lost
  // contact is reached again over a new one.
  const shared = sharedConnections(connector);
  const reads = startReads(plan, shared, opened);
  const control = (c: ClusterModel) => ({ ssh: controlSsh(plan.model, c) as SshTarget });
  return [
    ...plan.nodes.map((node) => nodeParty(plan, node, reads.model, shared, freshConnections(connector))),
    ...plan.poolClusters.map(
      (c): Party => ({
        id: `cluster:${c.name}`,
        kind: "cluster",
        name: c.name,
        cluster: c.name,
        address: control(c).ssh.host,
        open: async (stage) => {
          stage("facts", `reading IPPools on ${c.control}`);
          const { conn, session } = await (reads.sessions.get(c.name) as Promise<OpenCluster>);
          return {
            target: clusterTarget(c, plan.model.clusters, control(c).ssh.host, cniOf(c), session, plan.shape),
            close: async () => conn.close(),
          };
        },
      }),
    ),
  ];
}

/** Commit-confirmed for the node, and how to reach it again over a new connection after lost contact. */
function nodeSafety(
  plan: RunPlan,
  node: NodeModel,
  connector: Connector,
  conn: Connection,
  stage: StageFn,
): NodeSafety {
  const reopen = async () => {
    conn.close(); // its session is gone; free its slot
    const again = await connector.connect(node.name, node.ssh);
    try {
      const s = await NodeSession.open(again, node);
      await s.close();
      return s.before;
    } finally {
      again.close();
    }
  };
  const windowSec = plan.policy.confirmSec;
  return {
    ...(windowSec > 0
      ? {
          confirm: {
            windowSec,
            probe: () =>
              connector.probe ? connector.probe(node.name, node.ssh) : probeTcp(node.ssh.host, node.ssh.port),
          },
        }
      : {}),
    reopen,
    onStage: (text) => stage("rollback", text),
  };
}

/** `shared`: the run's connections (shared with a cluster's kubectl); `fresh`: new ones, for lost contact. */
function nodeParty(
  plan: RunPlan,
  node: NodeModel,
  model: Promise<MeshModel>,
  shared: Connector,
  fresh: Connector,
): Party {
  const open = async (stage: StageFn): Promise<Opened> => {
    stage("connect", "connecting");
    const conn = await shared.connect(node.name, node.ssh);
    let session: NodeSession | undefined;
    const close = async () => {
      await session?.close();
      conn.close();
    };
    try {
      stage("facts", "gathering facts");
      const checks = shellSteps(plan.shape).map((s) => siteCheck(node, s));
      session = await NodeSession.open(conn, node, checks);
      const full = (await model).nodes.find((n) => n.name === node.name) as NodeModel;
      return {
        target: nodeTarget(full, session, plan.shape, nodeSafety(plan, node, fresh, conn, stage)),
        close,
      };
    } catch (e) {
      await close();
      throw e;
    }
  };
  return {
    id: node.name,
    kind: "node",
    name: node.name,
    cluster: node.cluster,
    address: node.ssh.host,
    open,
  };
}
