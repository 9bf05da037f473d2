import { describe, expect, it } from "vitest";
import { diffPools, PoolConflict, teardownPools } from "../../src/cni/calico/diff.js";
import { KubeParseError, parseCalicoState } from "../../src/cni/calico/observed.js";
import { kubeFailure } from "../../src/kube/kubectl.js";
import type { ClusterModel } from "../../src/model/types.js";
import { calicoPool, convergedPools, model } from "../support/builders.js";

const mesh = model().clusters;
const c1 = mesh.find((c) => c.name === "c1") as ClusterModel;

const pool = calicoPool;

const converged = convergedPools;

describe("diffPools", () => {
  it("creates one disabled, no-NAT pool per other cluster's pod and service CIDR; inverse deletes it", () => {
    const ch = diffPools(c1, mesh, []);
    expect(ch.map((c) => [c.action, c.key])).toEqual([
      ["create", "pod-c2"],
      ["create", "svc-c2"],
    ]);
    const op = ch[0]?.forward[0];
    expect(op?.verb === "apply" && op.manifest).toEqual({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "IPPool",
      metadata: {
        name: "pod-c2",
        labels: { "app.kubernetes.io/managed-by": "meshctl", "meshctl.io/for-cluster": "c2" },
      },
      spec: { cidr: "198.18.32.0/20", natOutgoing: false, disabled: true },
    });
    expect(ch[0]?.inverse).toEqual([
      { verb: "delete", name: "pod-c2", text: "kubectl delete ippool pod-c2" },
    ]);
  });

  it("is empty when the pools are as wanted", () => {
    expect(diffPools(c1, mesh, converged())).toEqual([]);
  });

  it("repairs a hand-edited pool and can restore the edit", () => {
    const edited = converged().map((p) => (p.name === "pod-c2" ? { ...p, natOutgoing: true } : p));
    const ch = diffPools(c1, mesh, edited);
    expect(ch.map((c) => [c.action, c.key, c.before, c.after])).toEqual([
      [
        "update",
        "pod-c2",
        "cidr 198.18.32.0/20 natOutgoing true disabled true",
        "cidr 198.18.32.0/20 natOutgoing false disabled true",
      ],
    ]);
    const undo = ch[0]?.inverse[0];
    expect(undo?.verb === "apply" && undo.manifest.spec).toEqual({
      cidr: "198.18.32.0/20",
      natOutgoing: true,
      disabled: true,
    });
  });

  it("deletes a stale pool of meshctl's (a cluster left the inventory) and can re-create it", () => {
    const ch = diffPools(c1, mesh, [...converged(), pool("pod-gone", "198.18.240.0/20")]);
    expect(ch.map((c) => [c.action, c.key])).toEqual([["delete", "pod-gone"]]);
    expect(ch[0]?.inverse[0]?.verb).toBe("apply");
  });

  it("never touches a foreign pool that does not overlap", () => {
    const foreign = pool("default-ipv4-ippool", "198.18.16.0/20", {
      managed: false,
      labels: {},
      natOutgoing: true,
      disabled: false,
    });
    expect(diffPools(c1, mesh, [...converged(), foreign])).toEqual([]);
    expect(teardownPools([...converged(), foreign]).map((c) => c.key)).toEqual(["pod-c2", "svc-c2"]);
  });

  it("a foreign pool overlapping a CIDR meshctl needs is a conflict naming it", () => {
    const rogue = pool("rogue", "198.18.32.0/24", { managed: false, labels: {} });
    expect(() => diffPools(c1, mesh, [rogue])).toThrow(PoolConflict);
    expect(() => diffPools(c1, mesh, [rogue])).toThrow(
      /IPPool rogue .* overlaps 198\.18\.32\.0\/20, which meshctl needs for pool pod-c2/,
    );
  });

  it("an unlabelled pool with meshctl's name is a conflict, not adopted silently", () => {
    const same = pool("pod-c2", "198.18.32.0/20", { managed: false, labels: {} });
    expect(() => diffPools(c1, mesh, [same])).toThrow(
      /IPPool pod-c2 .* is not meshctl's: delete it, or label it/,
    );
  });
});

describe("parseCalicoState", () => {
  const list = (items: unknown[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });

  it("reads pools, confirmed block affinities per node, and node podCIDRs as a fallback", () => {
    const facts = parseCalicoState(
      list([
        {
          kind: "IPPool",
          metadata: { name: "p", labels: { "app.kubernetes.io/managed-by": "meshctl" } },
          spec: { cidr: "10.1.0.0/16", disabled: true },
        },
        {
          kind: "BlockAffinity",
          metadata: { name: "a" },
          spec: { node: "n1", cidr: "10.2.0.64/26", state: "confirmed", deleted: "false" },
        },
        {
          kind: "BlockAffinity",
          metadata: { name: "b" },
          spec: { node: "n1", cidr: "10.2.0.0/26", state: "confirmed", deleted: "false" },
        },
        {
          kind: "BlockAffinity",
          metadata: { name: "c" },
          spec: { node: "n1", cidr: "10.2.1.0/26", state: "pending" },
        },
        {
          kind: "BlockAffinity",
          metadata: { name: "d" },
          spec: { node: "n1", cidr: "10.2.2.0/26", state: "confirmed", deleted: "true" },
        },
        { kind: "Node", metadata: { name: "n1" }, spec: { podCIDRs: ["10.9.0.0/24"] } },
        { kind: "Node", metadata: { name: "n2" }, spec: { podCIDR: "10.9.1.0/24" } },
      ]),
    );
    expect(facts.pools).toEqual([
      {
        name: "p",
        cidr: "10.1.0.0/16",
        rawCidr: "10.1.0.0/16",
        natOutgoing: false,
        disabled: true,
        labels: { "app.kubernetes.io/managed-by": "meshctl" },
        managed: true,
      },
    ]);
    expect(Object.fromEntries(facts.blocks)).toEqual({
      n1: ["10.2.0.0/26", "10.2.0.64/26"],
      n2: ["10.9.1.0/24"],
    });
  });

  it("keeps an IPv6 pool as foreign data without a parsed cidr", () => {
    const f = parseCalicoState(
      list([{ kind: "IPPool", metadata: { name: "v6" }, spec: { cidr: "fd00::/64" } }]),
    );
    expect(f.pools[0]).toMatchObject({ name: "v6", rawCidr: "fd00::/64", managed: false });
    expect(f.pools[0]?.cidr).toBeUndefined();
  });

  it("rejects output that is not JSON", () => {
    expect(() => parseCalicoState("error: something")).toThrow(KubeParseError);
  });
});

describe("kubeFailure", () => {
  const r = (code: number, stderr: string) => ({ code, stdout: "", stderr });
  const msg = (code: number, stderr: string) => kubeFailure(c1, "reading IPPools", r(code, stderr)).message;

  it("kubectl missing", () => {
    expect(msg(127, "kubectl: not found")).toMatch(/kubectl is not installed on control node a1/);
  });
  it("not a Calico cluster", () => {
    expect(msg(1, 'error: the server doesn\'t have a resource type "ippools"')).toMatch(
      /no Calico IPPool\/BlockAffinity resources/,
    );
  });
  it("RBAC denial", () => {
    expect(
      msg(
        1,
        'Error from server (Forbidden): ippools.crd.projectcalico.org is forbidden: User "x" cannot list resource',
      ),
    ).toMatch(/RBAC denied it/);
  });
  it("API unreachable, with kubectl's own line rather than a klog line", () => {
    const m = msg(
      1,
      'E1124 21:35:14.078041    3593 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list"\nThe connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
    );
    expect(m).toMatch(
      /cannot reach the Kubernetes API on control node a1 \(The connection to the server 127\.0\.0\.1:1 was refused/,
    );
  });
});
