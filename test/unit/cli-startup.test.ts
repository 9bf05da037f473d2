import { describe, expect, it } from "vitest";
import { buildProgram, loadersFor } from "../../src/cli/program.js";

const argv = (...args: string[]) => ["node", "meshctl", ...args];
const verbs = async (...args: string[]) => (await buildProgram(argv(...args))).commands.map((c) => c.name());

describe("start-up loads only the verb that runs", () => {
  it("--version loads no verb", () => {
    expect(loadersFor(argv("--version"))).toHaveLength(0);
    expect(loadersFor(argv("-V"))).toHaveLength(0);
  });

  it("a verb registers itself (diff, apply and teardown share one module)", async () => {
    expect(await verbs("ping", "-i", "x.yaml")).toEqual(["ping"]);
    expect(await verbs("diff")).toEqual(["diff", "apply", "teardown"]);
    expect(await verbs("lab", "up")).toEqual(["lab"]);
  });

  it("help, no verb or an unknown one register every verb, in help's order", async () => {
    const all = [
      ...["plan", "diff", "apply", "teardown", "watch", "discover", "ping", "verify", "diagnose", "lab"],
      ...["version", "completion", "man"],
    ];
    expect(await verbs()).toEqual(all);
    expect(await verbs("--help")).toEqual(all);
    expect(await verbs("dif")).toEqual(all);
  });
});
