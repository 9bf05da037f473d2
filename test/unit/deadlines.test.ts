/** Deadlines: a site step's timeout reaches the node; the controller never waits on a reply without one. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { encodeBatch, STEP_LIMIT_SECONDS } from "../../src/exec/driver.js";
import { Replies } from "../../src/exec/replies.js";
import { RemoteCommandError } from "../../src/exec/ssh/errors.js";
import { LineQueue } from "../../src/exec/ssh/lines.js";
import type { RemoteSession } from "../../src/exec/ssh/types.js";
import { loadPlaybook } from "../../src/playbook/load.js";
import { isShellStep, type ShellStep } from "../../src/playbook/schema.js";

const dir = mkdtempSync(join(tmpdir(), "meshctl-deadlines-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
async function shellStep(extra: string): Promise<ShellStep> {
  const file = join(dir, `p${Math.random()}.yaml`);
  writeFileSync(
    file,
    `name: x
steps:
  - name: site
    hosts: nodes
${extra}    shell: { check: "true", apply: "true", undo: "true" }
`,
  );
  const s = (await loadPlaybook(file)).steps[0];
  if (!s || !isShellStep(s)) throw new Error("no shell step");
  return s;
}

/** A session whose node never answers (or answers `lines`), recording kill(). */
function silentSession(lines: string[] = []): RemoteSession & { killed: boolean } {
  const q = new LineQueue();
  for (const l of lines) q.push(Buffer.from(`${l}\n`));
  const s = {
    killed: false,
    write: () => undefined,
    end: () => undefined,
    kill: () => {
      s.killed = true;
    },
    done: new Promise<never>(() => undefined),
    readLine(ms?: number) {
      if (ms === undefined) return q.next();
      return Promise.race([
        q.next(),
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            s.kill();
            reject(new RemoteCommandError("n", "driver", null, "", { timedOutMs: ms }));
          }, ms),
        ),
      ]);
    },
  };
  return s;
}

describe("deadlines", () => {
  it("a shell step's timeout defaults to 60 s and travels in the request header", async () => {
    expect((await shellStep("")).timeout).toBe(60);
    expect(STEP_LIMIT_SECONDS).toBe(60);
    const s = await shellStep("    timeout: 5\n");
    expect(s.timeout).toBe(5);
    const req = encodeBatch({
      tool: "sh",
      cmds: [{ tool: "sh", label: "l", script: "x", env: {}, timeoutSec: 5 }],
    });
    expect(req.split("\n")[0]).toBe("run sh 2 0 5");
    expect(encodeBatch({ tool: "ip", cmds: [{ tool: "ip", args: ["link"] }] }).split("\n")[0]).toBe(
      "run ip 5 0 30",
    );
    await expect(shellStep("    timeout: 0\n")).rejects.toThrow();
    await expect(shellStep("    timeout: 100000\n")).rejects.toThrow();
  });

  it("a reply that never comes fails at its deadline as a timeout, and the channel is cut", async () => {
    const s = silentSession();
    const r = new Replies(s, "n1");
    const t0 = Date.now();
    const err = await r.outcome("applying changes", Date.now() + 150).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(err).toBeInstanceOf(MeshctlError);
    expect((err as MeshctlError).kind).toBe("timeout");
    expect((err as Error).message).toMatch(/^n1: applying changes: no answer in time/);
    expect(s.killed).toBe(true);
  });

  it("a deadline already past cuts the channel without waiting", async () => {
    const s = silentSession(["@@ok"]);
    const err = await new Replies(s, "n1").line("x", Date.now() - 1).catch((e: unknown) => e);
    expect((err as MeshctlError).kind).toBe("timeout");
    expect(s.killed).toBe(true);
  });

  it("a node-side timeout is a failure that says so", async () => {
    const r = new Replies(silentSession(["@@timeout 7", "| partial", "@@end"]), "n1");
    expect(await r.outcome("x", Date.now() + 1000)).toEqual({
      status: "failed",
      output: "timed out after 7 s (killed on the node): partial",
      timedOutSec: 7,
    });
  });
});
