import { execFileSync } from "node:child_process";
import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { type Chan, type ChanEnd, runSession } from "../../src/exec/ssh/channel.js";
import { hostKeyAlgorithms } from "../../src/exec/ssh/connect.js";
import {
  AuthError,
  firstLine,
  isUnreachable,
  RemoteCommandError,
  SudoError,
  stderrTail,
  UnreachableError,
} from "../../src/exec/ssh/errors.js";
import { LineQueue } from "../../src/exec/ssh/lines.js";
import { remoteCommand, shQuote, sudoRefusal } from "../../src/exec/ssh/quote.js";
import { Slots } from "../../src/exec/ssh/slots.js";

describe("shQuote", () => {
  const nasty = [
    "",
    "plain",
    "it's",
    "''",
    "a b\tc\nd",
    '$(rm -rf /) `x` $HOME \\ " ! * ?',
    "'; echo pwned; '",
  ];
  it.each(nasty)("round-trips %j through sh", (s) => {
    const out = execFileSync("sh", ["-c", `printf %s ${shQuote(s)}`], { encoding: "utf8" });
    expect(out).toBe(s);
  });

  it("wraps the script for sh -c, through sudo -n when become (not for root)", () => {
    const args = ` meshctl "$SSH_CONNECTION"`;
    expect(remoteCommand("echo 'hi'", false, "meshlab")).toBe(`sh -c 'echo '\\''hi'\\'''${args}`);
    expect(remoteCommand("id -u", true, "meshlab")).toBe(`sudo -n -- sh -c 'id -u'${args}`);
    expect(remoteCommand("id -u", true, "root")).toBe(`sh -c 'id -u'${args}`);
    // The login shell expands $SSH_CONNECTION (sudo would drop it): the script gets it as $1, one word.
    const script = 'printf \'[%s]\\n\' "$@" | tr a-z A-Z; echo "it\'s"';
    const env = { PATH: process.env.PATH, SSH_CONNECTION: "198.18.0.1 40022 198.18.0.11 22" };
    const viaLoginShell = execFileSync("sh", ["-c", remoteCommand(script, false, "x")], {
      encoding: "utf8",
      env,
    });
    expect(viaLoginShell).toBe("[198.18.0.1 40022 198.18.0.11 22]\nit's\n");
  });
});

describe("sudoRefusal", () => {
  it.each([
    [1, "sudo: a password is required\n"],
    [1, "sudo: a terminal is required to read the password; either use the -S option"],
    [1, "bob is not in the sudoers file.  This incident will be reported.\n"],
    [1, "Sorry, user bob is not allowed to execute '/bin/sh -c true' as root on n1.\n"],
    [127, "bash: line 1: sudo: command not found\n"],
    [127, "sh: 1: sudo: not found\n"],
  ])("recognises sudo refusing (%i: %s)", (code, stderr) => {
    expect(sudoRefusal(code, stderr)).toBe(stderr.trim().split("\n")[0]);
  });

  it("does not mistake the script's own failures for sudo's", () => {
    expect(sudoRefusal(0, "sudo: a password is required")).toBeUndefined();
    expect(sudoRefusal(2, "sudo: a password is required")).toBeUndefined();
    expect(
      sudoRefusal(1, "ip: RTNETLINK answers: File exists\nsudo: a password is required"),
    ).toBeUndefined();
    expect(sudoRefusal(127, "sh: 1: ipp: not found")).toBeUndefined();
  });
});

describe("errors", () => {
  it("classify hosts for the recap and map to exit codes 4 and 1", () => {
    const u = new UnreachableError("c1-node1", "198.18.0.250:22", "timeout", "x", 1500);
    expect(u.message).toBe(
      "c1-node1: cannot connect to 198.18.0.250:22: no answer within 1.5 s (host down, address wrong, or filtered)",
    );
    expect([u.unreachable, u.kind, isUnreachable(u)]).toEqual([true, "unreachable", true]);
    const s = new SudoError("c1-node1", "bob", "sudo: a password is required");
    expect(s.message).toBe(
      "c1-node1: user bob cannot run sudo without a password (sudo: a password is required): " +
        "add `bob ALL=(ALL) NOPASSWD: ALL` to sudoers or set become: false",
    );
    expect([s.unreachable, s.kind, isUnreachable(s)]).toEqual([false, "remote", false]);
    expect(isUnreachable(new Error("x"))).toBe(false);
  });

  it("auth errors name the login and the keys tried", () => {
    const a = new AuthError("n1", "root@198.18.0.11:22", ["key /k/id (SHA256:abc)", "the keys in ssh-agent"]);
    expect(a.message).toBe(
      "n1: root@198.18.0.11:22 refused authentication with key /k/id (SHA256:abc) and the keys in ssh-agent" +
        " (is the public key in the user's ~/.ssh/authorized_keys?)",
    );
    const local = new AuthError("n1", "root@h:22", [], "identity file /k/id is encrypted: …");
    expect(local.message).toBe("n1: cannot log in as root@h:22: identity file /k/id is encrypted: …");
  });

  it("remote command errors show the label, exit code and a one-line stderr tail", () => {
    const e = new RemoteCommandError(
      "n1",
      firstLine("# comment\nset -e\nip link add x"),
      2,
      stderrTail("a\n\nb\nc\nd\n"),
    );
    expect(e.message).toBe("n1: `set -e` failed with exit code 2: b | c | d");
    expect(new RemoteCommandError("n1", "x", null, "", { timedOutMs: 2000 }).message).toBe(
      "n1: `x` timed out after 2 s and was killed",
    );
    expect(new RemoteCommandError("n1", "x", null, "", { signal: "SIGKILL" }).message).toBe(
      "n1: `x` was killed by SIGKILL",
    );
    expect(e.stack).toContain("    at "); // a stack with its frames, but never part of the message
    expect(e.message).not.toContain("    at ");
  });
});

describe("LineQueue", () => {
  it("splits across chunk boundaries, multi-byte characters included", async () => {
    const q = new LineQueue();
    const text = "héllo wörld\nsecond ✓ line\n\nlast-without-newline";
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 3) q.push(bytes.subarray(i, i + 3));
    q.end();
    const got: (string | undefined)[] = [];
    for (;;) {
      const l = await q.next();
      got.push(l);
      if (l === undefined) break;
    }
    expect(got).toEqual(["héllo wörld", "second ✓ line", "", "last-without-newline", undefined]);
  });

  it("wakes a waiting reader, and hands back what was not read", async () => {
    const q = new LineQueue();
    const first = q.next();
    q.push(Buffer.from("a\nb\nc"));
    expect(await first).toBe("a");
    expect(q.rest()).toBe("b\nc");
  });

  it("stays linear on a large line in small chunks (facts output)", () => {
    const q = new LineQueue();
    const chunk = Buffer.alloc(256, "x");
    const t0 = performance.now();
    for (let i = 0; i < 4000; i++) q.push(chunk); // 1 MB without a newline
    q.push(Buffer.from("\n"));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(q.rest().length).toBe(1_024_001);
  });
});

/** A channel made of two in-memory streams; `killed` counts kill() calls. */
function fakeChan() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let finish: (e: ChanEnd) => void = () => undefined;
  const chan = {
    stdout,
    stderr,
    killed: 0,
    write: () => undefined,
    end: () => undefined,
    kill() {
      chan.killed++;
      stdout.end();
      stderr.end();
      finish({ code: undefined });
    },
    finished: new Promise<ChanEnd>((r) => {
      finish = r;
    }),
  };
  return chan satisfies Chan;
}
const ctx = { host: "n1", label: "driver", lostError: () => undefined };

describe("runSession's readLine", () => {
  it("hands out lines already received without a timer, and keeps a deadline on a line still to come", async () => {
    const ch = fakeChan();
    const s = runSession(ch, ctx);
    ch.stdout.write("a\nb\n");
    await new Promise((r) => setImmediate(r));
    const spy = vi.spyOn(globalThis, "setTimeout");
    try {
      expect(await s.readLine(1000)).toBe("a");
      expect(await s.readLine(1000)).toBe("b");
      expect(spy).not.toHaveBeenCalled();
      const late = s.readLine(1000);
      expect(spy).toHaveBeenCalledTimes(1);
      ch.stdout.write("c\n");
      expect(await late).toBe("c");
    } finally {
      spy.mockRestore();
    }
    expect(ch.killed).toBe(0);
  });

  it("a line that does not come in time: the channel is killed and the wait fails with its limit", async () => {
    const ch = fakeChan();
    const s = runSession(ch, ctx);
    const err = await s.readLine(20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).how.timedOutMs).toBe(20);
    expect(ch.killed).toBe(1);
  });
});

describe("Slots", () => {
  it("caps concurrency, queues the rest, shrinks, and fails waiters", async () => {
    const s = new Slots(2);
    const r1 = await s.acquire();
    await s.acquire();
    let third = false;
    const p3 = s.acquire().then((r) => {
      third = true;
      return r;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    r1();
    r1(); // idempotent
    await p3;
    expect(s.inUse).toBe(2);
    s.shrink();
    expect(s.capacity).toBe(1);
    const p4 = s.acquire();
    s.fail(new Error("gone"));
    await expect(p4).rejects.toThrow("gone");
    await expect(s.acquire()).rejects.toThrow("gone");
  });
});

describe("hostKeyAlgorithms", () => {
  it("puts the host's known key types first, as ssh(1) does", () => {
    expect(hostKeyAlgorithms([])[0]).toBe("ssh-ed25519");
    expect(hostKeyAlgorithms(["ssh-rsa"]).slice(0, 4)).toEqual([
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      "ssh-ed25519",
    ]);
    expect(hostKeyAlgorithms(["ecdsa-sha2-nistp256"])).toHaveLength(7);
  });
});
