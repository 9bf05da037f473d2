import { describe, expect, it } from "vitest";
import { RemoteCommandError } from "../../src/exec/ssh/errors.js";
import { createLocalConnector } from "../../src/exec/ssh/local.js";
import type { SshTarget } from "../../src/model/types.js";

const target: SshTarget = {
  host: "198.18.0.200", // never contacted: the local connector runs sh on this machine
  port: 22,
  user: "root",
  knownHosts: "/dev/null",
  become: false,
  connectTimeoutMs: 1000,
};

describe("LocalConnector (the Connection interface over local sh -c)", () => {
  it("exec: stdout, stderr, exit code, stdin of 100 KB", async () => {
    const conn = await createLocalConnector().connect("local", target);
    expect(await conn.exec("echo out; echo err >&2; exit 3")).toEqual({
      code: 3,
      stdout: "out\n",
      stderr: "err\n",
    });
    const big = "0123456789abcdef\n".repeat(6024);
    const r = await conn.exec("cat", { stdin: big });
    expect(r.stdout).toBe(big);
    await expect(conn.exec("echo nope >&2; exit 4", { check: true, label: "probe" })).rejects.toThrow(
      "local: `probe` failed with exit code 4: nope",
    );
    conn.close();
  });

  it("exec: times out and kills", async () => {
    const conn = await createLocalConnector().connect("local", target);
    const t0 = Date.now();
    const err = await conn.exec("sleep 5", { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).message).toContain("timed out after 0.2 s");
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("session: several round trips on one process, then the rest and the exit status", async () => {
    const conn = await createLocalConnector().connect("local", target);
    const s = await conn.session(
      'while IFS= read -r l; do [ "$l" = big ] && head -c 100000 /dev/zero | tr "\\0" x && echo; echo "re:$l"; done; echo bye; echo done >&2; exit 7',
    );
    for (const req of ["one", "two", "big", "three"]) {
      s.write(`${req}\n`);
      if (req === "big") expect((await s.readLine())?.length).toBe(100_000);
      expect(await s.readLine()).toBe(`re:${req}`);
    }
    s.end();
    expect(await s.done).toEqual({ code: 7, stdout: "bye\n", stderr: "done\n" });
    expect(await s.readLine()).toBe("bye");
    expect(await s.readLine()).toBeUndefined();
  });

  it("session: readLine with a timeout kills a hung command; done rejects, never unhandled", async () => {
    const conn = await createLocalConnector().connect("local", target);
    const s = await conn.session("sleep 5");
    await expect(s.readLine(150)).rejects.toThrow("timed out after 0.1 s");
    await expect(s.done).rejects.toBeInstanceOf(RemoteCommandError);
  });
});
