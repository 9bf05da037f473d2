/**
 * The driver's `ip -V` cache (src/exec/caps-cache.ts, #15) over real SSH: a run keeps the answer in the
 * node's /run/meshctl/caps keyed by the identity of the node's `ip`; another binary in its place (an
 * "upgrade", here a bind mount of a wrapper answering as an iproute2 older than meshctl supports) is probed
 * again and refused as such, and taking it away brings the real answer back. Addresses: the lab's only.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IP_CANDIDATES } from "../../src/exec/caps-cache.js";
import { meshctl, useLab } from "./helpers/cli.js";
import { onNode } from "./helpers/node-mounts.js";

const lab = useLab("caps-cache", { clusters: 1, nodesPerCluster: 2 });
// Outside /tmp: every lab node has a private /tmp.
const tools = mkdtempSync("/var/tmp/meshctl-caps-cache-");
afterAll(() => rmSync(tools, { recursive: true, force: true }));

const NODE = "c1-node2";
const caps = () => onNode(lab.dir, NODE, "cat /run/meshctl/caps").out.split("\n");
/** The first ip on the facts' PATH (the list is pinned by test/unit/caps-cache.test.ts), as the driver keys it. */
const ipKey = () =>
  onNode(
    lab.dir,
    NODE,
    `for p in ${IP_CANDIDATES.join(" ")}; do [ -e $p ] && exec stat -L -c '%n %d:%i:%s:%Z' $p; done`,
  ).out.trim();

describe("ip -V is probed once per ip binary", () => {
  it("kept after a run, probed again when another binary takes the place of ip, and refused if too old", () => {
    const first = meshctl("diff", "-i", lab.info.inventory);
    expect(first.code).toBe(2); // a fresh lab: everything to create
    const real = onNode(lab.dir, NODE, "ip -V").out.trim();
    const key = ipKey();
    expect(caps()).toEqual([key, real, "end", ""]);

    // Another binary at the same path: a wrapper that answers as iproute2 4.9 (too old) and runs the real ip
    const path = key.split(" ")[0] as string;
    copyFileSync(path, join(tools, "ip.real"));
    writeFileSync(
      join(tools, "ip"),
      `#!/bin/sh\ncase "$1" in -V) echo "ip utility, iproute2-ss161212" ;; *) exec ${tools}/ip.real "$@" ;; esac\n`,
    );
    chmodSync(join(tools, "ip"), 0o755);
    expect(onNode(lab.dir, NODE, `mount --bind ${tools}/ip ${path}`).code).toBe(0);
    try {
      const old = meshctl("diff", "-i", lab.info.inventory);
      expect(old.code).not.toBe(0);
      expect(old.code).not.toBe(2);
      expect(`${old.stdout}${old.stderr}`).toContain(`${NODE}`);
      expect(`${old.stdout}${old.stderr}`).toContain("iproute2 is too old");
      expect(caps()).toEqual([ipKey(), "ip utility, iproute2-ss161212", "end", ""]);
      expect(ipKey()).not.toBe(key);
    } finally {
      onNode(lab.dir, NODE, `umount ${path}`);
    }
    // the real binary back: probed again, and the mesh is planned as before
    expect(meshctl("diff", "-i", lab.info.inventory).code).toBe(2);
    expect(caps()).toEqual([key, real, "end", ""]);
  });
});
