/**
 * README guarantees about the CLI on nodes, on a 3 x 1 lab (no Kubernetes API; node steps only):
 * - a site step's scripts get the ten MESHCTL_* variables with the node's values (README "Playbooks");
 * - `--forks N` bounds the connections at once: with --forks 1 no two nodes' sessions overlap, with
 *   --forks 3 they do (so the measure can see an overlap).
 * The site check records on a directory every lab node shares with the host (/var/tmp is not among the
 * nodes' private mounts); the check exits 1, so `diff` reports the step as pending (exit 2).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadInventory } from "../../src/inventory/load.js";
import { meshctl, useLab } from "./helpers/cli.js";

const lab = useLab("site-env", { clusters: 3, nodesPerCluster: 1, kubeApi: false });
let shared = "";

beforeAll(() => {
  shared = mkdtempSync("/var/tmp/meshctl-site-env-");
});
afterAll(() => {
  if (shared) rmSync(shared, { recursive: true, force: true });
});

/** A playbook of one site step whose check runs `script` (with $D the shared directory) and exits 1. */
function playbook(name: string, script: string): string {
  const file = join(lab.dir, `${name}.yaml`);
  const check = `D=${shared}/${name}; mkdir -p "$D"; ${script}; exit 1`;
  writeFileSync(
    file,
    `name: ${name}
steps:
  - name: record
    hosts: nodes
    shell: { check: ${JSON.stringify(check)}, apply: "true", undo: "true" }
`,
  );
  return file;
}

describe("site steps on the nodes", () => {
  it("get every MESHCTL_* variable with the node's own values", async () => {
    const pb = playbook("env", `env | grep '^MESHCTL_' | sort > "$D/$MESHCTL_NODE"`);
    expect(meshctl("diff", "-i", lab.info.inventory, "--playbook", pb).code).toBe(2);
    const raw = parse(readFileSync(lab.info.inventory, "utf8")) as {
      mesh: { device: string; vni: number; port: number; overlay: string; route_protocol?: number };
    };
    const inv = await loadInventory(lab.info.inventory);
    const recorded = readdirSync(join(shared, "env")).sort();
    expect(recorded).toEqual(lab.info.nodes.map((n) => n.name).sort());
    for (const n of lab.info.nodes) {
      const node = inv.clusters.flatMap((c) => c.nodes).find((x) => x.name === n.name);
      const env = Object.fromEntries(
        readFileSync(join(shared, "env", n.name), "utf8")
          .trim()
          .split("\n")
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      expect(env, n.name).toEqual({
        MESHCTL_NODE: n.name,
        MESHCTL_CLUSTER: n.cluster,
        MESHCTL_DEVICE: raw.mesh.device,
        MESHCTL_VNI: String(raw.mesh.vni),
        MESHCTL_PORT: String(raw.mesh.port),
        MESHCTL_LOCAL_IP: n.underlayIp,
        MESHCTL_OVERLAY_IP: node?.overlayIp,
        MESHCTL_OVERLAY_PREFIX: raw.mesh.overlay.split("/")[1],
        MESHCTL_MAC: node?.mac,
        MESHCTL_ROUTE_PROTOCOL: String(raw.mesh.route_protocol ?? inv.mesh.routeProtocol),
      });
    }
  });

  it("--forks bounds the sessions open at once", () => {
    // Each node's check marks itself active, counts the active ones, holds 3 s, then leaves.
    const probe = (name: string) =>
      playbook(
        name,
        `touch "$D/active.$MESHCTL_NODE"; ls "$D" | grep -c '^active' >> "$D/seen"; sleep 3; rm "$D/active.$MESHCTL_NODE"`,
      );
    const seen = (name: string) =>
      readFileSync(join(shared, name, "seen"), "utf8")
        .trim()
        .split("\n")
        .map(Number);
    expect(meshctl("diff", "-i", lab.info.inventory, "--playbook", probe("one"), "--forks", "1").code).toBe(
      2,
    );
    expect(seen("one")).toEqual([1, 1, 1]);
    expect(meshctl("diff", "-i", lab.info.inventory, "--playbook", probe("three"), "--forks", "3").code).toBe(
      2,
    );
    expect(seen("three")).toHaveLength(3);
    expect(Math.max(...seen("three"))).toBeGreaterThan(1);
  }, 60_000);
});
