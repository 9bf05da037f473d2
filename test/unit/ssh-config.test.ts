import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jumpOfProxyCommand, loadSshConfig, parseSshConfig } from "../../src/exec/ssh/config.js";
import { AuthError, isTransient, JumpError, UnreachableError } from "../../src/exec/ssh/errors.js";
import { connectionKey, DEFAULT_IDENTITIES, parseJump, resolveTarget } from "../../src/exec/ssh/resolve.js";
import type { SshTarget } from "../../src/inventory/types.js";

/** A target as the inventory loader makes it when the inventory sets nothing about SSH. */
const bare = (host: string, explicit: SshTarget["explicit"] = []): SshTarget => ({
  host,
  port: 22,
  user: "root",
  knownHosts: join(homedir(), ".ssh/known_hosts"),
  become: false,
  connectTimeoutMs: 10_000,
  explicit,
});

const CONFIG = `
# comments and blank lines are fine

Host bastion
  HostName 198.18.0.11
  User jump
  Port 2022

Host web-* !web-bastion
  User deploy
  Port 2222
  IdentityFile ~/.ssh/%r_%h
  IdentityFile /etc/keys/shared
  IdentitiesOnly yes
  ProxyJump bastion

Host db-*
  HostName %h.db.example
  ProxyJump ops@hop1:2200,hop2
  UserKnownHostsFile ~/.ssh/kh_a /etc/ssh/kh_b
  StrictHostKeyChecking accept-new
  ConnectTimeout 4
  ServerAliveInterval 7
  ServerAliveCountMax 2
  HostKeyAlias dbkey

Host hop1
  ProxyJump outer

Host hop2
  ProxyJump ignored-for-the-last-of-a-chain

Host direct-*
  ProxyJump none

Host *
  User fallback
  ProxyJump bastion
`;
const cfg = parseSshConfig(CONFIG);
const ctx = { config: cfg, localUser: "alice" };

describe("ssh config lookup (the ssh-config package, OpenSSH's first-value-wins)", () => {
  it("Host patterns with ! negation: a negated match skips the whole block", () => {
    expect(cfg.lookup("web-1")).toMatchObject({ user: "deploy", port: 2222, proxyJump: "bastion" });
    expect(cfg.lookup("web-bastion")).toMatchObject({ user: "fallback", proxyJump: "bastion" });
    expect(cfg.lookup("web-bastion").port).toBeUndefined();
  });

  it("several IdentityFile lines are all kept, in order", () => {
    expect(cfg.lookup("web-1").identityFiles).toEqual(["~/.ssh/%r_%h", "/etc/keys/shared"]);
  });

  it("reads the keys meshctl uses, with their types", () => {
    expect(cfg.lookup("db-1")).toEqual({
      hostName: "%h.db.example",
      user: "fallback",
      proxyJump: "ops@hop1:2200,hop2",
      userKnownHostsFiles: ["~/.ssh/kh_a", "/etc/ssh/kh_b"],
      strictHostKeyChecking: "accept-new",
      connectTimeoutS: 4,
      serverAliveIntervalS: 7,
      serverAliveCountMax: 2,
      hostKeyAlias: "dbkey",
    });
  });

  it("a bad number is an error that names the key", () => {
    expect(() => parseSshConfig("Host x\n  Port twenty\n").lookup("x")).toThrow(/port must be a number/);
  });
});

describe("resolveTarget: inventory (explicit) > ssh config > OpenSSH defaults", () => {
  it("with nothing in the inventory, the config's user, port, HostName, keys and jump apply", () => {
    const r = resolveTarget("n1", bare("web-1"), ctx);
    expect(r).toMatchObject({
      host: "web-1",
      port: 2222,
      user: "deploy",
      become: true, // not root, and become not set: sudo -n as OpenSSH users would expect of meshctl
      identityFiles: [join(homedir(), ".ssh/deploy_web-1"), "/etc/keys/shared"],
      defaultIdentities: false,
      useAgent: false, // IdentitiesOnly
      hostKeyName: "[web-1]:2222",
    });
    expect(r.jumps.map((j) => `${j.user}@${j.host}:${j.port}`)).toEqual(["jump@198.18.0.11:2022"]);
  });

  it("what the inventory sets wins over the config, setting by setting", () => {
    const t = {
      ...bare("web-1", ["user", "port", "identityFile"]),
      user: "ops",
      port: 22,
      identityFile: "/k",
    };
    const r = resolveTarget("n1", t, ctx);
    expect(r).toMatchObject({
      user: "ops",
      port: 22,
      identityFiles: ["/k"],
      useAgent: true,
      hostKeyName: "web-1",
    });
  });

  it("a target without `explicit` (built by code, not the inventory) is taken as all explicit", () => {
    const { explicit: _, ...t } = bare("web-1");
    expect(resolveTarget("n1", t, ctx)).toMatchObject({ user: "root", port: 22 });
  });

  it("no config at all: the local user, port 22 and OpenSSH's default identities", () => {
    const r = resolveTarget("n1", bare("10.1.1.1"), { config: parseSshConfig(""), localUser: "alice" });
    expect(r).toMatchObject({ user: "alice", port: 22, become: true, defaultIdentities: true, jumps: [] });
    expect(r.identityFiles).toEqual(DEFAULT_IDENTITIES.map((f) => join(homedir(), f.slice(2))));
    expect(r.identityFiles.map((f) => f.split("/").pop())).toContain("id_ed25519");
    expect(r.knownHosts).toEqual([join(homedir(), ".ssh/known_hosts")]);
  });

  it("HostName with %h, several known_hosts files, accept-new, timeouts and HostKeyAlias", () => {
    const r = resolveTarget("n1", bare("db-1"), ctx);
    expect(r).toMatchObject({
      host: "db-1.db.example",
      knownHosts: [join(homedir(), ".ssh/kh_a"), "/etc/ssh/kh_b"],
      acceptNewHostKeys: true,
      connectTimeoutMs: 4000,
      keepaliveIntervalMs: 7000,
      keepaliveCountMax: 2,
      hostKeyName: "dbkey",
    });
  });

  it("ProxyJump chains: A,B reaches the host through B, B through A; A follows its own ProxyJump", () => {
    const r = resolveTarget("n1", bare("db-1"), ctx);
    const hops = r.jumps.map((j) => `${j.user}@${j.host}:${j.port}`);
    // outer (hop1's own ProxyJump, which has Host * → bastion itself), hop1, hop2
    expect(hops.slice(-2)).toEqual(["ops@hop1:2200", "fallback@hop2:22"]);
    expect(hops).toContain("fallback@outer:22");
    const hop2 = r.jumps[r.jumps.length - 1];
    expect(hop2?.jumps.map((j) => j.alias)).toEqual(r.jumps.slice(0, -1).map((j) => j.alias));
    expect(connectionKey(r)).toBe(`fallback@db-1.db.example:22 via ${connectionKey(hop2 as never)}`);
  });

  it("ProxyJump none stops the jump a later Host * would give", () => {
    expect(resolveTarget("n1", bare("direct-1"), ctx).jumps).toEqual([]);
  });

  it("a jump host's own config applies (its HostName, User, Port)", () => {
    const [b] = resolveTarget("n1", bare("web-1"), ctx).jumps;
    expect(b).toMatchObject({
      alias: "bastion",
      host: "198.18.0.11",
      user: "jump",
      port: 2022,
      hostKeyName: "[198.18.0.11]:2022",
    });
  });

  it("a ProxyJump loop is an error, not a hang", () => {
    const loop = parseSshConfig("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n");
    expect(() => resolveTarget("n1", bare("a"), { config: loop, localUser: "u" })).toThrow(/deeper than/);
  });
});

describe("ProxyJump and ProxyCommand syntax", () => {
  it("parses user@host:port, ssh:// URLs and bracketed IPv6", () => {
    expect(parseJump("ops@hop:2200")).toEqual({ user: "ops", host: "hop", port: 2200 });
    expect(parseJump("ssh://hop")).toEqual({ host: "hop" });
    expect(parseJump("[fd00::1]:22")).toEqual({ host: "fd00::1", port: 22 });
    expect(() => parseJump("a@b:99999")).toThrow(/bad port/);
  });

  it("`ssh -W %h:%p JUMP` is taken as ProxyJump JUMP; any other ProxyCommand is refused", () => {
    expect(jumpOfProxyCommand("ssh -W %h:%p bastion")).toBe("bastion");
    expect(jumpOfProxyCommand("ssh -q -W %h:%p ops@bastion")).toBe("ops@bastion");
    expect(() => jumpOfProxyCommand("nc -X 5 -x proxy:1080 %h %p")).toThrow(/use ProxyJump/);
  });
});

describe("loadSshConfig: files", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshctl-sshcfg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("Include with a glob, relative to the including file's directory, sorted", () => {
    mkdirSync(join(dir, "conf.d"));
    writeFileSync(join(dir, "conf.d", "20-b.conf"), "Host n1\n  Port 2020\n");
    writeFileSync(join(dir, "conf.d", "10-a.conf"), "Host n1\n  User from-a\n  Port 1010\n");
    writeFileSync(join(dir, "config"), "Include conf.d/*.conf\nHost *\n  User last\n");
    const c = loadSshConfig(join(dir, "config"));
    expect(c.lookup("n1")).toMatchObject({ user: "from-a", port: 1010 });
    expect(c.files).toEqual([
      join(dir, "config"),
      join(dir, "conf.d", "10-a.conf"),
      join(dir, "conf.d", "20-b.conf"),
    ]);
  });

  it("-F FILE that does not exist is an error; -F none reads nothing", () => {
    expect(() => loadSshConfig(join(dir, "nope"))).toThrow(/cannot read the SSH client config/);
    expect(loadSshConfig("none").files).toEqual([]);
  });

  it("without -F, a missing ~/.ssh/config and system file are simply absent", () => {
    const home = process.env.HOME;
    process.env.HOME = dir;
    try {
      expect(loadSshConfig(undefined, join(dir, "no-system-file")).files).toEqual([]);
    } finally {
      process.env.HOME = home;
    }
  });
});

describe("isTransient: what a retry may fix", () => {
  it("refused, reset/closed, timeouts and a slow login are retried", () => {
    for (const kind of ["refused", "closed", "timeout", "handshake-timeout"] as const) {
      expect(isTransient(new UnreachableError("n", "a:22", kind, "x"))).toBe(true);
    }
  });

  it("no route, a name that does not resolve, auth and host keys are not", () => {
    expect(isTransient(new UnreachableError("n", "a:22", "no-route", "EHOSTUNREACH"))).toBe(false);
    expect(isTransient(new UnreachableError("n", "a:22", "dns", "ENOTFOUND"))).toBe(false);
    expect(isTransient(new UnreachableError("n", "a:22", "dns", "EAI_AGAIN"))).toBe(true);
    expect(isTransient(new AuthError("n", "u@a:22", ["key"]))).toBe(false);
  });

  it("a jump host's failure is transient when its cause is", () => {
    const down = new UnreachableError("jump b", "b:22", "refused", "ECONNREFUSED");
    expect(isTransient(new JumpError("n", "b", down))).toBe(true);
    expect(isTransient(new JumpError("n", "b", new AuthError("jump b", "u@b:22", [])))).toBe(false);
    expect(new JumpError("n", "b", down).message).toMatch(
      /^n: cannot reach it through jump host b: cannot connect to b:22/,
    );
  });
});
