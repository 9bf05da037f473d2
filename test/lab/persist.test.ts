/**
 * Boot persistence end to end on a 2 x 1 lab (#12.1), one node on CentOS 7's iproute2 (4.11), one on
 * Debian 12's: apply installs the unit and the files it replays in each node's private /etc/systemd/system
 * and /var/lib/meshctl; `meshctl lab reboot` drops the node's runtime state and runs the unit as boot
 * would; the files are state like any other (diff shows them, apply repairs them, a failed node rolls them
 * back, teardown removes them); `mesh.persist: false` installs none.
 * Runs the built CLI (dist/); asserts on its JSON and on the nodes as their own processes see them.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { BIN, type CliRun, meshctl, ping, useLab } from "./helpers/cli.js";
import { onNode } from "./helpers/node-mounts.js";

const lab = useLab("persist", {
  clusters: 2,
  nodesPerCluster: 1,
  kubeApi: true,
  os: ["centos7", "debian12"],
});
const UNIT = "/etc/systemd/system/meshctl-mshvx0.service";
const WANTS = "/etc/systemd/system/multi-user.target.wants/meshctl-mshvx0.service";
const FILES: [string, string, string] = [
  "/var/lib/meshctl/mshvx0@1.ip",
  "/var/lib/meshctl/mshvx0@2.bridge",
  "/var/lib/meshctl/mshvx0@3.ip",
];
const NODES = ["c1-node1", "c2-node1"];

const on = (node: string, cmd: string) => onNode(lab.dir, node, cmd);
const host = (run: CliRun, name: string) => run.json.nodes.find((n) => n.name === name);
const keys = (run: CliRun, name: string) =>
  host(run, name)?.changes.map((c) => `${c.action} ${c.resource} ${c.key}`) ?? [];
const persistKeys = (run: CliRun, name: string) => keys(run, name).filter((k) => k.includes(" persist "));

function podsTalk(): boolean {
  const [a, b] = [lab.node("c1-node1"), lab.node("c2-node1")];
  return ping(a.podNamespace, b.podIp) && ping(b.podNamespace, a.podIp);
}

function reboot(node: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [BIN, "lab", "reboot", node, "--dir", lab.dir], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** `path mode owner type` of each path on the node (`-` when absent). */
const stat = (node: string, paths: string[]) =>
  on(node, paths.map((p) => `stat -c '%n %a %U %F' ${p} 2>/dev/null || echo '${p} -'`).join("; "))
    .out.trim()
    .split("\n");

describe("boot persistence", () => {
  it("apply installs the unit (enabled) and its replay files, root-only, on every node", () => {
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code, a.stdout).toBe(0);
    for (const n of NODES) {
      expect(persistKeys(a, n)).toEqual([...FILES, UNIT, WANTS].map((p) => `create persist ${p}`));
      expect(stat(n, ["/var/lib/meshctl", ...FILES, UNIT, WANTS])).toEqual([
        "/var/lib/meshctl 700 root directory",
        ...FILES.map((f) => `${f} 600 root regular file`),
        `${UNIT} 644 root regular file`,
        `${WANTS} 777 root symbolic link`,
      ]);
      expect(on(n, `readlink ${WANTS}`).out.trim()).toBe(UNIT);
      const verify = on(n, `systemd-analyze verify ${UNIT} 2>&1; echo rc=$?`).out.trim();
      expect(verify).toBe("rc=0");
    }
    // The host's own directories got none of it (each node has its private copies).
    expect(spawnSync("sh", ["-c", `ls ${UNIT} ${FILES[0]}`]).status).not.toBe(0);
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
  }, 180_000);

  it("a rebooted node comes back by its unit alone: pods reach it again and diff shows nothing", () => {
    expect(podsTalk()).toBe(true);
    const r = reboot("c1-node1");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(
      /c1-node1: lost device mshvx0, 0 other route\(s\) of meshctl's protocol and \d+ entr(y|ies) of \/run\/meshctl/,
    );
    expect(r.out).toContain("c1-node1: meshctl-mshvx0.service ran");
    expect(r.out).toContain("ok: /sbin/ip -batch /var/lib/meshctl/mshvx0@1.ip");
    expect(on("c1-node1", "ls -A /run/meshctl").out.trim()).toBe("");
    expect(podsTalk()).toBe(true);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code, JSON.stringify(keys(d, "c1-node1"))).toBe(0);
    // On a node whose device is there, the unit's condition skips it: nothing is replayed twice.
    const again = spawnSync(process.execPath, [BIN, "lab", "reboot", "c2-node1", "--dir", lab.dir], {
      encoding: "utf8",
    });
    expect(again.status).toBe(0);
    expect(podsTalk()).toBe(true);
  }, 180_000);

  it("files removed or edited by hand show in diff, and apply repairs them", () => {
    expect(on("c1-node1", `rm ${FILES[2]} && echo '# edited' >> ${UNIT}`).code).toBe(0);
    expect(
      on("c2-node1", `rm ${WANTS} && echo 'route add 198.18.99.0/24 dev mshvx0' >> ${FILES[1]}`).code,
    ).toBe(0);
    const d = meshctl("diff", "-i", lab.info.inventory);
    expect(d.code).toBe(2);
    expect(keys(d, "c1-node1")).toEqual([`create persist ${FILES[2]}`, `update persist ${UNIT}`]);
    expect(keys(d, "c2-node1")).toEqual([`update persist ${FILES[1]}`, `create persist ${WANTS}`]);
    const a = meshctl("apply", "-i", lab.info.inventory);
    expect(a.code).toBe(0);
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
    expect(on("c2-node1", `readlink ${WANTS}`).out.trim()).toBe(UNIT);
  }, 180_000);

  it("a node that fails after its files were written rolls them back with the rest", () => {
    const before = on("c1-node1", `cat ${FILES[2]}`).out;
    expect(on("c1-node1", `rm ${UNIT} ${WANTS} && echo stale > ${FILES[2]}`).code).toBe(0);
    const failing = join(lab.dir, "failing.yaml");
    writeFileSync(
      failing,
      `name: failing
steps:
  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
  - { name: boot persistence, hosts: nodes, builtin: persist }
  - name: fails
    hosts: nodes
    shell: { check: "false", apply: "exit 3", undo: "true" }
`,
    );
    const a = meshctl("apply", "-i", lab.info.inventory, "--playbook", failing, "--limit", "c1-node1");
    expect(a.code).toBe(1);
    const h = host(a, "c1-node1");
    expect(h?.status).toBe("failed");
    expect(h?.rollback?.restored, h?.rollback?.detail).toBe(true);
    // Back as it was before the run: the stale file, no unit, no link.
    expect(on("c1-node1", `cat ${FILES[2]}; ls ${UNIT} ${WANTS} 2>&1 | grep -c 'No such'`).out).toBe(
      "stale\n2\n",
    );
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    expect(on("c1-node1", `cat ${FILES[2]}`).out).toBe(before);
  }, 180_000);

  it("a teardown that fails after removing the files puts back their exact bytes and modes, from copies the node kept", () => {
    const files = [UNIT, ...FILES];
    const sums = () => on("c1-node1", `sha256sum ${files.join(" ")}`).out;
    const before = { sums: sums(), stat: stat("c1-node1", [UNIT, WANTS, ...FILES]) };
    expect(before.stat.every((l) => !l.endsWith(" -"))).toBe(true);
    const failing = join(lab.dir, "failing-teardown.yaml");
    writeFileSync(
      failing,
      `name: failing-teardown
steps:
  - { name: boot persistence, hosts: nodes, builtin: persist, state: absent }
  - name: fails
    hosts: nodes
    shell: { check: "false", apply: "exit 3", undo: "true" }
`,
    );
    const a = meshctl("apply", "-i", lab.info.inventory, "--playbook", failing, "--limit", "c1-node1");
    expect(a.code).toBe(1);
    expect(persistKeys(a, "c1-node1")).toEqual([WANTS, UNIT, ...FILES].map((p) => `delete persist ${p}`));
    expect(host(a, "c1-node1")?.rollback?.restored).toBe(true);
    expect(sums()).toBe(before.sums);
    expect(stat("c1-node1", [UNIT, WANTS, ...FILES])).toEqual(before.stat);
    // The copies are gone once the run is over (the rollback used them; the commit drops the rest).
    expect(on("c1-node1", "ls -A /run/meshctl").out.split("\n")).not.toContain("saved");
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(0);
  }, 180_000);

  it("teardown disables and removes the unit and its files", () => {
    const t = meshctl("teardown", "-i", lab.info.inventory);
    expect(t.code).toBe(0);
    for (const n of NODES) {
      expect(persistKeys(t, n)).toEqual([WANTS, UNIT, ...FILES].map((p) => `delete persist ${p}`));
      expect(stat(n, [UNIT, WANTS, ...FILES])).toEqual([UNIT, WANTS, ...FILES].map((p) => `${p} -`));
    }
    expect(reboot("c1-node1").out).toContain("no meshctl unit enabled");
  }, 180_000);

  it("mesh.persist: false installs none (and removes what an earlier apply installed)", () => {
    const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
    doc.setIn(["mesh", "persist"], false);
    const off = join(lab.dir, "no-persist.yaml");
    writeFileSync(off, doc.toString());
    expect(meshctl("apply", "-i", lab.info.inventory).code).toBe(0);
    const a = meshctl("apply", "-i", off);
    expect(a.code).toBe(0);
    for (const n of NODES) {
      expect(persistKeys(a, n)).toEqual([WANTS, UNIT, ...FILES].map((p) => `delete persist ${p}`));
      expect(stat(n, [UNIT, WANTS, ...FILES])).toEqual([UNIT, WANTS, ...FILES].map((p) => `${p} -`));
    }
    expect(podsTalk()).toBe(true);
    expect(meshctl("diff", "-i", off).code).toBe(0);
    expect(meshctl("teardown", "-i", off).code).toBe(0);
  }, 180_000);

  it("direct paths (mesh.mode: direct): the unit replays the direct routes alone, and a reboot brings them back", () => {
    const doc = parseDocument(readFileSync(lab.info.inventory, "utf8"));
    doc.setIn(["mesh", "mode"], "direct");
    const direct = join(lab.dir, "direct.yaml");
    writeFileSync(direct, doc.toString());
    const a = meshctl("apply", "-i", direct);
    expect(a.code, a.stdout).toBe(0);
    expect(persistKeys(a, "c1-node1")).toEqual([FILES[0], UNIT, WANTS].map((p) => `create persist ${p}`));
    const routes = on("c1-node1", `cat ${FILES[0]}`).out;
    expect(routes).toMatch(/^route add 198\.18\.\d+\.\d+\/\d+ via 198\.18\.0\.\d+ .*proto 77/m);
    expect(routes).not.toContain("link add");
    expect(podsTalk()).toBe(true);
    const r = reboot("c1-node1");
    expect(r.code, r.out).toBe(0);
    // The direct routes (to the other cluster's blocks) were lost, then replayed.
    expect(r.out).toMatch(/lost no meshctl device, [1-9]\d* other route\(s\) of meshctl's protocol/);
    expect(r.out).toContain(`ok: /sbin/ip -batch ${FILES[0]}`);
    expect(podsTalk()).toBe(true);
    expect(meshctl("diff", "-i", direct).code).toBe(0);
    expect(meshctl("teardown", "-i", direct).code).toBe(0);
    expect(stat("c1-node1", [UNIT, FILES[0]])).toEqual([`${UNIT} -`, `${FILES[0]} -`]);
  }, 180_000);
});
