import { describe, expect, it } from "vitest";
import { encodeBatch, failedLine, toBatches } from "../../src/exec/driver.js";
import { Gate } from "../../src/exec/gate.js";
import { type HostResult, outcomeOf } from "../../src/exec/results.js";
import { sameManagedState } from "../../src/exec/targets.js";
import { parseLimit } from "../../src/model/limit.js";
import { selectNodes } from "../../src/model/select.js";
import { cmd, type ShellCmd } from "../../src/plan/commands.js";
import { convergedFacts, ip, model, nodeOf } from "../support/builders.js";

const host = (status: HostResult["status"], extra: Partial<HostResult> = {}): HostResult => ({
  kind: "node",
  name: "n",
  cluster: "c",
  address: "h",
  status,
  changes: [],
  applied: [],
  okCount: 0,
  commandsSent: 0,
  ...extra,
});

describe("exit codes", () => {
  it("follow the README's table", () => {
    expect(outcomeOf("apply", [host("ok"), host("changed")])).toBe("ok");
    expect(outcomeOf("apply", [host("changed"), host("unreachable")])).toBe("unreachable");
    expect(outcomeOf("apply", [host("failed"), host("unreachable")])).toBe("failed");
    expect(outcomeOf("apply", [host("rolled-back")])).toBe("failed");
    // Interrupted (Ctrl-C, SIGTERM) is 130 even when every change set already sent went through.
    expect(outcomeOf("apply", [host("changed"), host("ok")], true)).toBe("interrupted");
    expect(outcomeOf("apply", [host("ok", { error: "not applied: 1 target(s) failed" })])).toBe("failed");
    const pending = host("ok", {
      changes: [
        { resource: "route", key: "k", action: "create", phase: "program", forward: [], inverse: [] },
      ],
    });
    expect(outcomeOf("diff", [pending])).toBe("changes-pending");
    expect(outcomeOf("diff", [pending, host("unreachable")])).toBe("unreachable");
    expect(outcomeOf("diff", [host("ok")])).toBe("ok");
  });
});

describe("selectNodes", () => {
  const m = model();
  it("takes node and cluster names, and refuses names the inventory does not have", () => {
    expect(selectNodes(m, parseLimit("c2,a1")).map((n) => n.name)).toEqual(["a1", "b1", "b2"]);
    expect(() => selectNodes(m, parseLimit("nope"))).toThrow(/--limit: nope matches no node or cluster/);
  });
});

describe("batches on the wire", () => {
  // Made in each test, not at collection (a mutant that breaks cmd must fail a test, not the file).
  const cmds = () => ({
    a: cmd.routeAdd({ dst: "198.18.32.0/26" as never, via: ip("198.18.1.13"), dev: "mshvx0", proto: 77 }),
    b: cmd.fdbReplace("mshvx0", "02:6d:c6:12:01:0d" as never, ip("198.18.0.13")),
  });
  const site: ShellCmd = { tool: "sh", label: "s: apply", script: "echo é\n", env: { MESHCTL_NODE: "a1" } };

  it("group consecutive commands of one tool; a site script is a request of its own", () => {
    const { a, b } = cmds();
    expect(toBatches([a, a, b, site, a]).map((x) => [x.tool, x.cmds.length])).toEqual([
      ["ip", 2],
      ["bridge", 1],
      ["sh", 1],
      ["ip", 1],
    ]);
  });

  it("are framed by their byte count (UTF-8), so the driver reads exactly one request's payload", () => {
    const { a, b } = cmds();
    const [ips, , sh] = toBatches([a, a, b, site]);
    const line = "route add 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77\n";
    // header: mode tool bytes env-lines node-side-limit-seconds
    expect(encodeBatch(ips as never)).toBe(`run ip ${2 * line.length} 0 30\n${line}${line}`);
    expect(encodeBatch(sh as never, "check")).toBe(
      `check sh ${Buffer.byteLength("echo é\n")} 1 60\nMESHCTL_NODE=a1\necho é\n`,
    );
  });

  it("find the failing line in ip's message", () => {
    expect(failedLine("RTNETLINK answers: File exists\nCommand failed -:17")).toBe(17);
    expect(failedLine("something else")).toBeUndefined();
  });
});

describe("sameManagedState (the rollback check)", () => {
  const n = nodeOf(model(), "a1");
  it("ignores dynamic neighbours and kernel multicast FDB entries, not managed ones", () => {
    const a = convergedFacts(n);
    const b = convergedFacts(n);
    b.neighbours = [
      ...b.neighbours,
      { ip: ip("198.18.0.1"), mac: "02:00:00:00:00:01", state: ["REACHABLE"], flags: [] },
    ];
    b.fdb = [...b.fdb, { mac: "33:33:00:00:00:01", flags: ["self"], state: "permanent", kind: "multicast" }];
    expect(sameManagedState(a, b)).toBe(true);
    b.routes = b.routes.slice(1);
    expect(sameManagedState(a, b)).toBe(false);
  });
});

describe("Gate", () => {
  it("opens when the last party arrives, and at once for none", async () => {
    const g = new Gate(2);
    let opened = false;
    void g.open.then(() => {
      opened = true;
    });
    void g.arrive();
    await Promise.resolve();
    expect(opened).toBe(false);
    await g.arrive();
    expect(opened).toBe(true);
    await new Gate(0).open;
  });
});
