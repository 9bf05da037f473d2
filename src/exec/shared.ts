/**
 * One SSH connection per host for everyone in a run who needs that host: a cluster's kubectl rides the
 * connection of its control node's own session (#15) instead of logging in again. Each user gets a handle;
 * the connection closes (and frees its fork) when the last handle is closed. A connection that has closed
 * is never handed out again: the next connect makes a new one. Lost-contact checks, which must prove that
 * a NEW connection reaches the node, use the plain connector, not this.
 */
import type { SshTarget } from "../inventory/types.js";
import type { Connection, Connector } from "./ssh/types.js";

interface Entry {
  conn: Promise<Connection>;
  refs: number;
  done: boolean;
}

/** A connector that shares, and the plain one under it (for the new connections lost contact needs). */
export interface SharingConnector extends Connector {
  readonly fresh: Connector;
}

const isSharing = (c: Connector): c is SharingConnector => "fresh" in c;

/** The connector that always makes a new connection. */
export const freshConnections = (c: Connector): Connector => (isSharing(c) ? c.fresh : c);

/** Shares connections per host; a connector that already shares is returned as it is. */
export function sharedConnections(connector: Connector): SharingConnector {
  if (isSharing(connector)) return connector;
  const byHost = new Map<string, Entry>();

  const handle = (c: Connection, e: Entry): Connection => {
    let released = false;
    return {
      node: c.node,
      target: c.target,
      exec: (script, opts) => c.exec(script, opts),
      session: (script, opts) => c.session(script, opts),
      closed: c.closed,
      close() {
        if (released) return;
        released = true;
        if (--e.refs === 0) {
          e.done = true;
          c.close();
        }
      },
    };
  };

  const connect = async (name: string, target: SshTarget): Promise<Connection> => {
    let e = byHost.get(name);
    if (!e || e.done) {
      const entry: Entry = { conn: connector.connect(name, target), refs: 0, done: false };
      e = entry;
      byHost.set(name, entry);
      entry.conn.then(
        (c) =>
          void c.closed.then(() => {
            entry.done = true;
            if (byHost.get(name) === entry) byHost.delete(name);
          }),
        () => {
          entry.done = true;
          if (byHost.get(name) === entry) byHost.delete(name);
        },
      );
    }
    const entry = e;
    entry.refs++;
    try {
      return handle(await entry.conn, entry);
    } catch (err) {
      entry.refs--;
      throw err;
    }
  };

  return {
    fresh: connector,
    connect,
    ...(connector.probe ? { probe: connector.probe.bind(connector) } : {}),
    closeAll: () => connector.closeAll(),
  };
}
