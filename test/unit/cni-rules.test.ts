/**
 * Calico's pure rules behind the CNI seam, value by value: the changes diffPools makes (with their kubectl
 * text and inverses), the rollback check (samePools), how a partly failed apply is accounted for (reached),
 * the parser's defaults for what kubectl leaves out, and the exact diagnose findings. Written against the
 * mutants StrykerJS left alive in src/cni (test/mutation/equivalent.md).
 */
import { describe, expect, it } from "vitest";
import { checkCalicoPort, checkPools } from "../../src/cni/calico/checks.js";
import { diffPools, type PoolChange, reached, samePools } from "../../src/cni/calico/diff.js";
import { calico } from "../../src/cni/calico/index.js";
import { type CalicoState, KubeParseError, parseCalicoState } from "../../src/cni/calico/observed.js";
import type { ObservedPool } from "../../src/cni/calico/pools.js";
import { calicoRules } from "../../src/cni/calico/rules.js";
import { cniOf } from "../../src/cni/index.js";
import type { NodeFacts } from "../../src/facts/types.js";
import type { ClusterModel } from "../../src/model/types.js";
import type { Cidr } from "../../src/net/addr.js";
import { calicoPool, convergedFacts, convergedPools, model, nodeOf } from "../support/builders.js";

const mesh = model().clusters;
const c1 = mesh.find((c) => c.name === "c1") as ClusterModel;
const LABELS = { "app.kubernetes.io/managed-by": "meshctl", "meshctl.io/for-cluster": "c2" };

const pool = calicoPool;
const converged = convergedPools;
const state = (pools: ObservedPool[]): CalicoState => ({ pools, blocks: new Map(), nodes: [] });
const manifest = (name: string, cidr: string, natOutgoing = false, disabled = true, labels = LABELS) => ({
  apiVersion: "crd.projectcalico.org/v1",
  kind: "IPPool",
  metadata: { name, labels },
  spec: { cidr, natOutgoing, disabled },
});

describe("diffPools: whole changes", () => {
  it("create: kubectl text, manifest and inverse", () => {
    expect(diffPools(c1, mesh, [converged()[1] as ObservedPool])).toEqual([
      {
        resource: "ippool",
        key: "pod-c2",
        action: "create",
        after: "cidr 198.18.32.0/20 natOutgoing false disabled true",
        forward: [
          {
            verb: "apply",
            manifest: manifest("pod-c2", "198.18.32.0/20"),
            text: "kubectl apply --server-side ippool pod-c2 (cidr 198.18.32.0/20, natOutgoing false, disabled true)",
          },
        ],
        inverse: [{ verb: "delete", name: "pod-c2", text: "kubectl delete ippool pod-c2" }],
      },
    ]);
  });

  it.each([
    [
      "cidr",
      { rawCidr: "198.18.32.0/21", cidr: "198.18.32.0/21" as Cidr },
      "cidr 198.18.32.0/21 natOutgoing false disabled true",
    ],
    ["disabled", { disabled: false }, "cidr 198.18.32.0/20 natOutgoing false disabled false"],
    ["natOutgoing", { natOutgoing: true }, "cidr 198.18.32.0/20 natOutgoing true disabled true"],
    [
      "a missing for-cluster label",
      { labels: { "app.kubernetes.io/managed-by": "meshctl" } },
      "cidr 198.18.32.0/20 natOutgoing false disabled true",
    ],
  ] as const)(
    "update when the %s differs; the inverse restores the pool as it was",
    (_what, edit, before) => {
      const edited = { ...pool("pod-c2", "198.18.32.0/20"), ...edit };
      const ch = diffPools(c1, mesh, [edited, converged()[1] as ObservedPool]);
      expect(ch).toEqual([
        {
          resource: "ippool",
          key: "pod-c2",
          action: "update",
          before,
          after: "cidr 198.18.32.0/20 natOutgoing false disabled true",
          forward: [
            {
              verb: "apply",
              manifest: manifest("pod-c2", "198.18.32.0/20"),
              text: "kubectl apply --server-side ippool pod-c2 (cidr 198.18.32.0/20, natOutgoing false, disabled true)",
            },
          ],
          inverse: [
            {
              verb: "apply",
              manifest: {
                ...manifest(
                  "pod-c2",
                  edited.rawCidr,
                  edited.natOutgoing,
                  edited.disabled,
                  edited.labels as typeof LABELS,
                ),
              },
              text: `kubectl apply --server-side ippool pod-c2 (cidr ${edited.rawCidr}, natOutgoing ${edited.natOutgoing}, disabled ${edited.disabled})`,
            },
          ],
        },
      ]);
    },
  );

  it("an extra label of someone else's on meshctl's pool is no change", () => {
    const extra = converged().map((p) => ({ ...p, labels: { ...p.labels, team: "net" } }));
    expect(diffPools(c1, mesh, extra)).toEqual([]);
  });

  it("a stale pool of meshctl's is a destructive delete whose inverse re-creates it as it was", () => {
    const stale = pool("pod-gone", "198.18.240.0/20", { natOutgoing: true });
    expect(diffPools(c1, mesh, [...converged(), stale])).toEqual([
      {
        resource: "ippool",
        key: "pod-gone",
        action: "delete",
        before: "cidr 198.18.240.0/20 natOutgoing true disabled true",
        destructive: true,
        forward: [{ verb: "delete", name: "pod-gone", text: "kubectl delete ippool pod-gone" }],
        inverse: [
          {
            verb: "apply",
            manifest: manifest("pod-gone", "198.18.240.0/20", true),
            text: "kubectl apply --server-side ippool pod-gone (cidr 198.18.240.0/20, natOutgoing true, disabled true)",
          },
        ],
      },
    ]);
  });

  it("a stale pool of meshctl's overlapping a wanted CIDR is no conflict: it is deleted", () => {
    const old = pool("pod-old", "198.18.32.0/24");
    expect(diffPools(c1, mesh, [...converged(), old]).map((c) => [c.action, c.key])).toEqual([
      ["delete", "pod-old"],
    ]);
  });

  it("every conflict is named in one error that starts with the cluster", () => {
    const a = pool("rogue-a", "198.18.32.0/24", { managed: false, labels: {} });
    const b = pool("rogue-b", "198.19.32.0/24", { managed: false, labels: {} });
    expect(() => diffPools(c1, mesh, [a, b])).toThrow(
      "c1: IPPool rogue-a (cidr 198.18.32.0/24 natOutgoing false disabled true) is not meshctl's and overlaps 198.18.32.0/20, which meshctl needs for pool pod-c2; IPPool rogue-b (cidr 198.19.32.0/24 natOutgoing false disabled true) is not meshctl's and overlaps 198.19.32.0/20, which meshctl needs for pool svc-c2",
    );
  });
});

describe("samePools (the rollback check)", () => {
  it("is order-blind and compares name, cidr, natOutgoing, disabled and ownership", () => {
    const [p, s] = converged() as [ObservedPool, ObservedPool];
    expect(samePools(state([p, s]), state([s, p]))).toBe(true);
    expect(samePools(state([p, s]), state([p]))).toBe(false);
    for (const edit of [
      { name: "pod-c3" },
      { rawCidr: "198.18.32.0/21" },
      { natOutgoing: true },
      { disabled: false },
      { managed: false },
    ]) {
      expect(samePools(state([p, s]), state([{ ...p, ...edit }, s])), JSON.stringify(edit)).toBe(false);
    }
  });
});

describe("reached (a change the cluster now shows)", () => {
  const [create] = diffPools(c1, mesh, [converged()[1] as ObservedPool]) as [PoolChange];
  const [del] = diffPools(c1, mesh, [...converged(), pool("pod-gone", "198.18.240.0/20")]) as [PoolChange];

  it("an apply: the pool is there with the manifest's cidr, natOutgoing and disabled", () => {
    expect(reached(create, state(converged()))).toBe(true);
    expect(reached(create, state([]))).toBe(false);
    expect(reached(create, state([pool("svc-c2", "198.18.32.0/20")]))).toBe(false);
    for (const edit of [{ rawCidr: "198.18.32.0/21" }, { natOutgoing: true }, { disabled: false }]) {
      const p = { ...pool("pod-c2", "198.18.32.0/20"), ...edit };
      expect(reached(create, state([p])), JSON.stringify(edit)).toBe(false);
    }
  });

  it("a delete: the pool is gone", () => {
    expect(reached(del, state(converged()))).toBe(true);
    expect(reached(del, state([pool("pod-gone", "198.18.240.0/20")]))).toBe(false);
  });

  it("a change with no forward op never counts as reached", () => {
    expect(reached({ ...create, forward: [] }, state(converged()))).toBe(false);
  });
});

describe("parseCalicoState: what kubectl leaves out", () => {
  const list = (items: unknown[]) => JSON.stringify({ kind: "List", items });

  it("no items: nothing", () => {
    const s = parseCalicoState("{}");
    expect(s.pools).toEqual([]);
    expect([...s.blocks]).toEqual([]);
    expect(s.nodes).toEqual([]);
  });

  it("a pool without metadata or spec, and one whose flags are not booleans", () => {
    const s = parseCalicoState(
      list([
        { kind: "IPPool" },
        {
          kind: "IPPool",
          metadata: { name: "x" },
          spec: { cidr: "10.1.0.0/16", natOutgoing: true, disabled: "true" },
        },
      ]),
    );
    expect(s.pools).toEqual([
      { name: "", rawCidr: "", natOutgoing: false, disabled: false, labels: {}, managed: false },
      {
        name: "x",
        cidr: "10.1.0.0/16",
        rawCidr: "10.1.0.0/16",
        natOutgoing: true,
        disabled: false,
        labels: {},
        managed: false,
      },
    ]);
  });

  it("only the managed-by label with meshctl's value makes a pool meshctl's", () => {
    const s = parseCalicoState(
      list([
        { kind: "IPPool", metadata: { name: "a", labels: { "app.kubernetes.io/managed-by": "helm" } } },
        { kind: "IPPool", metadata: { name: "b", labels: { "app.kubernetes.io/managed-by": "meshctl" } } },
      ]),
    );
    expect(s.pools.map((p) => [p.name, p.managed])).toEqual([
      ["a", false],
      ["b", true],
    ]);
  });

  it("blocks: affinities without a node or a valid cidr are dropped, one without `deleted` counts, sorted by address", () => {
    const aff = (node: unknown, cidr: unknown, extra = {}) => ({
      kind: "BlockAffinity",
      metadata: { name: `${node}-${cidr}` },
      spec: { node, cidr, state: "confirmed", ...extra },
    });
    const s = parseCalicoState(
      list([
        aff("n1", "10.2.3.0/26"),
        aff("n1", "10.2.1.128/26"),
        aff("n1", "10.2.1.64/26"),
        aff("n1", "9.2.1.64/26"),
        aff("n1", "10.2.0.0/26", { deleted: "false" }),
        aff(undefined, "10.3.0.0/26"),
        aff(7, "10.3.0.64/26"),
        aff("n2", "not-a-cidr"),
        aff("n2", undefined),
      ]),
    );
    expect(Object.fromEntries(s.blocks)).toEqual({
      n1: ["9.2.1.64/26", "10.2.0.0/26", "10.2.1.64/26", "10.2.1.128/26", "10.2.3.0/26"],
    });
  });

  it("nodes: podCIDRs (valid ones), else podCIDR; a node with none, or another kind, adds nothing", () => {
    const s = parseCalicoState(
      list([
        { kind: "Node", metadata: { name: "n1" }, spec: { podCIDRs: ["10.9.0.0/24", "bogus", "fd00::/64"] } },
        { kind: "Node", metadata: { name: "n2" }, spec: {} },
        { kind: "Node", metadata: { name: "n3" }, spec: { podCIDRs: ["bogus"] } },
        { kind: "Pod", metadata: { name: "n4" }, spec: { podCIDRs: ["10.9.4.0/24"] } },
        { kind: "Node", spec: { podCIDR: "10.9.5.0/24" } },
      ]),
    );
    expect(Object.fromEntries(s.blocks)).toEqual({ n1: ["10.9.0.0/24"], "": ["10.9.5.0/24"] });
  });

  it("nodes (for nodes_from): the first valid InternalIP; none, an IPv6 one or another type leaves it out", () => {
    const node = (name: string, addresses: unknown) => ({
      kind: "Node",
      metadata: { name },
      status: { addresses },
    });
    const s = parseCalicoState(
      list([
        node("n1", [
          { type: "ExternalIP", address: "203.0.113.5" },
          { type: "InternalIP", address: "fd00::5" },
          { type: "InternalIP", address: "198.18.0.11" },
          { type: "InternalIP", address: "198.18.0.12" },
        ]),
        node("n2", [{ type: "Hostname", address: "n2" }, null, { type: "InternalIP" }]),
        node("n3", "not a list"),
        { kind: "Node", metadata: { name: "n4" } },
        {
          kind: "IPPool",
          metadata: { name: "p" },
          status: { addresses: [{ type: "InternalIP", address: "198.18.0.9" }] },
        },
      ]),
    );
    expect(s.nodes).toStrictEqual([
      { name: "n1", internalIp: "198.18.0.11" },
      { name: "n2" },
      { name: "n3" },
      { name: "n4" },
    ]);
  });

  it("output that is not JSON says so with the parser's reason", () => {
    expect(() => parseCalicoState("error: the server doesn't have a resource type")).toThrow(KubeParseError);
    expect(() => parseCalicoState("error")).toThrow(/^kubectl printed no JSON: .+/);
  });
});

describe("checkPools: exact findings", () => {
  it("a converged cluster: one passing finding per pool, without a fix", () => {
    expect(checkPools(c1, mesh, converged())).toStrictEqual([
      {
        cluster: "c1",
        check: "ippool",
        ok: true,
        severity: "error",
        finding: "IPPool pod-c2 covers cluster c2's pod CIDR 198.18.32.0/20, disabled, natOutgoing false",
      },
      {
        cluster: "c1",
        check: "ippool",
        ok: true,
        severity: "error",
        finding: "IPPool svc-c2 covers cluster c2's service CIDR 198.19.32.0/20, disabled, natOutgoing false",
      },
    ]);
  });

  it("missing, foreign, unlabelled, wrong and stale pools; the fix without -i names only the cluster", () => {
    const fs = checkPools(c1, mesh, [
      pool("svc-c2", "198.19.32.0/20", { managed: false, labels: {} }),
      pool("rogue", "198.18.32.0/24", { managed: false, labels: {} }),
      pool("pod-old", "198.18.33.0/24"),
    ]);
    const fix = "meshctl apply --limit c1";
    expect(fs).toStrictEqual([
      {
        cluster: "c1",
        check: "ippool",
        ok: false,
        severity: "error",
        finding:
          "IPPool rogue (198.18.32.0/24) is not meshctl's and overlaps cluster c2's pod CIDR 198.18.32.0/20: meshctl will not create or change pod-c2 next to it",
        fix: `kubectl delete ippools.crd.projectcalico.org rogue (or narrow its cidr), then ${fix}`,
      },
      {
        cluster: "c1",
        check: "ippool",
        ok: false,
        severity: "error",
        finding:
          "IPPool pod-c2 for cluster c2's pod CIDR 198.18.32.0/20 is missing: its destination is in no pool, so Calico's natOutgoing rule masquerades this cluster's pod traffic to it (the far side sees node addresses, not pods)",
        fix,
      },
      {
        cluster: "c1",
        check: "ippool",
        ok: false,
        severity: "error",
        finding:
          "IPPool svc-c2 exists but is not meshctl's (no app.kubernetes.io/managed-by=meshctl label): meshctl will not touch it",
        fix: `kubectl label ippools.crd.projectcalico.org svc-c2 app.kubernetes.io/managed-by=meshctl, then ${fix}`,
      },
      {
        cluster: "c1",
        check: "ippool",
        ok: false,
        severity: "warning",
        finding: "IPPool pod-old (198.18.33.0/24) is meshctl's but the inventory no longer wants it (stale)",
        fix,
      },
    ]);
  });

  it("a wrong pool: one error listing each fault", () => {
    const bad = pool("pod-c2", "198.18.32.0/21", {
      cidr: "198.18.32.0/21" as Cidr,
      natOutgoing: true,
      disabled: false,
    });
    expect(checkPools(c1, mesh, [bad, converged()[1] as ObservedPool], "inv.yaml")[0]).toEqual({
      cluster: "c1",
      check: "ippool",
      ok: false,
      severity: "error",
      finding:
        "IPPool pod-c2 (cluster c2's pod CIDR 198.18.32.0/20): cidr is 198.18.32.0/21, not 198.18.32.0/20; it is enabled: Calico may hand its addresses to this cluster's pods, clashing with the other cluster's; natOutgoing is true: traffic from those addresses to outside every pool is masqueraded here",
      fix: "meshctl apply -i inv.yaml --limit c1",
    });
  });
});

describe("checkCalicoPort: exact findings", () => {
  const a1 = nodeOf(model(), "a1");
  const facts = (ports: NodeFacts["vxlanPorts"]): NodeFacts => ({ ...convergedFacts(a1), vxlanPorts: ports });
  const base = { node: "a1", check: "calico-port", severity: "error" };

  it("another port than Felix's passes, naming both", () => {
    expect(checkCalicoPort(a1, facts([]))).toEqual([
      { ...base, ok: true, finding: `UDP ${a1.device.port} is not Calico's vxlanPort (4789)` },
    ]);
  });

  it("Felix's port from its device, or its default", () => {
    const felix = facts([{ device: "vxlan.calico", port: a1.device.port, vni: 4096, up: true }]);
    const fix = "inventory: set mesh.port to a free port (e.g. 4899), then meshctl apply";
    expect(checkCalicoPort(a1, felix)).toEqual([
      {
        ...base,
        ok: false,
        finding: `the mesh uses UDP ${a1.device.port}, Calico's vxlanPort: Felix drops VXLAN packets to it from hosts it does not know, whatever the VNI`,
        fix,
      },
    ]);
    const onDefault = { ...a1, device: { ...a1.device, port: 4789 } };
    expect(checkCalicoPort(onDefault, facts([]))).toEqual([
      {
        ...base,
        ok: false,
        finding:
          "the mesh uses UDP 4789, Calico's vxlanPort (default): Felix drops VXLAN packets to it from hosts it does not know, whatever the VNI",
        fix,
      },
    ]);
  });
});

describe("the seam", () => {
  it("cniOf gives Calico for cni: calico, with the rules wired to their functions", () => {
    expect(cniOf(c1)).toBe(calico);
    expect(calico.name).toBe("calico");
    expect(calicoRules.name).toBe("calico");
    const pools = converged();
    expect(calicoRules.desired(c1, mesh)).toEqual([
      manifest("pod-c2", "198.18.32.0/20"),
      manifest("svc-c2", "198.19.32.0/20"),
    ]);
    expect(calicoRules.diff(c1, mesh, state([]))).toEqual(diffPools(c1, mesh, []));
    expect(calicoRules.teardown(state(pools)).map((c) => [c.action, c.key])).toEqual([
      ["delete", "pod-c2"],
      ["delete", "svc-c2"],
    ]);
    expect(calicoRules.sameManaged(state(pools), state([...pools].reverse()))).toBe(true);
    expect(calicoRules.checkCluster(c1, mesh, state(pools), "i.yaml")).toEqual(
      checkPools(c1, mesh, pools, "i.yaml"),
    );
    const a1 = nodeOf(model(), "a1");
    expect(calicoRules.checkNode(a1, c1, convergedFacts(a1))).toEqual(
      checkCalicoPort(a1, convergedFacts(a1)),
    );
  });
});
