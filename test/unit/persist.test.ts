import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { encodeBatch, toBatches } from "../../src/exec/driver.js";
import { fileRequest } from "../../src/exec/driver-files.js";
import { nodeChanges } from "../../src/exec/targets.js";
import { parsePersist } from "../../src/facts/sections/persist.js";
import type { NodeFacts, PersistFacts } from "../../src/facts/types.js";
import type { Change } from "../../src/plan/change.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode, PlanConflict } from "../../src/plan/node-diff.js";
import { bootFacts, bootFiles, persistState, renderUnit } from "../../src/plan/persist.js";
import { diffPersist, sha256 } from "../../src/plan/persist-diff.js";
import type { PlanShape } from "../../src/plan/shape.js";
import { bareFacts, convergedFacts, model, nodeOf } from "../support/builders.js";

const a1 = nodeOf(model(), "a1");
const scratchOf = (f: NodeFacts) => () => diffNode(a1, bootFacts(f)).changes.flatMap((c) => c.forward);
const want = (f: NodeFacts) => persistState(a1, scratchOf(f)());
const UNIT = "/etc/systemd/system/meshctl-mshvx0.service";
const WANTS = "/etc/systemd/system/multi-user.target.wants/meshctl-mshvx0.service";

/** Facts with the persistence exactly as apply installs it. */
function installed(f: NodeFacts): PersistFacts {
  const w = want(f);
  return {
    systemd: true,
    unit: { path: w.unit.path, kind: "file", sha256: sha256(w.unit.content) },
    wants: { path: w.wants.path, kind: "ours" },
    files: w.files.map((b) => ({ path: b.path, kind: "file" as const, sha256: sha256(b.content) })),
  };
}
const withPersist = (f: NodeFacts, p: PersistFacts): NodeFacts => ({ ...f, persist: p });
const diff = (f: NodeFacts, state: "present" | "absent" = "present", n = a1) =>
  diffPersist(n, f, state, () => diffNode(n, bootFacts(f)).changes.flatMap((c) => c.forward));
const rendered = (cs: { forward: unknown[] }[]) =>
  cs.flatMap((c) => c.forward.map((x) => renderCmd(x as Parameters<typeof renderCmd>[0])));

describe("boot files and unit (rendering)", () => {
  // Made in each test, not at collection: a mutant that breaks it must fail a test, not the file's
  // collection (which Stryker counts as "survived"), and Stryker switches runtime mutants on only then.
  const made = () => want(convergedFacts(a1));

  it("replays the node's from-scratch change set: device (ip), FDB (bridge), neighbours and routes (ip)", () => {
    const w = made();
    expect(w.files.map((b) => b.path)).toEqual([
      "/var/lib/meshctl/mshvx0@1.ip",
      "/var/lib/meshctl/mshvx0@2.bridge",
      "/var/lib/meshctl/mshvx0@3.ip",
    ]);
    const [dev, fdb, entries] = w.files;
    expect(dev?.content).toBe(
      [
        "link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning",
        "link set dev mshvx0 alias meshctl",
        "addr add 198.18.1.11/24 dev mshvx0",
        "link set dev mshvx0 up",
        "",
      ].join("\n"),
    );
    expect(fdb?.content.split("\n").filter(Boolean)).toHaveLength(a1.fdb.length);
    expect(fdb?.content).toContain(
      "fdb replace 02:6d:c6:12:01:0c dev mshvx0 dst 198.18.0.12 self permanent\n",
    );
    expect(entries?.content).toContain(
      "neigh replace 198.18.1.12 lladdr 02:6d:c6:12:01:0c dev mshvx0 nud permanent\n",
    );
    expect(entries?.content).toContain(
      "route add 198.18.40.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink\n",
    );
    expect(entries?.content.split("\n").filter(Boolean)).toHaveLength(
      a1.neighbours.length + a1.routes.length,
    );
  });

  it("is the same whatever the node has now (rendered from the desired state, not the live one)", () => {
    const w = made();
    expect(want(bareFacts(a1))).toEqual(w);
  });

  it("the unit: oneshot, after the network, before kubelet, only when the device is absent, enabled in multi-user", () => {
    const w = made();
    const u = w.unit.content;
    for (const line of [
      "[Unit]",
      "After=network-online.target",
      "Wants=network-online.target",
      "Before=kubelet.service",
      "ConditionPathExists=!/sys/class/net/mshvx0",
      "Type=oneshot",
      "RemainAfterExit=yes",
      "ExecStart=/sbin/ip -batch /var/lib/meshctl/mshvx0@1.ip",
      "ExecStart=/sbin/bridge -force -batch /var/lib/meshctl/mshvx0@2.bridge",
      "ExecStart=/sbin/ip -force -batch /var/lib/meshctl/mshvx0@3.ip",
      "WantedBy=multi-user.target",
    ])
      expect(u.split("\n")).toContain(line);
    expect(w.unit.path).toBe(UNIT);
    expect(w.wants).toEqual({ path: WANTS, target: UNIT });
  });

  it("groups any commands by tool run, skipping site scripts", () => {
    const files = bootFiles("d0", [
      { tool: "ip", args: ["route", "add", "198.18.0.0/24", "dev", "d0", "proto", "77"] },
      { tool: "sh", label: "x", script: "true", env: {} },
      { tool: "ip", args: ["route", "add", "198.18.1.0/24", "dev", "d0", "proto", "77"] },
    ]);
    expect(files).toEqual([
      {
        path: "/var/lib/meshctl/d0@1.ip",
        tool: "ip",
        content: "route add 198.18.0.0/24 dev d0 proto 77\nroute add 198.18.1.0/24 dev d0 proto 77\n",
      },
    ]);
    expect(renderUnit("d0", files)).toContain("ExecStart=/sbin/ip -batch /var/lib/meshctl/d0@1.ip\n");
  });

  it("passes systemd-analyze verify (systemd of this machine)", () => {
    const w = made();
    const dir = execFileSync("mktemp", ["-d"]).toString().trim();
    const path = `${dir}/meshctl-mshvx0.service`;
    execFileSync("sh", ["-c", 'cat >"$1"', "sh", path], { input: w.unit.content });
    // Only the unit's own problems count: the tools' paths are checked as on a node (ip, bridge in /sbin).
    const out = execFileSync("sh", ["-c", 'systemd-analyze verify "$1" 2>&1; echo "rc=$?"', "sh", path])
      .toString()
      .trim();
    execFileSync("rm", ["-rf", dir]);
    expect(out).toBe("rc=0");
  });
});

describe("persist facts", () => {
  const H1 = "a".repeat(64);
  const H2 = "0123456789abcdef".repeat(4);
  it("parses each file's kind and sha256sum's hash, the link, systemd", () => {
    const text = [
      "systemd 1",
      `@ unit file ${UNIT}`,
      `@ wants ours ${WANTS}`,
      "@ boot file /var/lib/meshctl/mshvx0@1.ip",
      "@ boot other /var/lib/meshctl/mshvx0@2.ip",
      `${H1}  ${UNIT}`,
      `${H2} */var/lib/meshctl/mshvx0@1.ip`,
    ].join("\n");
    expect(parsePersist(text)).toEqual({
      systemd: true,
      unit: { path: UNIT, kind: "file", sha256: H1 },
      wants: { path: WANTS, kind: "ours" },
      files: [
        { path: "/var/lib/meshctl/mshvx0@1.ip", kind: "file", sha256: H2 },
        { path: "/var/lib/meshctl/mshvx0@2.ip", kind: "other" },
      ],
    });
    expect(parsePersist(`systemd 0\n@ unit absent ${UNIT}\n@ wants absent ${WANTS}`)).toEqual({
      systemd: false,
      files: [],
    });
  });

  it("a regular file without its hash, or a line it cannot read (sha256sum's complaint), fails by name", () => {
    expect(() => parsePersist(`systemd 1\n@ unit file ${UNIT}`)).toThrow(
      /no SHA-256 of \/etc\/systemd\/system\/meshctl-mshvx0.service/,
    );
    expect(() =>
      parsePersist(`systemd 1\n@ unit file ${UNIT}\nsha256sum: ${UNIT}: Permission denied`),
    ).toThrow(/unexpected line "sha256sum:/);
    expect(() => parsePersist(`systemd 1\n${H1.slice(1)}  ${UNIT}`)).toThrow(/unexpected line/);
  });

  it("the node's sha256sum agrees with the controller's hash of the same text (utf-8 included)", () => {
    const text = "[Unit]\nDescription=é mesh\n\nlast line without newline";
    const out = execFileSync("sha256sum", ["-"], { input: Buffer.from(text, "utf8") }).toString();
    expect(out.slice(0, 64)).toBe(sha256(text));
  });
});

describe("diffPersist", () => {
  const f = convergedFacts(a1);

  it("as installed: nothing to do", () => {
    expect(diff(withPersist(f, installed(f)))).toEqual([]);
  });

  it("nothing installed: every file, then the unit, then its enablement; each undone by removing it", () => {
    const cs = diff(withPersist(f, { systemd: true, files: [] }));
    expect(cs.map((c) => `${c.action} ${c.key}`)).toEqual([
      "create /var/lib/meshctl/mshvx0@1.ip",
      "create /var/lib/meshctl/mshvx0@2.bridge",
      "create /var/lib/meshctl/mshvx0@3.ip",
      `create ${UNIT}`,
      `create ${WANTS}`,
    ]);
    expect(cs.every((c) => c.phase === "persist" && c.resource === "persist")).toBe(true);
    expect(rendered(cs).at(-1)).toBe(`link ${WANTS} -> ${UNIT}`);
    expect(cs.flatMap((c) => c.inverse.map(renderCmd))).toEqual([
      "remove /var/lib/meshctl/mshvx0@1.ip",
      "remove /var/lib/meshctl/mshvx0@2.bridge",
      "remove /var/lib/meshctl/mshvx0@3.ip",
      `remove ${UNIT}`,
      `remove ${WANTS}`,
    ]);
  });

  it("a stale file (another hash) is rewritten, an extra one removed; each undone by the copy the node keeps", () => {
    const p = installed(f);
    const stale = p.files[2] as { sha256: string };
    stale.sha256 = sha256("route add 198.18.99.0/24 via 198.18.1.99 dev mshvx0 proto 77 onlink\n");
    p.files.push({ path: "/var/lib/meshctl/mshvx0@4.ip", kind: "file", sha256: sha256("old\n") });
    const cs = diff(withPersist(f, p));
    expect(cs.map((c) => `${c.action} ${c.key}`)).toEqual([
      "update /var/lib/meshctl/mshvx0@3.ip",
      "delete /var/lib/meshctl/mshvx0@4.ip",
    ]);
    expect(cs[0]?.before).toBe(`stale (sha256 ${stale.sha256.slice(0, 12)})`);
    expect(cs[0]?.forward).toEqual([
      {
        tool: "file",
        op: "put",
        path: "/var/lib/meshctl/mshvx0@3.ip",
        content: want(f).files[2]?.content,
        mode: "600",
      },
    ]);
    expect(cs[0]?.inverse).toEqual([{ tool: "file", op: "restore", path: "/var/lib/meshctl/mshvx0@3.ip" }]);
    expect(cs[1]?.inverse).toEqual([{ tool: "file", op: "restore", path: "/var/lib/meshctl/mshvx0@4.ip" }]);
    expect(cs[1]?.before).toBe(`sha256 ${sha256("old\n").slice(0, 12)}`);
  });

  it("a unit edited by hand is rewritten (mode 644); a dangling enablement link is remade", () => {
    const p = installed(f);
    (p.unit as { sha256: string }).sha256 = sha256("[Unit]\n");
    p.wants = { path: WANTS, kind: "link" };
    const cs = diff(withPersist(f, p));
    expect(cs.map((c) => `${c.action} ${c.key}`)).toEqual([`update ${UNIT}`, `update ${WANTS}`]);
    expect(cs[0]?.forward[0]).toMatchObject({ op: "put", mode: "644" });
    expect(cs[0]?.inverse).toEqual([{ tool: "file", op: "restore", path: UNIT }]);
  });

  it("follows the desired state: a peer's new block changes the entries' file only", () => {
    const n = {
      ...a1,
      routes: [...a1.routes, { peer: a1.routes[0]?.peer, dst: "198.18.48.0/26", via: a1.routes[0]?.via }],
    };
    const cs = diffPersist(n as typeof a1, withPersist(f, installed(f)), "present", () =>
      diffNode(n as typeof a1, bootFacts(f)).changes.flatMap((c) => c.forward),
    );
    expect(cs.map((c) => `${c.action} ${c.key}`)).toEqual(["update /var/lib/meshctl/mshvx0@3.ip"]);
    expect(JSON.stringify(cs[0]?.forward)).toContain(
      "route add 198.18.48.0/26 via 198.18.1.13 dev mshvx0 proto 77 onlink\\n",
    );
  });

  it("teardown (absent) and persist: false remove the enablement, the unit, then the files; each undone by the copy the node keeps", () => {
    const p = withPersist(f, installed(f));
    for (const cs of [diff(p, "absent"), diff(p, "present", { ...a1, persist: false })]) {
      expect(cs.map((c) => `${c.action} ${c.key}`)).toEqual([
        `delete ${WANTS}`,
        `delete ${UNIT}`,
        "delete /var/lib/meshctl/mshvx0@1.ip",
        "delete /var/lib/meshctl/mshvx0@2.bridge",
        "delete /var/lib/meshctl/mshvx0@3.ip",
      ]);
      expect(cs[0]?.inverse.map(renderCmd)).toEqual([`link ${WANTS} -> ${UNIT}`]);
      expect(cs[1]?.inverse).toEqual([{ tool: "file", op: "restore", path: UNIT }]);
      expect(cs.slice(2).flatMap((c) => c.inverse.map(renderCmd))).toEqual(
        want(f).files.map((b) => `restore ${b.path} (as it was before this change set)`),
      );
    }
    expect(diff(withPersist(f, { systemd: false, files: [] }), "absent")).toEqual([]);
  });

  it("a node without systemd fails clearly, unless opted out", () => {
    const none = withPersist(f, { systemd: false, files: [] });
    expect(() => diff(none)).toThrow(PlanConflict);
    expect(() => diff(none)).toThrow(/a1: no systemd on this node .*mesh\.persist: false/);
    expect(diff(none, "present", { ...a1, persist: false })).toEqual([]);
  });

  it("refuses what is not meshctl's under its names (a directory, a link instead of a file), even on teardown", () => {
    const p = installed(f);
    p.unit = { path: UNIT, kind: "link" };
    expect(() => diff(withPersist(f, p))).toThrow(/meshctl-mshvx0.service is a symbolic link.*refusing/);
    expect(() => diff(withPersist(f, p), "absent")).toThrow(PlanConflict);
    const q = installed(f);
    q.wants = { path: WANTS, kind: "other" };
    expect(() => diff(withPersist(f, q))).toThrow(/is not a symbolic link/);
  });

  it("the mesh playbook's persist step comes after the entries and plans from the facts", () => {
    const shape: PlanShape = {
      steps: [
        { kind: "phase", phase: "device" },
        { kind: "phase", phase: "fdb" },
        { kind: "phase", phase: "program" },
        { kind: "persist", state: "present" },
      ],
      pools: "none",
    };
    const bare = withPersist(bareFacts(a1), { systemd: true, files: [] });
    const cs = nodeChanges(a1, bare, shape);
    expect(cs.slice(-5).every((c) => c.phase === "persist")).toBe(true);
    expect(cs.filter((c) => c.phase === "persist")).toHaveLength(5);
    expect(nodeChanges(a1, withPersist(f, installed(f)), shape)).toEqual([]);
  });

  it("the boot files hold the whole from-scratch set, whatever part of the mesh the node already has", () => {
    const shape: PlanShape = {
      steps: [
        { kind: "phase", phase: "device" },
        { kind: "phase", phase: "fdb" },
        { kind: "phase", phase: "program" },
        { kind: "persist", state: "present" },
      ],
      pools: "none",
    };
    // as a node without the device reports it: the connected section is read, and empty
    const bare = { ...withPersist(bareFacts(a1), { systemd: true, files: [] }), connected: [] };
    const done = convergedFacts(a1);
    const withDevice = { ...bare, device: done.device };
    // a fresh node (the diff itself is the from-scratch set), then one part of the mesh already there
    const partial: NodeFacts[] = [
      bare,
      { ...bare, connected: undefined },
      { ...bare, neighbours: done.neighbours },
      { ...bare, fdb: done.fdb },
      withDevice,
      { ...withDevice, neighbours: done.neighbours },
      { ...withDevice, fdb: done.fdb },
      { ...withDevice, routes: done.routes },
      { ...withDevice, connected: done.connected },
    ];
    const contents = (cs: Change[]) =>
      cs.flatMap((c) => c.forward).flatMap((c) => (c.tool === "file" && c.op === "put" ? [c.content] : []));
    const whole = contents(diff(bare));
    expect(whole).toHaveLength(4); // the unit and three boot files
    for (const facts of partial) {
      const persist = nodeChanges(a1, facts, shape).filter((c) => c.phase === "persist");
      expect(contents(persist)).toEqual(whole);
    }
  });
});

describe("file requests to the driver", () => {
  it("frame the content by byte count after one line naming the operation", () => {
    const put = { tool: "file", op: "put", path: UNIT, content: "[Unit]\né\n", mode: "644" } as const;
    expect(encodeBatch({ tool: "file", cmds: [put] })).toBe(`run file 10 0 10\nput ${UNIT} 644\n[Unit]\né\n`);
    expect(
      encodeBatch({ tool: "file", cmds: [{ tool: "file", op: "link", path: WANTS, target: UNIT }] }, "force"),
    ).toBe(`force file 0 0 10\nlink ${WANTS} ${UNIT}\n`);
    expect(renderCmd(put)).toBe(`write ${UNIT} (10 bytes, mode 644)`);
    expect(toBatches([put, put]).map((b) => b.tool)).toEqual(["file", "file"]);
  });

  it("refuse a path that is not plain (it never is: paths are built from typed names)", () => {
    for (const path of ["/var/lib/meshctl/x y", "/var/lib/meshctl/../x", "relative", "/a\nb"]) {
      expect(() => fileRequest({ tool: "file", op: "remove", path }, "run", 10)).toThrow(/not plain/);
    }
  });
});
