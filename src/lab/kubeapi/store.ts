/**
 * The object store of the lab kube-apiserver (lab test equipment, not a Kubernetes API server) and its
 * persistence: a JSON file `{"items": [<objects>]}` loaded at start (created empty if absent) and rewritten
 * atomically (write a temporary file, fsync, rename) after every change, so state survives a restart.
 *
 * Seeded objects may omit the server-maintained metadata; it is filled in when the file is loaded
 * (uid, creationTimestamp, generation 1, a fresh resourceVersion unless a numeric one is present).
 */
import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { apiVersionOf, findStored, type ResourceDef } from "./resources.js";
import { asKubeObject, deepClone, isJsonObject, type JsonValue, type KubeObject } from "./types.js";

function storeKey(def: ResourceDef): string {
  return `${apiVersionOf(def)}|${def.kind}`;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: WatchEventType;
  def: ResourceDef;
  /** The object after the change (for DELETED: as it was, with the deletion's resourceVersion). */
  object: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (e: StoreEvent) => void;

/** How many past events a watch can resume from; older resourceVersions get 410 Gone. */
const HISTORY = 1000;

export type LoadResult = { ok: true; store: ObjectStore } | { ok: false; error: string };

export class ObjectStore {
  private readonly byType = new Map<string, Map<string, KubeObject>>();
  /** Starts at 1 so that no list ever reports resourceVersion "0" (which means "any" to a watch). */
  private lastResourceVersion = 1;
  private writes = 0;
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  private constructor(private readonly path: string) {}

  /** Loads (or creates) the state file and writes it back normalised. */
  static open(path: string): LoadResult {
    const store = new ObjectStore(path);
    const text = readIfExists(path);
    if (text.error) return { ok: false, error: text.error };
    const err = text.content === undefined ? undefined : store.load(text.content);
    if (err) return { ok: false, error: `${path}: ${err}` };
    try {
      store.persist();
    } catch (e) {
      return { ok: false, error: `cannot write ${path}: ${(e as Error).message}` };
    }
    return { ok: true, store };
  }

  /** The current resourceVersion of the whole store (that of the latest change). */
  get resourceVersion(): string {
    return String(this.lastResourceVersion);
  }

  list(def: ResourceDef): KubeObject[] {
    const objs = [...(this.byType.get(storeKey(def))?.values() ?? [])];
    // Name order, as etcd's key order makes kube-apiserver list.
    const byName = (a: KubeObject, b: KubeObject): number => (a.metadata.name < b.metadata.name ? -1 : 1);
    return objs.sort(byName).map((o) => deepClone(o));
  }

  get(def: ResourceDef, name: string): KubeObject | undefined {
    const obj = this.byType.get(storeKey(def))?.get(name);
    return obj && deepClone(obj);
  }

  /** Stores the object under a new resourceVersion and persists; returns the stored copy. */
  put(def: ResourceDef, obj: KubeObject): KubeObject {
    const stored = deepClone(obj);
    const map = this.typeMap(def);
    const name = stored.metadata.name;
    const previous = map.get(name);
    stored.metadata.resourceVersion = this.nextResourceVersion();
    map.set(name, stored);
    this.persistOrUndo(() => {
      if (previous) map.set(name, previous);
      else map.delete(name);
    });
    this.emit(previous ? "MODIFIED" : "ADDED", def, stored);
    return deepClone(stored);
  }

  /** Deletes and persists; returns the deleted object carrying the deletion's resourceVersion. */
  remove(def: ResourceDef, name: string): KubeObject | undefined {
    const map = this.typeMap(def);
    const old = map.get(name);
    if (!old) return undefined;
    map.delete(name);
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: this.nextResourceVersion() } };
    this.persistOrUndo(() => map.set(name, old));
    this.emit("DELETED", def, gone);
    return deepClone(gone);
  }

  /** Persists the change just made in memory; if the file cannot be written, undoes it and rethrows. */
  private persistOrUndo(undo: () => void): void {
    try {
      this.persist();
    } catch (e) {
      undo();
      this.lastResourceVersion -= 1;
      throw e;
    }
  }

  /**
   * The events after `resourceVersion` (for a watch to replay), or undefined when they are no longer
   * all in the history (the client must re-list: 410 Gone).
   */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion >= this.lastResourceVersion) return [];
    const first = this.history[0];
    if (!first || first.resourceVersion > resourceVersion + 1) return undefined;
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: WatchEventType, def: ResourceDef, object: KubeObject): void {
    const e: StoreEvent = { type, def, object: deepClone(object), resourceVersion: this.lastResourceVersion };
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) l(e);
  }

  private typeMap(def: ResourceDef): Map<string, KubeObject> {
    const key = storeKey(def);
    let map = this.byType.get(key);
    if (!map) {
      map = new Map();
      this.byType.set(key, map);
    }
    return map;
  }

  private nextResourceVersion(): string {
    this.lastResourceVersion += 1;
    return String(this.lastResourceVersion);
  }

  private load(content: string): string | undefined {
    let doc: JsonValue;
    try {
      doc = JSON.parse(content) as JsonValue;
    } catch (e) {
      return `not JSON: ${(e as Error).message}`;
    }
    if (!isJsonObject(doc) || !Array.isArray(doc.items)) return 'expected {"items": [...]}';
    for (const [i, raw] of doc.items.entries()) {
      const err = this.loadItem(raw, i);
      if (err) return err;
    }
    for (const map of this.byType.values()) for (const obj of map.values()) this.fillServerFields(obj);
    return undefined;
  }

  private loadItem(raw: JsonValue, index: number): string | undefined {
    const obj = asKubeObject(raw);
    if (!obj) return `items[${index}]: needs apiVersion, kind and metadata.name`;
    const def = findStored(obj.apiVersion, obj.kind);
    if (!def) return `items[${index}]: unsupported type ${obj.apiVersion} ${obj.kind}`;
    const map = this.typeMap(def);
    if (map.has(obj.metadata.name)) return `items[${index}]: duplicate ${obj.kind} "${obj.metadata.name}"`;
    map.set(obj.metadata.name, obj);
    const rv = Number(obj.metadata.resourceVersion);
    if (Number.isSafeInteger(rv) && rv > this.lastResourceVersion) this.lastResourceVersion = rv;
    return undefined;
  }

  private fillServerFields(obj: KubeObject): void {
    const m = obj.metadata;
    if (typeof m.uid !== "string") m.uid = randomUUID();
    if (typeof m.creationTimestamp !== "string") m.creationTimestamp = nowTimestamp();
    if (typeof m.generation !== "number") m.generation = 1;
    if (!/^[1-9][0-9]*$/.test(String(m.resourceVersion))) m.resourceVersion = this.nextResourceVersion();
    delete m.namespace;
  }

  private persist(): void {
    const items = [...this.byType.values()].flatMap((m) => [...m.values()]);
    const tmp = `${this.path}.tmp-${process.pid}-${++this.writes}`;
    try {
      const fd = openSync(tmp, "w", 0o644);
      try {
        writeSync(fd, `${JSON.stringify({ items }, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }
}

function readIfExists(path: string): { content?: string; error?: string } {
  try {
    return { content: readFileSync(path, "utf8") };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    return { error: `${path}: ${(e as Error).message}` };
  }
}

/** RFC 3339 at second precision, as Kubernetes writes metav1.Time. */
export function nowTimestamp(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}
