/**
 * A change as a person reads it (describeChange: the `+ - ~ !` line of diff and --diff) and as a script reads
 * it (changeToJson: `-o json`), value by value; written against StrykerJS's survivors in src/plan/render.ts
 * and change.ts. Expected text by hand from the builders' inventory (a1: 198.18.0.11 on eth0, VNI 10001).
 */
import { describe, expect, it } from "vitest";
import { type ChangeBase, changeSymbol } from "../../src/plan/change.js";
import { batchLine, renderCmd } from "../../src/plan/commands.js";
import { diffNode } from "../../src/plan/node-diff.js";
import { changeToJson, commandsOf, describeChange } from "../../src/plan/render.js";
import { bareFacts, model, nodeOf } from "../support/builders.js";

const a1 = nodeOf(model(), "a1");
/** Made in each test, not at collection (a mutant that breaks the diff must fail a test, not the file). */
const freshChanges = () => diffNode(a1, bareFacts(a1)).changes;
const base = (over: Partial<ChangeBase>): ChangeBase => ({
  resource: "route",
  key: "10.0.0.0/24",
  action: "create",
  ...over,
});

describe("changeSymbol", () => {
  it.each([
    ["create", "+"],
    ["delete", "-"],
    ["update", "~"],
    ["recreate", "!"],
  ] as const)("%s → %s", (action, sym) => {
    expect(changeSymbol(action)).toBe(sym);
  });
});

describe("describeChange", () => {
  it.each<[string, Partial<ChangeBase>, string]>([
    ["a create says what it makes", { after: "via 1.2.3.4" }, "+ route 10.0.0.0/24: via 1.2.3.4"],
    ["a create with nothing to say", {}, "+ route 10.0.0.0/24"],
    [
      "an update says before → after",
      { action: "update", before: "a", after: "b" },
      "~ route 10.0.0.0/24: a → b",
    ],
    ["an update with no after", { action: "update", before: "a" }, "~ route 10.0.0.0/24: a → "],
    ["an update with no before says the after", { action: "update", after: "b" }, "~ route 10.0.0.0/24: b"],
    [
      "a delete says what goes",
      { action: "delete", before: "a", after: "ignored" },
      "- route 10.0.0.0/24: a",
    ],
    ["a delete with nothing to say", { action: "delete" }, "- route 10.0.0.0/24"],
    [
      "a destructive recreate says so",
      { action: "recreate", before: "vni 1", after: "vni 2", destructive: true },
      "! route 10.0.0.0/24: vni 1 → vni 2 (destructive)",
    ],
    [
      "a destructive delete does not repeat it",
      { action: "delete", before: "x", destructive: true },
      "- route 10.0.0.0/24: x",
    ],
  ])("%s", (_what, over, line) => {
    expect(describeChange(base(over))).toBe(line);
  });

  it("on a real change from the diff", () => {
    expect(describeChange(freshChanges()[0] as ChangeBase)).toBe(
      "+ device mshvx0: vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 mtu 1450",
    );
  });
});

describe("changeToJson", () => {
  it("a node change: its commands and undo as the node runs them; before only when set", () => {
    const fresh = freshChanges();
    expect(changeToJson(fresh[0] as (typeof fresh)[number])).toEqual({
      resource: "device",
      key: "mshvx0",
      action: "create",
      after: "vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 mtu 1450",
      destructive: false,
      commands: [
        "ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning",
        "ip link set dev mshvx0 alias meshctl",
        "ip addr add 198.18.1.11/24 dev mshvx0",
        "ip link set dev mshvx0 up",
      ],
      undo: ["ip link del mshvx0"],
    });
    // No before key at all (`-o json` readers test for the key), not one set to undefined.
    expect(Object.keys(changeToJson(fresh[0] as (typeof fresh)[number]))).not.toContain("before");
  });

  it("a cluster change: kubectl ops carry their own text; destructive and before kept, after left out", () => {
    const json = changeToJson({
      ...base({ resource: "ippool", key: "pod-c2", action: "delete", before: "cidr x", destructive: true }),
      forward: [{ text: "kubectl delete ippool pod-c2" }],
      inverse: [{ text: "kubectl apply --server-side ippool pod-c2" }],
    });
    expect(json).toEqual({
      resource: "ippool",
      key: "pod-c2",
      action: "delete",
      before: "cidr x",
      destructive: true,
      commands: ["kubectl delete ippool pod-c2"],
      undo: ["kubectl apply --server-side ippool pod-c2"],
    });
    expect(Object.keys(json)).not.toContain("after");
  });
});

describe("command lines", () => {
  it("a site script reads as its label; a batch file's line is the command without its tool", () => {
    const site = { tool: "sh", label: "open port: apply", script: "true", env: {} } as const;
    expect(renderCmd(site)).toBe("sh (open port: apply)");
    expect(
      batchLine({ tool: "bridge", args: ["fdb", "replace", "02:6d:c6:12:01:0c", "dev", "mshvx0"] }),
    ).toBe("fdb replace 02:6d:c6:12:01:0c dev mshvx0");
  });
});

describe("commandsOf", () => {
  it("every command of every change, in order", () => {
    const fresh = freshChanges();
    const cmds = commandsOf(fresh);
    expect(cmds).toHaveLength(fresh.reduce((n, c) => n + c.forward.length, 0));
    expect(cmds.slice(0, 5)).toEqual([
      "ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning",
      "ip link set dev mshvx0 alias meshctl",
      "ip addr add 198.18.1.11/24 dev mshvx0",
      "ip link set dev mshvx0 up",
      "bridge fdb replace 02:6d:c6:12:01:0c dev mshvx0 dst 198.18.0.12 self permanent",
    ]);
  });
});
