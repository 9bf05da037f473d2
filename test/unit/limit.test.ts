import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { limitNamesCluster, parseLimit, selectByLimit } from "../../src/model/limit.js";

const nodes = [
  { name: "c1-node1", cluster: "c1" },
  { name: "c1-node2", cluster: "c1" },
  { name: "c2-node1", cluster: "c2" },
  { name: "c2-node2", cluster: "c2" },
  { name: "edge-10", cluster: "edge" },
];
const clusters = ["c1", "c2", "edge"];
const pick = (text: string) => selectByLimit(nodes, clusters, parseLimit(text)).map((n) => n.name);
const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a usage error");
};

describe("--limit parsing", () => {
  it("refuses an empty limit and empty items (an unset variable), never meaning 'everything'", () => {
    expect(usage(() => parseLimit(""))).toMatch(/selects nothing/);
    expect(usage(() => parseLimit(" "))).toMatch(/selects nothing/);
    expect(usage(() => parseLimit(",,"))).toMatch(/selects nothing/);
    expect(usage(() => parseLimit("c1,,c2"))).toMatch(/empty name \(item 2 of "c1,,c2"\)/);
    expect(usage(() => parseLimit("c1,"))).toMatch(/empty name/);
    expect(usage(() => parseLimit("c1,!"))).toMatch(/empty exclusion/);
    // A single item: no "(item i of …)".
    expect(usage(() => parseLimit("!"))).toBe(
      "--limit has an empty exclusion: an unset variable? (refused rather than guessed)",
    );
    expect(usage(() => parseLimit("c1;rm"))).toBe(
      '--limit pattern "c1;rm": only names, * ? [...] globs and a leading ! are allowed',
    );
  });

  it("refuses characters that are no part of a name or glob, and an unclosed [", () => {
    expect(usage(() => parseLimit("c1;rm"))).toMatch(/only names/);
    expect(usage(() => parseLimit("c[12"))).toMatch(/without a closing/);
  });
});

describe("--limit selection", () => {
  it("names nodes and clusters, in inventory order", () => {
    expect(pick("c2,c1-node1")).toEqual(["c1-node1", "c2-node1", "c2-node2"]);
  });

  it("globs: * ? and [set]", () => {
    expect(pick("*-node2")).toEqual(["c1-node2", "c2-node2"]);
    expect(pick("c?-node1")).toEqual(["c1-node1", "c2-node1"]);
    expect(pick("c[2]")).toEqual(["c2-node1", "c2-node2"]);
    expect(pick("edge-1[0-9]")).toEqual(["edge-10"]);
    expect(usage(() => pick("c1-node."))).toMatch(/matches no node/); // "." is literal
    // A set is only what is between its brackets: "n[1]" is n1, not nn.
    const twins = [
      { name: "n1", cluster: "x" },
      { name: "nn", cluster: "x" },
    ];
    expect(selectByLimit(twins, ["x"], parseLimit("n[1]")).map((n) => n.name)).toEqual(["n1"]);
    // A "]" before the set is a literal (no name has one): the set still starts at its own "[".
    expect(usage(() => pick("c]1[2]"))).toMatch(/matches no node/);
  });

  it("no limit: every node, as a copy", () => {
    const all = selectByLimit(nodes, clusters, undefined);
    expect(all).toEqual(nodes);
    expect(all).not.toBe(nodes);
  });

  it("a cluster of the inventory with no node known yet is a known name (nothing selected), not a typo", () => {
    expect(usage(() => selectByLimit(nodes, [...clusters, "c9"], parseLimit("c9")))).toBe(
      '--limit "c9" selects no node',
    );
  });

  it("exclusions, alone or after inclusions, of nodes or whole clusters", () => {
    expect(pick("c1,c2,!c2-node2")).toEqual(["c1-node1", "c1-node2", "c2-node1"]);
    expect(pick("!c1")).toEqual(["c2-node1", "c2-node2", "edge-10"]);
    expect(pick("*,!edge,!*-node1")).toEqual(["c1-node2", "c2-node2"]);
  });

  it("a pattern that matches nothing is an error, exclusions included (a typo would spare nothing)", () => {
    expect(usage(() => pick("c3"))).toMatch(/--limit: c3 matches no node or cluster/);
    expect(usage(() => pick("c1,!c1-nod2"))).toMatch(/!c1-nod2 matches no node/);
  });

  it("a name near one of the inventory says which was probably meant; a glob gets no guess", () => {
    expect(usage(() => pick("c1,!c1-nod2"))).toBe(
      "--limit: !c1-nod2 matches no node or cluster of the inventory — did you mean !c1-node2?",
    );
    expect(usage(() => pick("egde-10,c2-ndoe1"))).toBe(
      "--limit: egde-10, c2-ndoe1 matches no node or cluster of the inventory — did you mean edge-10, c2-node1?",
    );
    expect(usage(() => pick("edgy"))).toMatch(/— did you mean edge\?$/);
    expect(usage(() => pick("c1-nod?"))).toBe("--limit: c1-nod? matches no node or cluster of the inventory");
    expect(usage(() => pick("zzzzzz"))).toBe("--limit: zzzzzz matches no node or cluster of the inventory");
  });

  it("a limit that leaves no node is an error", () => {
    expect(usage(() => pick("c1,!c1"))).toMatch(/selects no node/);
  });

  it("cluster steps (IPPools) run only for a cluster named by a pattern and not excluded", () => {
    expect(limitNamesCluster(undefined, "c1")).toBe(true);
    expect(limitNamesCluster(parseLimit("c1-node1"), "c1")).toBe(false);
    expect(limitNamesCluster(parseLimit("c*"), "c2")).toBe(true);
    expect(limitNamesCluster(parseLimit("c1,!c1-node2"), "c1")).toBe(true);
    expect(limitNamesCluster(parseLimit("!c1"), "c1")).toBe(false);
    expect(limitNamesCluster(parseLimit("!c1"), "c2")).toBe(true);
    // Any one exclusion excludes; any one inclusion includes.
    expect(limitNamesCluster(parseLimit("!c2,!c1"), "c1")).toBe(false);
    expect(limitNamesCluster(parseLimit("c2,c1"), "c1")).toBe(true);
  });
});
