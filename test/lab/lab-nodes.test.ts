/**
 * What a lab node looks like from inside (over real SSH): `--os` gives each cluster's nodes the `ip` and
 * `bridge` of that release, and every node has its own /run/lock and /tmp (mode 1777, as real nodes), its own
 * /etc/systemd/system and meshctl directories, none of them the host's.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LabInfo, labDown, labUp } from "../../src/lab/index.js";
import { leftovers, requireRootOrFail, type Snapshot, sh, snapshot, sshArgs } from "./helpers/host.js";

let dir = "";
let info: LabInfo;
let before: Snapshot;
const hostDirsBefore = ["/run/meshctl", "/var/lib/meshctl"].filter((d) => existsSync(d));

const node = (name: string) => {
  const n = info.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};
/** A command on a node over real SSH, as root; stdout, stderr and the exit code. */
const onNode = (name: string, command: string) =>
  sh("ssh", sshArgs(dir, "root", node(name).underlayIp, command));

beforeAll(async () => {
  requireRootOrFail();
  dir = mkdtempSync(join(tmpdir(), "meshctl-lab-nodes-"));
  before = await snapshot();
  info = await labUp({
    dir,
    clusters: 4,
    nodesPerCluster: 1,
    kubeApi: false,
    os: ["centos7", "ubuntu1804", "debian12"],
    log: () => {},
  });
}, 300_000);

afterAll(async () => {
  if (dir) {
    await labDown({ dir }).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("--os centos7,ubuntu1804,debian12", () => {
  it("records which node runs which, cycling over the clusters", () => {
    expect(info.nodes.map((n) => [n.name, n.os, n.iproute2])).toEqual([
      ["c1-node1", "centos7", "4.11"],
      ["c2-node1", "ubuntu1804", "4.15"],
      ["c3-node1", "debian12", "6.1"],
      ["c4-node1", "centos7", "4.11"],
    ]);
    expect(info.clusters.map((c) => c.os)).toEqual(["centos7", "ubuntu1804", "debian12", "centos7"]);
    expect(readFileSync(info.inventory, "utf8")).toMatch(/name: c2-node1\n.*\n.*os ubuntu1804\n/);
  });

  it("centos7: ip -j is refused as 4.11 refuses it; bridge -json fdb works; versions of 4.11", async () => {
    const j = await onNode("c1-node1", "ip -j link show dev eth0");
    expect(j.code).toBe(255);
    expect(j.stderr).toBe('Option "-j" is unknown, try "ip -help".\n');
    const json = await onNode("c1-node1", "/sbin/ip -json addr");
    expect(json.stderr).toBe('Option "-json" is unknown, try "ip -help".\n');
    const v = await onNode("c1-node1", "ip -V; bridge -V; /usr/sbin/ip -V");
    expect(v.stdout).toBe(
      "ip utility, iproute2-ss170501\nbridge utility, 0.0\nip utility, iproute2-ss170501\n",
    );
    const fdb = await onNode("c1-node1", "bridge -json fdb show; bridge -j fdb show dev eth0");
    expect(fdb.code).toBe(0);
    expect(fdb.stdout.trim()).not.toBe("");
    for (const doc of fdb.stdout.trim().split(/\n(?=\[)/)) expect(Array.isArray(JSON.parse(doc))).toBe(true);
    // Everything else is the real ip: same output, same exit codes.
    const text = await onNode("c1-node1", "ip -o -4 addr show dev eth0; ip link show nosuchdev");
    expect(text.stdout).toContain(`inet ${node("c1-node1").underlayIp}/24`);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('Device "nosuchdev" does not exist.');
  });

  it("ubuntu1804: ip -j link/addr is JSON, ip -j route and neigh silently print text", async () => {
    const link = await onNode("c2-node1", "ip -j -d link show dev eth0");
    expect(JSON.parse(link.stdout)[0].ifname).toBe("eth0");
    const addr = await onNode("c2-node1", "ip -j addr show dev eth0");
    expect(JSON.parse(addr.stdout)[0].addr_info[0].local).toBe(node("c2-node1").underlayIp);
    const route = await onNode("c2-node1", "ip -j route show");
    expect(route.code).toBe(0);
    expect(route.stdout).toContain("198.18.0.0/24 dev eth0 proto kernel scope link");
    expect(() => JSON.parse(route.stdout)).toThrow();
    const neigh = await onNode("c2-node1", "ping -c1 -W1 198.18.0.1 >/dev/null; ip -j neigh show dev eth0");
    expect(neigh.stdout).toMatch(/^198\.18\.0\.1 lladdr /);
    const batch = await onNode(
      "c2-node1",
      "printf 'link show dev lo\\nroute show dev eth0\\n' | ip -j -batch -",
    );
    expect(batch.stdout).toMatch(/"ifname": "lo"[\s\S]*\] *\n198\.18\.0\.0\/24 proto kernel/);
    expect((await onNode("c2-node1", "ip -V")).stdout).toBe("ip utility, iproute2-ss180129\n");
  });

  it("debian12: the real ip and bridge (JSON everywhere)", async () => {
    const r = await onNode("c3-node1", "ip -j route show; ip -V");
    expect(JSON.parse(r.stdout.split("\n")[0] ?? "")).toBeInstanceOf(Array);
    const real = await sh("ip", ["-V"]);
    expect(r.stdout.split("\n")[1]).toBe(real.stdout.trim());
  });

  it("the host's ip is untouched", async () => {
    const r = await sh("ip", ["-j", "link", "show", "lo"]);
    expect(JSON.parse(r.stdout)[0].ifname).toBe("lo");
  });
});

describe("node-private directories", () => {
  it("/run/lock and /tmp are 1777 and private to each node", async () => {
    const a = await onNode("c1-node1", "stat -c '%a' /run/lock /tmp; touch /run/lock/mark-a /tmp/mark-a");
    expect(a.stdout).toBe("1777\n1777\n");
    const b = await onNode("c2-node1", "ls /run/lock /tmp");
    expect(b.stdout).not.toContain("mark-a");
    expect(existsSync("/run/lock/mark-a")).toBe(false);
    expect(existsSync("/tmp/mark-a")).toBe(false);
  });

  it("a nobody user can plant a link in /run/lock, as on real nodes (issue #17's condition)", async () => {
    const r = await onNode(
      "c1-node1",
      "setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s /tmp/victim /run/lock/planted && stat -c %U /run/lock/planted",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("nobody");
  });

  it("a unit written on one node is not on the host nor on another node", async () => {
    const unit = "/etc/systemd/system/meshctl-labtest.service";
    const w = await onNode("c1-node1", `printf '[Unit]\\n' > ${unit} && ls ${unit}`);
    expect(w.code, w.stderr).toBe(0);
    expect(existsSync(unit)).toBe(false);
    expect((await onNode("c2-node1", `ls ${unit}`)).code).not.toBe(0);
    // The host's own units are there (a copy), so a node looks like a node.
    const host = await sh("ls", ["/etc/systemd/system"]);
    const mine = await onNode("c2-node1", "ls /etc/systemd/system");
    expect(mine.stdout).toBe(host.stdout);
  });

  it("/run/meshctl and /var/lib/meshctl are the node's own, root-only", async () => {
    const r = await onNode(
      "c1-node1",
      "stat -c '%a %U' /run/meshctl /var/lib/meshctl && touch /run/meshctl/x /var/lib/meshctl/x",
    );
    expect(r.stdout).toBe("700 root\n700 root\n");
    expect((await onNode("c2-node1", "ls -A /run/meshctl /var/lib/meshctl")).stdout).not.toContain("x");
    for (const d of ["/run/meshctl", "/var/lib/meshctl"]) {
      if (existsSync(d)) expect(existsSync(join(d, "x"))).toBe(false);
    }
  });

  it("each node has its own /run/systemd with system/ (a systemd host for meshctl's boot unit); the host's is untouched", async () => {
    const hostHad = existsSync("/run/systemd/system");
    const r = await onNode(
      "c1-node1",
      "test -d /run/systemd/system && touch /run/systemd/system/x && echo ok",
    );
    expect(r.stdout).toBe("ok\n");
    expect((await onNode("c2-node1", "ls -A /run/systemd/system")).stdout).not.toContain("x");
    expect(existsSync("/run/systemd/system")).toBe(hostHad);
    if (hostHad) expect(existsSync("/run/systemd/system/x")).toBe(false);
  });
});

describe("lab down", () => {
  it("removes what up made, the host directories it created included, and nothing else", async () => {
    await labDown({ dir });
    const after = await snapshot();
    expect(leftovers(before, after, dir)).toEqual([]);
    expect(["/run/meshctl", "/var/lib/meshctl"].filter((d) => existsSync(d))).toEqual(hostDirsBefore);
    expect(statSync("/run/lock").mode & 0o7777).toBe(0o1777);
    expect(existsSync(join(dir, "os"))).toBe(false);
  });
});
