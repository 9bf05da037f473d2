/**
 * Input safety through the CLI: a --limit that selects nothing is a usage error (64) on every verb, before
 * anything is read or contacted; hostile inventories exit 3 with a clear message, never 70.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { cliWorkdir, meshctl, SLOW, STACK_FRAME } from "../support/cli.js";

const VERBS = ["plan", "diff", "apply", "teardown", "ping", "verify", "diagnose", "discover"];
const HOSTS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"];
const { file, ssh } = cliWorkdir("meshctl-cli-input-");
const inventory = (mesh = "", cluster2 = "") => `
mesh:
  overlay: 198.18.1.0/24
  ${ssh}
${mesh}
clusters:
  - name: c1
    pod_cidr: 198.18.16.0/20
    service_cidr: 198.19.16.0/20
    nodes:
      - { name: a1, host: ${HOSTS[0]}, pod_blocks: [198.18.16.0/26] }
      - { name: a2, host: ${HOSTS[1]}, pod_blocks: [198.18.16.64/26] }
  - name: c2
    pod_cidr: 198.18.32.0/20
    service_cidr: 198.19.32.0/20
${cluster2}
    nodes:
      - { name: b1, host: ${HOSTS[2]}, pod_blocks: [198.18.32.0/26] }
`;
const good = file("good.yaml", inventory());

/** Runs the CLI in this process, capturing stderr. */
async function inProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    stderr += String(chunk);
    return true;
  });
  const code = await main(["node", "meshctl", ...args]);
  vi.restoreAllMocks();
  return { code, stderr };
}

describe("--limit that selects nothing: exit 64 on every verb", () => {
  afterEach(() => vi.restoreAllMocks());
  for (const verb of VERBS) {
    it(verb, async () => {
      for (const [limit, message] of [
        ["", /--limit "" selects nothing/],
        [",,", /--limit ",," selects nothing/],
        [" , ", /selects nothing/],
        ["a1,,b1", /--limit has an empty name \(item 2 of "a1,,b1"\)/],
        ["a1,!", /empty exclusion/],
      ] as const) {
        const r = await inProcess([verb, "-i", good, "--limit", limit]);
        expect(r.code, `${verb} --limit '${limit}'`).toBe(64);
        expect(r.stderr).toMatch(message);
      }
      const r = await inProcess([verb, "-i", good, "--limit", "a1,!a3"]);
      expect(r.code).toBe(64);
      expect(r.stderr).toContain("--limit: !a3 matches no node or cluster of the inventory");
    });
  }
});

describe("nothing is contacted", SLOW, () => {
  it.each([[""], [",,"], ["c1,!nosuch"]])(
    "teardown --limit '%s' exits 64 and connects to no host",
    (limit) => {
      const r = meshctl(["teardown", "-i", good, "--limit", limit], { listen: HOSTS });
      expect(r.code).toBe(64);
      expect(r.connections).toEqual([]);
      expect(r.stderr).not.toMatch(STACK_FRAME);
    },
  );
});
