/**
 * The lab kube-apiserver at the HTTP level, for what kubectl does not exercise directly: legacy discovery,
 * Status bodies, field validation, watch replay, deletecollection and the patch types kubectl rarely sends.
 * The server listens on 198.18.253.1 (a lab-range address the test adds to lo) with an ephemeral port; nothing else is contacted.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KubeApi, startKubeApi } from "../../src/lab/kubeapi/server.js";
import { TEST_IP, useTestAddress } from "../support/test-address.js";

useTestAddress();

const POOLS = "/apis/crd.projectcalico.org/v1/ippools";

let dir: string;
let api: KubeApi;
let log: string[];

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  accept = "application/json",
) {
  const headers: Record<string, string> = { accept };
  if (body !== undefined) headers["content-type"] = contentType;
  const res = await fetch(api.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

function pool(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name, labels },
    spec: { cidr: "10.1.0.0/16" },
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeapi-http-"));
  log = [];
  api = await startKubeApi({
    host: TEST_IP,
    port: 0,
    statePath: join(dir, "state.json"),
    log: (l) => log.push(l),
  });
});

afterEach(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

describe("discovery", () => {
  it("serves legacy discovery to clients that do not ask for aggregated discovery", async () => {
    expect((await call("GET", "/api")).json()).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const groups = (await call("GET", "/apis")).json();
    expect(groups).toMatchObject({
      kind: "APIGroupList",
      groups: [{ name: "crd.projectcalico.org" }, { name: "apiextensions.k8s.io" }],
    });
    const resources = (await call("GET", "/apis/crd.projectcalico.org/v1")).json();
    expect(resources).toMatchObject({ kind: "APIResourceList", groupVersion: "crd.projectcalico.org/v1" });
    expect((resources.resources as { name: string }[]).map((r) => r.name)).toEqual([
      "ippools",
      "blockaffinities",
    ]);
    expect((await call("GET", "/api/v1")).json()).toMatchObject({
      resources: [{ name: "nodes", shortNames: ["no"], namespaced: false }],
    });
  });

  it("serves aggregated discovery with its content type", async () => {
    const r = await call(
      "GET",
      "/apis",
      undefined,
      undefined,
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    );
    expect(r.headers.get("content-type")).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    );
    expect(r.json()).toMatchObject({
      kind: "APIGroupDiscoveryList",
      items: [{ metadata: { name: "crd.projectcalico.org" } }, {}],
    });
  });

  it("answers 404 Status for unknown paths and resources", async () => {
    for (const path of [
      "/apis/crd.projectcalico.org/v1/foos",
      "/api/v1/namespaces/default/pods",
      "/nope",
      "/apis/x.io/v1",
    ]) {
      const r = await call("GET", path);
      expect(r.status, path).toBe(404);
      expect(r.json()).toMatchObject({ kind: "Status", status: "Failure", reason: "NotFound", code: 404 });
    }
  });
});

describe("writes", () => {
  it("returns 201 on create, 409 AlreadyExists on a duplicate, and the deleted object on delete", async () => {
    expect((await call("POST", POOLS, pool("a"))).status).toBe(201);
    const dup = await call("POST", POOLS, pool("a"));
    expect(dup.status).toBe(409);
    expect(dup.json()).toMatchObject({
      reason: "AlreadyExists",
      details: { name: "a", group: "crd.projectcalico.org", kind: "ippools" },
    });
    const del = await call("DELETE", `${POOLS}/a`);
    expect(del.json()).toMatchObject({ kind: "IPPool", metadata: { name: "a" } });
    expect((await call("GET", `${POOLS}/a`)).json()).toMatchObject({
      reason: "NotFound",
      message: 'ippools.crd.projectcalico.org "a" not found',
    });
  });

  it("applies fieldValidation to unknown envelope fields", async () => {
    const body = { ...pool("a"), bogus: 1 };
    const strict = await call("POST", `${POOLS}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.json().message).toBe('strict decoding error: unknown field "bogus"');
    const warn = await call("POST", POOLS, body);
    expect(warn.status).toBe(201);
    expect(warn.headers.get("warning")).toBe('299 - "unknown field \\"bogus\\""');
  });

  it("requires fieldManager for server-side apply and accepts YAML", async () => {
    const yaml =
      "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: a\nspec:\n  cidr: 10.9.0.0/16\n";
    const noManager = await call("PATCH", `${POOLS}/a`, yaml, "application/apply-patch+yaml");
    expect(noManager.status).toBe(400);
    const created = await call(
      "PATCH",
      `${POOLS}/a?fieldManager=t&force=true`,
      yaml,
      "application/apply-patch+yaml",
    );
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ spec: { cidr: "10.9.0.0/16" } });
  });

  it("refuses strategic merge patch for custom resources and $-directives for nodes with 415", async () => {
    await call("POST", POOLS, pool("a"));
    const smp = await call("PATCH", `${POOLS}/a`, { spec: {} }, "application/strategic-merge-patch+json");
    expect(smp.status).toBe(415);
    await call("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n" },
      spec: { podCIDRs: ["10.0.0.0/24"] },
    });
    const plain = await call(
      "PATCH",
      "/api/v1/nodes/n",
      { spec: { podCIDRs: ["10.0.1.0/24"] } },
      "application/strategic-merge-patch+json",
    );
    expect(plain.json()).toMatchObject({ spec: { podCIDRs: ["10.0.1.0/24"] } });
    const directive = { spec: { "$setElementOrder/podCIDRs": ["10.0.1.0/24"] } };
    expect(
      (await call("PATCH", "/api/v1/nodes/n", directive, "application/strategic-merge-patch+json")).status,
    ).toBe(415);
    const del = await call("DELETE", "/api/v1/nodes/n");
    expect(del.json()).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name: "n", kind: "nodes" },
    });
  });

  it("honours delete preconditions and deletecollection with a label selector", async () => {
    await call("POST", POOLS, pool("a", { x: "1" }));
    await call("POST", POOLS, pool("b", { x: "1" }));
    await call("POST", POOLS, pool("c"));
    const pre = await call("DELETE", `${POOLS}/a`, {
      kind: "DeleteOptions",
      apiVersion: "v1",
      preconditions: { uid: "other" },
    });
    expect(pre.status).toBe(409);
    const coll = await call("DELETE", `${POOLS}?labelSelector=x%3D1`);
    expect((coll.json().items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual([
      "a",
      "b",
    ]);
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as {
      items: { metadata: { name: string } }[];
    };
    expect(state.items.map((i) => i.metadata.name)).toEqual(["c"]);
  });

  it("does not persist dry runs", async () => {
    const r = await call("POST", `${POOLS}?dryRun=All`, pool("a"));
    expect(r.status).toBe(201);
    expect((await call("GET", POOLS)).json()).toMatchObject({ kind: "IPPoolList", items: [] });
  });
});

describe("watch", () => {
  it("replays events after a resourceVersion and answers 410 for one that is too old", async () => {
    const list = (await call("GET", POOLS)).json() as { metadata: { resourceVersion: string } };
    await call("POST", POOLS, pool("a"));
    await call("DELETE", `${POOLS}/a`);
    const ctrl = new AbortController();
    const res = await fetch(
      `${api.url}${POOLS}?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
      { signal: ctrl.signal },
    );
    const reader = res.body?.getReader();
    let text = "";
    while (reader && text.split("\n").length < 3)
      text += new TextDecoder().decode((await reader.read()).value);
    ctrl.abort();
    const events = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "a"],
      ["DELETED", "a"],
    ]);
  });

  it("ends a watch with an Expired error for a resourceVersion it can no longer replay", async () => {
    await api.close();
    const seeded = { ...pool("old"), metadata: { name: "old", resourceVersion: "50" } };
    await writeFile(join(dir, "state.json"), JSON.stringify({ items: [seeded] }));
    api = await startKubeApi({ host: TEST_IP, port: 0, statePath: join(dir, "state.json") });
    const r = await call("GET", `${POOLS}?watch=true&resourceVersion=10`);
    expect(JSON.parse(r.text)).toMatchObject({
      type: "ERROR",
      object: { kind: "Status", code: 410, reason: "Expired" },
    });
    const fresh = await call("GET", `${POOLS}?watch=true&timeoutSeconds=1`);
    expect(JSON.parse(fresh.text)).toMatchObject({
      type: "ADDED",
      object: { metadata: { name: "old", resourceVersion: "50" } },
    });
  });

  it("logs one line per request", async () => {
    await call("GET", "/version");
    expect(log).toEqual(["GET /version 200"]);
  });
});
