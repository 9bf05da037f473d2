import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import type { HostResult, RunResult } from "../../src/exec/engine.js";
import type { Change } from "../../src/plan/change.js";
import { countByKind, renderChanges } from "../../src/ui/changes.js";
import { renderRecap } from "../../src/ui/recap.js";

const ch = (resource: Change["resource"], key: string, after = "x"): Change => ({
  resource,
  key,
  action: "create",
  after,
  phase: "program",
  forward: [],
  inverse: [],
});
const node = (
  name: string,
  cluster: string,
  status: HostResult["status"],
  changes: Change[],
  extra: Partial<HostResult> = {},
): HostResult => ({
  kind: "node",
  name,
  cluster,
  address: `198.18.0.${name.length}`,
  status,
  changes,
  applied: status === "changed" ? changes : [],
  okCount: 2,
  commandsSent: 0,
  ...extra,
});
const run = (mode: RunResult["mode"], hosts: HostResult[]): RunResult => ({ mode, hosts, outcome: "ok" });
const plain = (s: string) => stripVTControlCharacters(s);

const shared = [
  ch("route", "198.18.48.0/26"),
  ch("route", "198.18.48.64/26"),
  ch("fdb", "02:6d:c6:12:01:0d"),
];

describe("apply/teardown report", () => {
  it("counts changes by kind, in a fixed order", () => {
    expect(
      countByKind([
        ch("route", "a"),
        ch("fdb", "b"),
        ch("mtu", "c"),
        ch("route", "d"),
        ch("shell", "e"),
        ch("ippool", "f"),
      ]),
    ).toBe("device 1, fdb 1, route 2, pool 1, site step 1");
  });

  it("prints one line per changed host, and every change only for hosts that need attention", () => {
    const ok = node("c1-n1", "c1", "changed", [...shared, ch("device", "vxlan-mesh")]);
    const bad = node("c1-n2", "c1", "rolled-back", shared, {
      error: "RTNETLINK answers: File exists",
      rollback: { restored: true, detail: "undid 2 change(s): back at its prior state" },
    });
    const out = plain(renderChanges(run("apply", [ok, bad])));
    expect(out.split("\n")).toEqual([
      "c1-n1 (c1, 198.18.0.5): changed — device 1, fdb 1, route 2",
      "c1-n2 (c1, 198.18.0.5): 3 planned, rolled back",
      "  + route 198.18.48.0/26: x",
      "  + route 198.18.48.64/26: x",
      "  + fdb 02:6d:c6:12:01:0d: x",
      "  error: RTNETLINK answers: File exists",
      "  rollback: undid 2 change(s): back at its prior state",
    ]);
    expect(plain(renderChanges(run("apply", [ok]), { full: true })).split("\n")).toHaveLength(5);
  });
});

describe("diff report", () => {
  it("says what several nodes of a cluster share once, then each node's own changes", () => {
    const hosts = [
      node("a1", "c1", "ok", [ch("device", "vxlan-mesh", "local 198.18.0.11"), ...shared]),
      node("a2", "c1", "ok", [ch("device", "vxlan-mesh", "local 198.18.0.12"), ...shared]),
      node("a3", "c1", "ok", [...shared]),
      node("b1", "c2", "ok", [ch("route", "198.18.32.0/26")]),
    ];
    expect(plain(renderChanges(run("diff", hosts))).split("\n")).toEqual([
      "the same 3 change(s) on the 3 nodes of c1:",
      "  + route 198.18.48.0/26: x",
      "  + route 198.18.48.64/26: x",
      "  + fdb 02:6d:c6:12:01:0d: x",
      "a1 (c1, 198.18.0.2): 4 would change (3 shared above, 1 of its own)",
      "  + device vxlan-mesh: local 198.18.0.11",
      "a2 (c1, 198.18.0.2): 4 would change (3 shared above, 1 of its own)",
      "  + device vxlan-mesh: local 198.18.0.12",
      "only the shared ones on: a3",
      "b1 (c2, 198.18.0.2): 1 would change",
      "  + route 198.18.32.0/26: x",
    ]);
  });

  it("a line about a node itself is not expected on that node", () => {
    const fdb = (peer: string) => ch("fdb", `02:6d:00:00:00:0${peer.at(-1)} (${peer})`);
    const hosts = ["a1", "a2", "a3"].map((me) =>
      node(me, "c1", "ok", ["a1", "a2", "a3"].filter((p) => p !== me).map(fdb)),
    );
    hosts.push(node("a4", "c1", "ok", [fdb("a1")]));
    expect(plain(renderChanges(run("diff", hosts))).split("\n")).toEqual([
      "the same 1 change(s) on the 4 nodes of c1 (each leaves out the entries for itself):",
      "  + fdb 02:6d:00:00:00:01 (a1): x",
      "a1 (c1, 198.18.0.2): 2 would change",
      "  + fdb 02:6d:00:00:00:02 (a2): x",
      "  + fdb 02:6d:00:00:00:03 (a3): x",
      "a2 (c1, 198.18.0.2): 2 would change (1 shared above, 1 of its own)",
      "  + fdb 02:6d:00:00:00:03 (a3): x",
      "a3 (c1, 198.18.0.2): 2 would change (1 shared above, 1 of its own)",
      "  + fdb 02:6d:00:00:00:02 (a2): x",
      "only the shared ones on: a4",
    ]);
  });

  it("--expand prints every line of every node", () => {
    const hosts = [node("a1", "c1", "ok", shared), node("a2", "c1", "ok", shared)];
    const out = plain(renderChanges(run("diff", hosts), { expand: true })).split("\n");
    expect(out).toHaveLength(8);
    expect(out.filter((l) => l === "  + route 198.18.48.0/26: x")).toHaveLength(2);
  });
});

describe("recap", () => {
  it("lists only hosts that are not ok, then totals per cluster and for the run", () => {
    const hosts = [
      node("a1", "c1", "changed", shared),
      node("a2", "c1", "unreachable", [], { error: "timeout" }),
      node("b1", "c2", "ok", []),
      { ...node("c2", "c2", "changed", [ch("ippool", "p")]), kind: "cluster" as const },
    ];
    expect(plain(renderRecap(run("apply", hosts))).split("\n")).toEqual([
      "RECAP",
      "a2                    : ok=2     changed=0     failed=0   unreachable=1",
      "c1 (2 nodes)          : ok=4     changed=3     failed=0   unreachable=1",
      "c2 (1 node + ippools) : ok=4     changed=1     failed=0   unreachable=0",
      "total (4 hosts)       : ok=8     changed=4     failed=0   unreachable=1",
    ]);
  });
});
