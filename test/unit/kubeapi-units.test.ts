/** Pure parts of the lab kube-apiserver: selectors, patches, write planning, tables, CLI parsing, deny rules. */
import { describe, expect, it } from "vitest";
import { parseCli } from "../../src/lab/kubeapi/cli.js";
import { isDenied, parseDenyRule } from "../../src/lab/kubeapi/deny.js";
import { wantsAggregated } from "../../src/lab/kubeapi/discovery.js";
import { applyMerge, jsonPatch, mergePatch } from "../../src/lab/kubeapi/merge.js";
import { planApply, planCreate, planPatch, planUpdate, unknownFields } from "../../src/lab/kubeapi/ops.js";
import { IPPOOLS, NODES } from "../../src/lab/kubeapi/resources.js";
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "../../src/lab/kubeapi/selectors.js";
import { humanDuration } from "../../src/lab/kubeapi/table.js";
import type { JsonValue, KubeObject, Outcome } from "../../src/lab/kubeapi/types.js";

function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(o.status.message);
  return o.value;
}

function pool(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name, labels },
    spec: { cidr: "10.0.0.0/16" },
  };
}

describe("label selectors", () => {
  const labels = (sel: string, l: Record<string, string>): boolean =>
    matchesLabels(value(parseLabelSelector(sel)), pool("p", l));

  it("matches equality, inequality, existence and sets", () => {
    expect(labels("a=b", { a: "b" })).toBe(true);
    expect(labels("a==b", { a: "c" })).toBe(false);
    expect(labels("a!=b", {})).toBe(true);
    expect(labels("a", { a: "" })).toBe(true);
    expect(labels("!a", { a: "" })).toBe(false);
    expect(labels("a in (x, y),b", { a: "y", b: "1" })).toBe(true);
    expect(labels("a notin (x,y)", { a: "x" })).toBe(false);
    expect(
      labels("app.kubernetes.io/managed-by=meshctl", { "app.kubernetes.io/managed-by": "meshctl" }),
    ).toBe(true);
    expect(labels("", { a: "b" })).toBe(true);
  });

  it("rejects malformed selectors with 400", () => {
    for (const bad of ["a=(b", "a in (x", "-a=b", "a=b c", "a>1"]) {
      const r = parseLabelSelector(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.status.code).toBe(400);
    }
  });
});

describe("field selectors", () => {
  it("supports metadata.name and metadata.namespace only", () => {
    expect(matchesFields(value(parseFieldSelector("metadata.name=p")), pool("p"))).toBe(true);
    expect(matchesFields(value(parseFieldSelector("metadata.name!=p")), pool("p"))).toBe(false);
    expect(matchesFields(value(parseFieldSelector("metadata.namespace=")), pool("p"))).toBe(true);
    expect(parseFieldSelector("spec.cidr=x").ok).toBe(false);
  });
});

describe("patches", () => {
  it("merge patch follows RFC 7386", () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
  });

  it("apply merge keeps live fields, replaces lists and ignores nulls", () => {
    expect(
      applyMerge({ spec: { a: 1, l: [1, 2], keep: true } }, { spec: { a: 2, l: [3], keep: null } }),
    ).toEqual({
      spec: { a: 2, l: [3], keep: true },
    });
  });

  it("JSON patch supports add/remove/replace/move/copy/test and reports failures", () => {
    const doc = { a: [1, 2], b: { c: "x" } };
    const ops: JsonValue[] = [
      { op: "add", path: "/a/-", value: 3 },
      { op: "remove", path: "/a/0" },
      { op: "replace", path: "/b/c", value: "y" },
      { op: "copy", from: "/b/c", path: "/d" },
      { op: "move", from: "/d", path: "/e~1f" },
      { op: "test", path: "/a", value: [2, 3] },
    ];
    expect(jsonPatch(doc, ops)).toEqual({ a: [2, 3], b: { c: "y" }, "e/f": "y" });
    expect(doc).toEqual({ a: [1, 2], b: { c: "x" } });
    expect(jsonPatch(doc, [{ op: "replace", path: "/nope", value: 1 }])).toMatch(/missing path/);
    expect(jsonPatch(doc, [{ op: "test", path: "/a", value: [] }])).toMatch(/testing value/);
    expect(jsonPatch(doc, { op: "add" })).toMatch(/array/);
  });
});

describe("write planning", () => {
  const now = new Date("2025-01-02T03:04:05.678Z");

  it("create fills server metadata and drops what clients may not set", () => {
    const body = { ...pool("p"), metadata: { name: "p", namespace: "x", uid: "forged", generation: 7 } };
    const created = value(planCreate(IPPOOLS, body, now));
    expect(created.metadata).toMatchObject({
      name: "p",
      generation: 1,
      creationTimestamp: "2025-01-02T03:04:05Z",
    });
    expect(created.metadata.uid).not.toBe("forged");
    expect(created.metadata.namespace).toBeUndefined();
  });

  it("create checks apiVersion, kind, name and labels", () => {
    expect(planCreate(IPPOOLS, { ...pool("p"), kind: "Node" }, now)).toMatchObject({
      ok: false,
      status: { code: 400 },
    });
    expect(planCreate(NODES, pool("p"), now)).toMatchObject({ ok: false, status: { code: 400 } });
    expect(planCreate(IPPOOLS, pool("UPPER"), now)).toMatchObject({
      ok: false,
      status: { code: 422, reason: "Invalid" },
    });
    expect(planCreate(IPPOOLS, pool("p", { "bad key!": "v" }), now)).toMatchObject({
      ok: false,
      status: { code: 422 },
    });
    expect(planCreate(IPPOOLS, { ...pool("p"), metadata: {} }, now)).toMatchObject({
      ok: false,
      status: { code: 400 },
    });
  });

  it("update keeps server fields, bumps generation on spec changes only, and checks resourceVersion", () => {
    const live = { ...value(planCreate(IPPOOLS, pool("p"), now)) };
    live.metadata.resourceVersion = "5";
    const relabelled = value(
      planPatch(IPPOOLS, live, "merge", { metadata: { labels: { a: "b" }, uid: "x" } }),
    );
    expect(relabelled.metadata).toMatchObject({ uid: live.metadata.uid, generation: 1, labels: { a: "b" } });
    const respecced = value(planPatch(IPPOOLS, live, "merge", { spec: { cidr: "10.1.0.0/16" } }));
    expect(respecced.metadata.generation).toBe(2);
    const stale = { ...live, metadata: { ...live.metadata, resourceVersion: "4" } };
    expect(planUpdate(IPPOOLS, live, stale)).toMatchObject({
      ok: false,
      status: { code: 409, reason: "Conflict" },
    });
    expect(planUpdate(IPPOOLS, live, pool("other"))).toMatchObject({ ok: false, status: { code: 400 } });
  });

  it("server-side apply creates or merges and checks the name", () => {
    const created = value(planApply(IPPOOLS, undefined, "p", pool("p", { a: "1" }), now));
    expect(created.metadata.generation).toBe(1);
    const merged = value(
      planApply(IPPOOLS, created, "p", { ...pool("p", { b: "2" }), spec: { disabled: true } }, now),
    );
    expect(merged.metadata.labels).toEqual({ a: "1", b: "2" });
    expect(merged.spec).toEqual({ cidr: "10.0.0.0/16", disabled: true });
    expect(planApply(IPPOOLS, created, "q", pool("p"), now)).toMatchObject({
      ok: false,
      status: { code: 400 },
    });
  });

  it("reports unknown envelope fields for fieldValidation", () => {
    expect(unknownFields({ ...pool("p"), extra: 1, metadata: { name: "p", bogus: true } })).toEqual([
      "extra",
      "metadata.bogus",
    ]);
  });
});

describe("misc", () => {
  it("renders ages like kubectl", () => {
    expect(humanDuration(5_000)).toBe("5s");
    expect(humanDuration(150_000)).toBe("2m30s");
    expect(humanDuration(3 * 3600_000 + 60_000)).toBe("3h1m");
    expect(humanDuration(50 * 3600_000)).toBe("2d2h");
    expect(humanDuration(-5_000)).toBe("<invalid>");
  });

  it("recognises kubectl's aggregated discovery Accept header", () => {
    const kubectl =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    expect(wantsAggregated(kubectl)).toBe(true);
    expect(wantsAggregated("application/json, */*")).toBe(false);
  });

  it("parses deny rules", () => {
    const rule = parseDenyRule("patch:ippools.crd.projectcalico.org");
    expect(rule).toEqual({ verb: "patch", resource: "ippools.crd.projectcalico.org" });
    if (typeof rule === "string") throw new Error(rule);
    expect(isDenied([rule], "patch", IPPOOLS)).toBe(true);
    expect(isDenied([rule], "get", IPPOOLS)).toBe(false);
    expect(isDenied([{ verb: "*", resource: "*" }], "list", NODES)).toBe(true);
    expect(parseDenyRule("frobnicate:ippools")).toMatch(/unknown verb/);
    expect(parseDenyRule("patch")).toMatch(/VERB:RESOURCE/);
  });

  it("parses the command line", () => {
    expect(
      parseCli([
        "--listen",
        "198.18.253.1:0",
        "--state",
        "s.json",
        "--deny",
        "get:nodes",
        "--deny",
        "*:ippools",
        "--no-calico",
      ]),
    ).toEqual({
      host: "198.18.253.1",
      port: 0,
      statePath: "s.json",
      deny: ["get:nodes", "*:ippools"],
      calico: false,
      verbose: false,
    });
    expect(parseCli(["--listen", "[::1]:8080", "--state", "s"])).toMatchObject({
      host: "::1",
      port: 8080,
      calico: true,
    });
    expect(parseCli(["--state", "s"])).toMatch(/required/);
    expect(parseCli(["--listen", "nohost", "--state", "s"])).toMatch(/HOST:PORT/);
    expect(parseCli(["--listen", "h:1", "--state", "s", "--bogus"])).toMatch(/bogus/);
  });
});
