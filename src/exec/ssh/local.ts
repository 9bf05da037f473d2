/**
 * LocalConnector: the Connector interface over local `sh -c` child processes, for tests of code that
 * talks to a Connection (engine, facts, driver sessions) without SSH. `target.become` is ignored.
 */
import { spawn } from "node:child_process";
import type { SshTarget } from "../../model/types.js";
import { type Chan, type ChanEnd, runExec, runSession } from "./channel.js";
import { firstLine } from "./errors.js";
import type {
  Connection,
  Connector,
  ExecOptions,
  ExecResult,
  RemoteSession,
  SessionOptions,
} from "./types.js";

function spawnChan(script: string, env?: NodeJS.ProcessEnv): Chan {
  // Its own process group, so kill() takes the whole command (children holding the pipes included).
  const cp = spawn("sh", ["-c", script], {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
    ...(env ? { env } : {}),
  });
  cp.stdin.on("error", () => undefined); // EPIPE when the command exits without reading stdin
  const finished = new Promise<ChanEnd>((resolve) => {
    cp.on("close", (code, signal) => resolve({ code, ...(signal ? { signal } : {}) }));
    cp.on("error", () => resolve({ code: 127 }));
  });
  return {
    stdout: cp.stdout,
    stderr: cp.stderr,
    write: (data) => {
      cp.stdin.write(data);
    },
    end: (data) => {
      if (data === undefined) cp.stdin.end();
      else cp.stdin.end(data);
    },
    kill: () => {
      try {
        if (cp.pid !== undefined) process.kill(-cp.pid, "SIGKILL");
      } catch {
        cp.kill("SIGKILL");
      }
    },
    finished,
  };
}

class LocalConnection implements Connection {
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    readonly host: string,
    readonly target: SshTarget,
    private readonly env?: NodeJS.ProcessEnv,
  ) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const label = opts.label ?? firstLine(script);
    return runExec(spawnChan(script, this.env), this.context(label), opts);
  }

  async session(script: string, opts: SessionOptions = {}): Promise<RemoteSession> {
    return runSession(spawnChan(script, this.env), this.context(label(script, opts)));
  }

  close(): void {
    this.markClosed();
  }

  private context(label: string) {
    return { host: this.host, label, lostError: () => undefined };
  }
}

const label = (script: string, opts: SessionOptions): string => opts.label ?? firstLine(script);

export function createLocalConnector(opts: { env?: NodeJS.ProcessEnv } = {}): Connector {
  const open = new Set<LocalConnection>();
  return {
    async connect(name, target) {
      const c = new LocalConnection(name, target, opts.env);
      open.add(c);
      void c.closed.then(() => open.delete(c));
      return c;
    },
    closeAll() {
      for (const c of open) c.close();
    },
  };
}
