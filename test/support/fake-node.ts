/**
 * An in-memory node that speaks the node driver's protocol (src/exec/driver.ts), and a Connector handing
 * out connections to such nodes, so the real engine, NodeSession and node targets run without root or SSH.
 *
 * The node is "before" (nothing of the mesh: bareFacts) or "after" (converged: convergedFacts), or "half"
 * (a change set stopped part-way). It prints its facts as the facts script would (JSON mode), answers
 * `journal`, `run`/`force` batches, `readback`, `arm`/`confirm`, `commit` and `quit`, skips `run` requests
 * after a failed one, and — as the real driver — replays the journal (undoes the change set) when its
 * stdin ends with an uncommitted journal: a lost connection leaves the node as it was before.
 */

import { RemoteCommandError, UnreachableError } from "../../src/exec/ssh/errors.js";
import type { Connection, Connector, ExecResult, RemoteSession } from "../../src/exec/ssh/types.js";
import type { NodeFacts } from "../../src/facts/types.js";
import type { SshTarget } from "../../src/inventory/types.js";
import type { NodeModel } from "../../src/model/types.js";
import { bareFacts, convergedFacts } from "./builders.js";

export type NodeState = "before" | "half" | "after";

export interface NodeBehaviour {
  /** connect() rejects with this (an unreachable node). */
  connectError?: Error;
  /** connect() waits for this first. */
  connectGate?: Promise<void>;
  /** The first `run` batch of a change set fails (the kernel's message), after half of it ran. */
  applyFails?: string;
  /** The connection is lost once a change set was sent (after the journal is kept): the node undoes it. */
  loseAfterSend?: boolean;
  /** The facts never come: the controller's wait expires (its timeout fires at once here). */
  factsHang?: boolean;
  /** The replies to a change set wait for this. */
  applyGate?: Promise<void>;
}

/** The facts script's output for `f` (JSON mode); `readback`: only the sections a read-back prints. */
export function factsText(f: NodeFacts, readback: boolean): string {
  const j = (v: unknown) => JSON.stringify(v);
  const link = (d: NonNullable<NodeFacts["device"]>) => ({
    ifindex: d.ifindex,
    ifname: d.name,
    flags: d.flags,
    mtu: d.mtu,
    operstate: d.operstate,
    address: d.mac,
    ...(d.alias ? { ifalias: d.alias } : {}),
    linkinfo: {
      info_kind: d.kind,
      info_data: { id: d.vni, port: d.port, local: d.localIp, link: d.underlayDev, learning: d.learning },
    },
    addr_info: d.addresses.map((a) => ({ family: "inet", local: a.ip, prefixlen: a.prefixLen })),
  });
  const u = f.underlay;
  const holder = u
    ? [
        {
          ifindex: u.ifindex,
          ifname: u.name,
          flags: ["UP"],
          mtu: u.mtu,
          operstate: "UP",
          address: "02:00:00:00:00:01",
          addr_info: u.addresses.map((a) => ({ family: "inet", local: a.ip, prefixlen: a.prefixLen })),
        },
      ]
    : [];
  const route = (r: NodeFacts["routes"][number]) => ({
    type: r.type,
    dst: r.dst,
    ...(r.via ? { gateway: r.via } : {}),
    ...(r.dev ? { dev: r.dev } : {}),
    protocol: String(r.protocol),
    table: r.table,
    ...(r.metric === undefined ? {} : { metric: r.metric }),
    flags: r.flags,
  });
  const dev = f.device ? [link(f.device)] : [];
  const sections: [string, string][] = [
    ["caps", "ip utility, iproute2-6.1.0\nkernel 6.1.0\nmode json"],
    ["params", j(f.params)],
    ["device", j(dev)],
    ["neigh", j(f.neighbours.map((n) => ({ dst: n.ip, lladdr: n.mac, state: n.state })))],
    ["fdb", j(f.fdb.map((e) => ({ mac: e.mac, dst: e.dst, flags: e.flags, state: e.state })))],
    ["routes", j(f.routes.map(route))],
  ];
  if (!readback) {
    sections.push(
      ["vxlans", j(dev.filter((d) => d.linkinfo.info_kind === "vxlan"))],
      ["holder", j(holder)],
      ["underlay", "[]"],
      ["routes-main", j([...f.routes, ...f.foreignRoutes].filter((r) => r.table === "main").map(route))],
      [
        "sysctl",
        Object.entries(f.sysctl)
          .map(([k, v]) => `${k} ${v}`)
          .join("\n"),
      ],
      ["udp", f.udpPorts.map((p) => p.toString(16).toUpperCase()).join("\n")],
    );
  }
  return ["@@meshctl-facts 2", ...sections.map(([name, body]) => `@@${name}\n${body}`), "@@end"].join("\n");
}

export class FakeNode {
  state: NodeState = "before";
  /** Requests received, one word each (`journal`, `run`, `force`, `readback`, `commit`, `quit`, …). */
  readonly requests: string[] = [];
  /** Sessions opened on this node, and how many are still open. */
  sessions = 0;
  open = 0;

  constructor(
    readonly model: NodeModel,
    readonly behaviour: NodeBehaviour = {},
  ) {}

  get name(): string {
    return this.model.name;
  }

  facts(): NodeFacts {
    if (this.state === "before") return bareFacts(this.model);
    const after = convergedFacts(this.model);
    return this.state === "after" ? after : { ...after, routes: [] };
  }
}

/** A line queue with the RemoteSession's reading rules. */
class Lines {
  private readonly queue: string[] = [];
  private waiting: ((l: string | undefined) => void) | undefined;
  private ended = false;
  error: Error | undefined;
  timeout = false;

  push(text: string): void {
    for (const l of text.split("\n")) this.queue.push(l);
    this.flush();
  }

  end(error?: Error): void {
    this.ended = true;
    this.error ??= error;
    this.flush();
  }

  private flush(): void {
    if (!this.waiting) return;
    const next = this.queue.shift();
    if (next === undefined && !this.ended) return;
    const w = this.waiting;
    this.waiting = undefined;
    w(next);
  }

  read(node: string, timeoutMs: number | undefined): Promise<string | undefined> {
    const next = this.queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(undefined);
    if (this.timeout && timeoutMs !== undefined) {
      // The deadline passes with nothing said: what the SSH layer reports when its timer fires.
      return Promise.reject(new RemoteCommandError(node, "driver", null, "", { timedOutMs: timeoutMs }));
    }
    return new Promise((resolve, reject) => {
      this.waiting = (l) => (l === undefined && this.error ? reject(this.error) : resolve(l));
    });
  }
}

/** The driver's side of one session: parses requests as they are written and answers them. */
class DriverSession implements RemoteSession {
  private readonly out = new Lines();
  private input = "";
  private failed = false;
  private journal = false;
  private closed = false;
  private busy: Promise<void> = Promise.resolve();
  private resolveDone!: (r: ExecResult) => void;
  private rejectDone!: (e: Error) => void;
  readonly done: Promise<ExecResult>;

  constructor(
    private readonly node: FakeNode,
    private readonly lost: () => UnreachableError,
  ) {
    this.done = new Promise<ExecResult>((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined);
    node.sessions++;
    node.open++;
    if (node.behaviour.factsHang) this.out.timeout = true;
    else this.emitFacts(false);
  }

  private emitFacts(readback: boolean): void {
    this.out.push(`@@facts-begin\n${factsText(this.node.facts(), readback)}\n@@facts-end`);
  }

  write(text: string | Buffer): void {
    if (this.closed) return;
    this.input += text.toString();
    this.busy = this.busy.then(() => this.serve());
  }

  readLine(timeoutMs?: number): Promise<string | undefined> {
    return this.out.read(this.node.name, timeoutMs);
  }

  end(): void {
    this.busy = this.busy.then(() => {
      if (!this.closed) this.finish();
    });
  }

  kill(): void {
    if (!this.closed) this.finish();
  }

  /** stdin ended or the channel was cut: an uncommitted journal is replayed, as the driver does. */
  private finish(error?: Error): void {
    this.closed = true;
    this.node.open--;
    if (this.journal) this.node.state = "before";
    this.out.end(error);
    if (error) this.rejectDone(error);
    else this.resolveDone({ code: 0, stdout: "", stderr: "" });
  }

  /** Takes whole requests off the input and answers them, in order. */
  private async serve(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const nl = this.input.indexOf("\n");
      if (nl < 0) return;
      const [mode = "", tool = "", n = "0", nenv = "0"] = this.input.slice(0, nl).split(" ");
      const framed = mode === "journal" || mode === "run" || mode === "force" || mode === "check";
      // A framed request carries NENV lines and N bytes after its header: wait until all of it is here.
      let body = nl + 1;
      for (let i = 0; framed && i < Number(nenv); i++) body = this.input.indexOf("\n", body) + 1;
      if (framed && Buffer.byteLength(this.input.slice(body)) < Number(n)) return;
      const payload = framed ? this.input.slice(body, body + Number(n)) : "";
      this.input = this.input.slice(framed ? body + Number(n) : nl + 1);
      this.node.requests.push(mode);
      await this.answer(mode, tool, payload);
    }
  }

  private async answer(mode: string, tool: string, payload: string): Promise<void> {
    const b = this.node.behaviour;
    switch (mode) {
      case "journal":
        this.journal = true;
        this.out.push("@@ok");
        if (b.loseAfterSend) this.finish(this.lost());
        return;
      case "commit":
        this.journal = false;
        this.out.push("@@ok");
        return;
      case "arm":
      case "confirm":
        this.out.push("@@ok");
        return;
      case "run":
        await b.applyGate;
        if (this.failed) return this.out.push("@@skipped");
        if (b.applyFails && tool !== "file") {
          this.failed = true;
          this.node.state = "half";
          return this.out.push(
            `@@failed\n| ${b.applyFails}\n| Command failed -:${payload.split("\n").length > 2 ? 2 : 1}\n@@end`,
          );
        }
        this.node.state = "after";
        return this.out.push("@@ok");
      case "force":
        // Forced requests are the inverses (rollback): they take the node back.
        this.node.state = "before";
        return this.out.push("@@ok");
      case "readback":
        return this.emitFacts(true);
      case "facts":
        return this.emitFacts(false);
      case "quit":
        return this.finish();
      default:
        this.out.push(`@@error bad request ${mode}`);
        this.finish();
    }
  }
}

/** A Connector to fake nodes by name; every connection's sessions speak the driver's protocol. */
export class FakeConnector implements Connector {
  readonly connects: string[] = [];

  constructor(readonly nodes: ReadonlyMap<string, FakeNode>) {}

  async connect(name: string, target: SshTarget): Promise<Connection> {
    this.connects.push(name);
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no fake node ${name}`);
    await node.behaviour.connectGate;
    if (node.behaviour.connectError) throw node.behaviour.connectError;
    const address = `${target.host}:${target.port}`;
    const lost = () => new UnreachableError(name, address, "lost", "no answer to keepalives");
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => {
      markClosed = r;
    });
    const sessions: DriverSession[] = [];
    return {
      node: name,
      target,
      exec: () => Promise.reject(new Error("the fake node runs only the driver")),
      session: async () => {
        const s = new DriverSession(node, lost);
        sessions.push(s);
        return s;
      },
      close: () => {
        for (const s of sessions) s.kill();
        markClosed();
      },
      closed,
    };
  }

  async probe(): Promise<boolean> {
    return true;
  }

  closeAll(): void {}
}

/** Fake nodes for every node of a model, with the behaviours given by name. */
export function fakeFleet(
  nodes: readonly NodeModel[],
  behaviours: Record<string, NodeBehaviour> = {},
): Map<string, FakeNode> {
  return new Map(nodes.map((n) => [n.name, new FakeNode(n, behaviours[n.name])]));
}
