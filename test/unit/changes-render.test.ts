import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { reportText } from "../../src/cli/engine-verbs.js";
import type { HostResult, RunResult } from "../../src/exec/engine.js";
import type { Change } from "../../src/plan/change.js";
import {
  type ChangesOptions,
  changeBlocks,
  countByKind,
  renderChanges,
  sharedLines,
} from "../../src/ui/changes.js";
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

describe("sharedLines (diff, collapsed)", () => {
  // The reference: each distinct line, in order of first appearance, checked against every node it
  // does not name.
  const reference = (group: HostResult[], lines: Map<HostResult, string[]>) => {
    const sets = new Map(group.map((n) => [n, new Set(lines.get(n))]));
    const seen = new Set<string>();
    const out: string[] = [];
    let selfSkipped = false;
    for (const n of group) {
      for (const l of lines.get(n) ?? []) {
        if (seen.has(l)) continue;
        seen.add(l);
        const expected = group.filter((g) => !l.includes(`(${g.name})`));
        if (expected.length < 2 || !expected.every((g) => sets.get(g)?.has(l))) continue;
        if (expected.length < group.length) selfSkipped = true;
        out.push(l);
      }
    }
    return { lines: out, selfSkipped };
  };

  it("says what checking every line against every node says, on random groups", () => {
    let seed = 5;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    let sawShared = 0;
    let sawSkipped = 0;
    for (let round = 0; round < 300; round++) {
      const size = 1 + rand(6);
      const names = Array.from({ length: size }, (_, i) => `n${i}`);
      // Lines naming no node, one node, two, a name that is not in the group, a name inside a longer one.
      const pool = [
        "+ device vxlan-mesh",
        "+ route 198.18.48.0/26 (x9)",
        "~ mtu vxlan (destructive)",
        ...names.map((x) => `+ fdb aa (${x}): dst 1`),
        ...names.map((x) => `+ route (${x}) via (${names[(names.indexOf(x) + 1) % size]})`),
        ...names.map((x) => `+ neighbour (${x}0)`),
        "+ odd ((n1)",
      ];
      const group = names.map((x) => node(x, "c1", "ok", []));
      const lines = new Map(
        group.map((g) => {
          const own = pool.filter(() => rand(5) !== 0);
          return [g, rand(4) === 0 ? [...own, ...own.slice(0, 2)] : own];
        }),
      );
      const want = reference(group, lines);
      expect(sharedLines(group, lines)).toEqual(want);
      if (want.lines.length > 0) sawShared++;
      if (want.selfSkipped) sawSkipped++;
    }
    expect(sawShared).toBeGreaterThan(50);
    expect(sawSkipped).toBeGreaterThan(20);
  });
});

describe("the report written a host at a time", () => {
  it("is the text renderChanges makes, then the recap", () => {
    const hosts = [
      node("a1", "c1", "ok", [ch("device", "vxlan-mesh", "local 198.18.0.11"), ...shared]),
      node("a2", "c1", "ok", [...shared]),
      node("b1", "c2", "ok", [ch("route", "198.18.32.0/26")]),
      node("b2", "c2", "failed", [ch("route", "198.18.32.64/26")], { error: "boom" }),
    ];
    const cases: [RunResult, ChangesOptions][] = [
      [run("diff", hosts), {}],
      [run("diff", hosts), { expand: true }],
      [run("apply", hosts), {}],
      [run("apply", hosts), { full: true }],
      [run("diff", []), {}],
      [run("apply", [node("c1", "c1", "ok", [])]), {}],
    ];
    for (const [r, o] of cases) {
      const changes = renderChanges(r, o);
      const whole = `${changes ? `\n${changes}\n` : ""}\n${renderRecap(r)}\n`;
      const pieces = [...reportText(changeBlocks(r, o), renderRecap(r))];
      expect(pieces.join("")).toBe(whole);
      // One piece per block: a host's lines (or a cluster's shared ones), never the whole report.
      expect(pieces.length).toBe([...changeBlocks(r, o)].length + 1);
    }
  });
});
