/**
 * meshctl on production-like nodes, end to end on a 2 x 1 lab: what a local user on a node can do to it
 * (world-writable /run/lock), remote steps that never end, signals, nodes cut off by their own change set.
 * Runs the built CLI (dist/) and asserts on its output and on the nodes' state read directly.
 */
import { describe, expect, it } from "vitest";
import { meshctl, useLab } from "./helpers/cli.js";
import { onNode, startOnNode, until } from "./helpers/node-mounts.js";

const lab = useLab("safety", { clusters: 2, nodesPerCluster: 1, kubeApi: true });

describe("node-side files", () => {
  it("a local user can neither make apply write through a link in /run/lock nor block it with the old lock", async () => {
    const node = "c1-node1";
    const on = (cmd: string, user?: string) => onNode(lab.dir, node, cmd, user);
    // /run/lock as real Debian/Ubuntu/CentOS nodes have it; a root-only file for the victim.
    expect(on("chmod 1777 /run/lock").code).toBe(0);
    expect(on("mkdir -p /root/t && echo precious >/root/t/victim && chmod 600 /root/t/victim").code).toBe(0);
    expect(on("ln -s /root/t/victim /run/lock/meshctl.journal.tmp", "nobody").code).toBe(0);
    expect(on("ln -s /root/t/victim /run/lock/meshctl.journal", "nobody").code).toBe(0);
    const squatter = startOnNode(lab.dir, node, "exec flock /run/lock/meshctl.lock sleep 60", "nobody");
    try {
      expect(await until(() => on("flock -n /run/lock/meshctl.lock true").code !== 0, 10_000)).toBe(true);
      const t0 = Date.now();
      const a = meshctl("apply", "-i", lab.info.inventory);
      const took = Date.now() - t0;
      expect(a.code, a.stderr).toBe(0);
      expect(a.json.nodes.find((n) => n.name === node)?.status).toBe("changed");
      expect(took).toBeLessThan(20_000);
      expect(on("cat /root/t/victim").out).toBe("precious\n");
      expect(on("stat -c '%U %a %F' /run/meshctl").out.trim()).toBe("root 700 directory");
      expect(on("ls -A /run/lock").out.split("\n").sort().filter(Boolean)).toEqual([
        "meshctl.journal",
        "meshctl.journal.tmp",
        "meshctl.lock",
      ]);
    } finally {
      squatter.kill();
      on("rm -rf /root/t /run/lock/meshctl.journal /run/lock/meshctl.journal.tmp /run/lock/meshctl.lock");
    }
  }, 60_000);
});
