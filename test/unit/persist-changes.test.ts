/**
 * Boot persistence as a person and the engine read it: each persist change's before/after text, its forward
 * and inverse file commands in full, the refusals' messages, the unit's exact text and the boot facts.
 * Written against StrykerJS's survivors in src/plan/persist-diff.ts and persist.ts (persist.test.ts checks
 * which changes come, this file what each one says). Everything is built inside each test.
 */
import { describe, expect, it } from "vitest";
import type { NodeFacts, PersistFacts } from "../../src/facts/types.js";
import type { Cmd } from "../../src/plan/commands.js";
import { diffNode } from "../../src/plan/node-diff.js";
import { bootFacts, persistState, renderUnit } from "../../src/plan/persist.js";
import { diffPersist, sha256 } from "../../src/plan/persist-diff.js";
import { convergedFacts, model, nodeOf } from "../support/builders.js";

const UNIT = "/etc/systemd/system/meshctl-mshvx0.service";
const WANTS = "/etc/systemd/system/multi-user.target.wants/meshctl-mshvx0.service";
const FILE = (n: number, tool = "ip") => `/var/lib/meshctl/mshvx0@${n}.${tool}`;

const a1 = () => nodeOf(model(), "a1");
const scratchOf = (f: NodeFacts) => () => diffNode(a1(), bootFacts(f)).changes.flatMap((c) => c.forward);
const withPersist = (p: PersistFacts): NodeFacts => ({ ...convergedFacts(a1()), persist: p });
const diff = (p: PersistFacts, state: "present" | "absent" = "present", scratch?: () => readonly Cmd[]) => {
  const f = withPersist(p);
  return diffPersist(a1(), f, state, scratch ?? scratchOf(f));
};
/** The persistence exactly as apply installs it. */
function installed(): PersistFacts {
  const w = persistState(a1(), scratchOf(convergedFacts(a1()))());
  return {
    systemd: true,
    unit: { path: w.unit.path, kind: "file", sha256: sha256(w.unit.content) },
    wants: { path: w.wants.path, kind: "ours" },
    files: w.files.map((b) => ({ path: b.path, kind: "file" as const, sha256: sha256(b.content) })),
  };
}

describe("persist changes: what each one says", () => {
  it("nothing installed: each file's after is its line count, the link's names the unit; no before", () => {
    const cs = diff({ systemd: true, files: [] });
    expect(cs.map((c) => [c.key, c.before, c.after])).toEqual([
      [FILE(1), undefined, "4 lines"],
      [FILE(2, "bridge"), undefined, "3 lines"],
      [FILE(3), undefined, "6 lines"],
      [UNIT, undefined, "18 lines"],
      [WANTS, undefined, `enabled (link to ${UNIT})`],
    ]);
    expect(cs.at(-1)?.forward).toEqual([{ tool: "file", op: "link", path: WANTS, target: UNIT }]);
    expect(cs.at(-1)?.inverse).toEqual([{ tool: "file", op: "remove", path: WANTS }]);
    expect(cs[0]?.inverse).toEqual([{ tool: "file", op: "remove", path: FILE(1) }]);
  });

  it("one command is one line; the last line counts without a newline after it", () => {
    const one = () => [{ tool: "ip" as const, args: ["link", "set", "dev", "mshvx0", "up"] }];
    const cs = diff({ systemd: true, files: [] }, "present", one);
    expect(cs.map((c) => [c.key, c.after])).toEqual([
      [FILE(1), "1 line"],
      [UNIT, "16 lines"],
      [WANTS, `enabled (link to ${UNIT})`],
    ]);
    expect(cs[0]?.forward).toEqual([
      { tool: "file", op: "put", path: FILE(1), content: "link set dev mshvx0 up\n", mode: "600" },
    ]);
  });

  it("a file without a known hash is stale: rewritten, its before says so", () => {
    const p = installed();
    p.files[0] = { path: FILE(1), kind: "file" };
    const cs = diff(p);
    expect(cs.map((c) => [c.action, c.key, c.before, c.after])).toEqual([
      ["update", FILE(1), "stale (sha256 unknown)", "4 lines"],
    ]);
  });

  it("an extra file is removed (forward) and put back from the node's copy (inverse)", () => {
    const p = installed();
    p.files.push({ path: FILE(4), kind: "file", sha256: sha256("old\n") });
    expect(diff(p)).toEqual([
      {
        resource: "persist",
        phase: "persist",
        key: FILE(4),
        action: "delete",
        before: `sha256 ${sha256("old\n").slice(0, 12)}`,
        forward: [{ tool: "file", op: "remove", path: FILE(4) }],
        inverse: [{ tool: "file", op: "restore", path: FILE(4) }],
      },
    ]);
  });

  it("a link at the enablement path to something else: remade, and remade as the unit's on the way back", () => {
    const p = installed();
    p.wants = { path: WANTS, kind: "link" };
    const link = { tool: "file", op: "link", path: WANTS, target: UNIT };
    expect(diff(p)).toEqual([
      {
        resource: "persist",
        phase: "persist",
        key: WANTS,
        action: "update",
        before: "a link to something else than the unit",
        after: `enabled (link to ${UNIT})`,
        forward: [link],
        inverse: [link],
      },
    ]);
  });

  it("teardown: the enablement link removed (before: enabled), the unit and files removed by name", () => {
    const p = installed();
    const cs = diff(p, "absent");
    expect(cs[0]).toEqual({
      resource: "persist",
      phase: "persist",
      key: WANTS,
      action: "delete",
      before: "enabled",
      forward: [{ tool: "file", op: "remove", path: WANTS }],
      inverse: [{ tool: "file", op: "link", path: WANTS, target: UNIT }],
    });
    expect(cs.slice(1).map((c) => [c.key, c.before, c.forward])).toEqual(
      [p.unit, ...p.files].map((f) => [
        f?.path,
        `sha256 ${f?.sha256?.slice(0, 12)}`,
        [{ tool: "file", op: "remove", path: f?.path }],
      ]),
    );
  });
});

describe("persist refusals: the exact message", () => {
  it("facts without a persist section", () => {
    const f = convergedFacts(a1());
    expect(() => diffPersist(a1(), f, "present", scratchOf(f))).toThrow(
      "a1: the node's facts do not say what is installed for boot (no persist section)",
    );
  });

  it("a non-regular file and a symbolic link under meshctl's names: each named, joined by '; '", () => {
    const p = installed();
    p.unit = { path: UNIT, kind: "other" };
    p.files[1] = { path: FILE(2, "bridge"), kind: "link" };
    expect(() => diff(p)).toThrow(
      `a1: ${UNIT} is a non-regular file; ${FILE(2, "bridge")} is a symbolic link: not made by meshctl, refusing to touch it (remove it, or set mesh.persist: false)`,
    );
  });
});

describe("the unit and the boot facts", () => {
  it("the unit's text, line by line", () => {
    const files = [
      { path: FILE(1), tool: "ip" as const, content: "" },
      { path: FILE(2, "bridge"), tool: "bridge" as const, content: "" },
    ];
    expect(renderUnit("mshvx0", files)).toBe(
      [
        "# Written by meshctl (man meshctl, on the controller): `meshctl apply` keeps it in sync,",
        "# `meshctl teardown` removes it. Do not edit: apply rewrites it.",
        "[Unit]",
        "Description=meshctl VXLAN mesh device mshvx0: device, FDB, neighbours and routes replayed at boot",
        "After=network-online.target",
        "Wants=network-online.target",
        "Before=kubelet.service",
        "ConditionPathExists=!/sys/class/net/mshvx0",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=/sbin/ip -batch ${FILE(1)}`,
        `ExecStart=/sbin/bridge -force -batch ${FILE(2, "bridge")}`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
      ].join("\n"),
    );
  });

  it("boot facts: none of meshctl's runtime state (empty lists), everything else as read", () => {
    const f = convergedFacts(a1());
    expect(bootFacts(f)).toEqual({
      ...f,
      device: undefined,
      neighbours: [],
      fdb: [],
      routes: [],
      connected: [],
    });
  });
});
