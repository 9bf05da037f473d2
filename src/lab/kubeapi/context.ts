/** Types shared by the lab kube-apiserver's request handlers (lab test equipment, not a Kubernetes API server). */
import type { ServerResponse } from "node:http";
import type { DenyRule } from "./deny.js";
import type { ResourceDef } from "./resources.js";
import type { ObjectStore } from "./store.js";
import type { JsonValue, Outcome, Status } from "./types.js";

export const MAX_BODY = 3 * 1024 * 1024;
export const JSON_TYPE = "application/json";

export interface Reply {
  code: number;
  body: JsonValue | Status | string | Buffer;
  contentType?: string;
  warnings?: string[];
}

export interface Ctx {
  store: ObjectStore;
  defs: ResourceDef[];
  deny: DenyRule[];
  started: Date;
  serverAddress: string;
  watches: Set<ServerResponse>;
}

export interface ResourceRequest {
  def: ResourceDef;
  name?: string;
  method: string;
  query: URLSearchParams;
  accept: string;
  contentType: string;
  body: string;
}

export function statusReply(s: Status): Reply {
  return { code: s.code, body: s };
}

export function fromOutcome<T>(o: Outcome<T>, onOk: (v: T) => Reply): Reply {
  return o.ok ? onOk(o.value) : statusReply(o.status);
}
