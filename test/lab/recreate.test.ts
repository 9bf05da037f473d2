/**
 * README "Ownership": meshctl's own device is recreated when its VNI, UDP port, local address, underlay
 * device or learning differ from the inventory's — read from the real kernel (`ip -d -j link`), shown by
 * `diff` as one destructive recreate naming the drift, and repaired by `apply`. Each drift is made by hand
 * on a 2 x 1 lab (the device rebuilt with one attribute changed, meshctl's mark kept). The inventory names
 * the underlay interface (eth0), so a device on another one drifts too.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { meshctl, ns, useLab } from "./helpers/cli.js";

const lab = useLab("recreate", { clusters: 2, nodesPerCluster: 1, kubeApi: false });
const NODE = "c1-node1";
let inventory = "";
let playbook = "";

beforeAll(() => {
  const inv = parse(readFileSync(lab.info.inventory, "utf8")) as {
    clusters: { nodes: Record<string, unknown>[] }[];
  };
  for (const c of inv.clusters) for (const n of c.nodes) n.underlay_interface = "eth0";
  inventory = join(lab.dir, "inventory-eth0.yaml");
  writeFileSync(inventory, stringify(inv));
  playbook = join(lab.dir, "nodes.yaml");
  writeFileSync(
    playbook,
    `name: nodes only
steps:
  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
  - { name: fdb, hosts: nodes, builtin: fdb }
  - { name: neighbours and routes, hosts: nodes, builtin: neighbours-routes }
`,
  );
});

const on = (cmd: string) => ns(lab.node(NODE).namespace, cmd);
const run = (verb: string) => meshctl(verb, "-i", inventory, "--playbook", playbook);

describe("device attributes that force a recreate, on a real kernel", () => {
  it("VNI, port, local address, underlay device and learning: diff shows one recreate, apply repairs it", () => {
    expect(run("apply").code).toBe(0);
    const ip = lab.node(NODE).underlayIp;
    const other = on("ip -o link show type veth")
      .out.split("\n")
      .map((l) => l.split(": ")[1]?.split("@")[0])
      .find((n) => n && n !== "eth0");
    expect(typeof other, "a second interface on the node").toBe("string");
    const drifts: [string, string, RegExp][] = [
      ["the VNI", `id 42 dstport 4899 local ${ip} dev eth0 nolearning`, /vni 42 → 10001/],
      ["the port", `id 10001 dstport 4800 local ${ip} dev eth0 nolearning`, /port 4800 → 4899/],
      [
        "the local address",
        `id 10001 dstport 4899 local 198.18.0.200 dev eth0 nolearning`,
        /local 198\.18\.0\.200 → /,
      ],
      [
        "the underlay device",
        `id 10001 dstport 4899 local ${ip} dev ${other} nolearning`,
        new RegExp(`dev ${other} → eth0`),
      ],
      ["learning", `id 10001 dstport 4899 local ${ip} dev eth0 learning`, /learning → nolearning/],
    ];
    for (const [what, params, why] of drifts) {
      const made = on(
        `ip link del mshvx0 && ip link add mshvx0 type vxlan ${params} && ip link set mshvx0 alias meshctl up`,
      );
      expect(made.code, `${what}: ${made.out}`).toBe(0);
      const diff = run("diff");
      expect(diff.code, what).toBe(2);
      const changes = (diff.json.nodes.find((n) => n.name === NODE)?.changes ?? []) as unknown as {
        action: string;
        destructive: boolean;
        after?: string;
      }[];
      const recreates = changes.filter((c) => c.action === "recreate");
      expect(recreates, what).toHaveLength(1);
      expect(recreates[0]?.destructive, what).toBe(true);
      expect(recreates[0]?.after, what).toMatch(why);
      expect(diff.json.nodes.find((n) => n.name !== NODE)?.changes, `${what}: the other node`).toEqual([]);
      expect(run("apply").code, what).toBe(0);
      expect(run("diff").code, `${what}: in sync after apply`).toBe(0);
    }
  }, 240_000);
});
