/**
 * Watch (`?watch=true`): newline-delimited JSON events. Without a resourceVersion (or "0") the current
 * objects are sent as ADDED first; with one, the store's recent history is replayed from there (410
 * Expired as an ERROR event if it is too old). Selectors filter on the object after the change only, so a
 * watcher is not told when an object stops matching (kube-apiserver would send DELETED).
 */
import type { ServerResponse } from "node:http";
import { type Ctx, JSON_TYPE, type Reply, type ResourceRequest, statusReply } from "./context.js";
import { liveObjects, selection, selects } from "./reads.js";
import * as S from "./status.js";
import type { JsonValue, Status } from "./types.js";

function watchEvent(type: string, object: JsonValue | Status): string {
  return `${JSON.stringify({ type, object })}\n`;
}

export function startWatch(ctx: Ctx, r: ResourceRequest, res: ServerResponse): Reply | undefined {
  const sel = selection(r.query);
  if (!sel.ok) return statusReply(sel.status);
  const rvParam = r.query.get("resourceVersion") ?? "";
  const fromRv = rvParam === "" || rvParam === "0" ? undefined : Number(rvParam);
  if (fromRv !== undefined && !Number.isSafeInteger(fromRv))
    return statusReply(S.badRequest(`invalid resourceVersion "${rvParam}"`));
  res.writeHead(200, { "content-type": JSON_TYPE, "cache-control": "no-cache" });
  res.flushHeaders(); // A quiet watch must still answer: Node sends headers with the first write otherwise.
  ctx.watches.add(res);
  // Nothing is announced before the subscription is in place: the store is synchronous, so no event can
  // slip between the replay below and subscribe().
  if (fromRv === undefined) {
    for (const o of liveObjects(ctx, r.def).filter((x) => selects(sel.value, x)))
      res.write(watchEvent("ADDED", o));
  } else {
    const past = ctx.store.eventsSince(fromRv);
    if (!past) {
      const gone = { ...S.badRequest(`too old resource version: ${fromRv}`), code: 410, reason: "Expired" };
      res.end(watchEvent("ERROR", gone));
      ctx.watches.delete(res);
      return undefined;
    }
    for (const e of past)
      if (e.def === r.def && selects(sel.value, e.object)) res.write(watchEvent(e.type, e.object));
  }
  const unsubscribe = ctx.store.subscribe((e) => {
    if (e.def === r.def && selects(sel.value, e.object)) res.write(watchEvent(e.type, e.object));
  });
  const timeout = Number(r.query.get("timeoutSeconds") ?? "1800");
  const timer = setTimeout(
    () => res.end(),
    (Number.isFinite(timeout) && timeout > 0 ? timeout : 1800) * 1000,
  );
  const stop = (): void => {
    clearTimeout(timer);
    unsubscribe();
    ctx.watches.delete(res);
  };
  res.on("close", stop);
  return undefined;
}
