/**
 * Which device attributes force a destructive recreate (README "Output": `!`), which are fixed in place, and
 * the ownership rule of teardown: a foreign device with meshctl's name is refused, never deleted.
 * Expected commands are written out by hand from the builders' inventory (a1: underlay 198.18.0.11 on eth0,
 * MTU 1500; overlay 198.18.1.11/24; MAC 02:6d + c6:12:01:0b; VNI 10001; port 4899).
 */
import { describe, expect, it } from "vitest";
import type { NodeFacts } from "../../src/facts/types.js";
import type { Ipv4 } from "../../src/net/addr.js";
import { renderCmd } from "../../src/plan/commands.js";
import { diffNode, diffTeardown, PlanConflict } from "../../src/plan/node-diff.js";
import { convergedFacts, model, nodeOf } from "../support/builders.js";

const a1 = nodeOf(model(), "a1");
type Dev = NonNullable<NodeFacts["device"]>;

function withDevice(patch: Partial<Dev>): NodeFacts {
  const f = convergedFacts(a1);
  if (!f.device) throw new Error("converged facts without a device");
  return { ...f, device: { ...f.device, ...patch } };
}

const RECREATE = [
  "ip link del mshvx0",
  "ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning",
  "ip link set dev mshvx0 alias meshctl",
  "ip addr add 198.18.1.11/24 dev mshvx0",
  "ip link set dev mshvx0 up",
];

describe("device attributes that force a recreate", () => {
  it.each<[string, Partial<Dev>, string]>([
    ["the VNI", { vni: 42 }, "vni 42 → 10001"],
    ["the UDP port", { port: 8472 }, "port 8472 → 4899"],
    ["the local (underlay) IP", { localIp: "198.18.0.99" as Ipv4 }, "local 198.18.0.99 → 198.18.0.11"],
    ["the underlay device", { underlayDev: "eth1" }, "dev eth1 → eth0"],
    ["learning", { learning: true }, "learning → nolearning"],
  ])("%s: the device is deleted and rebuilt as wanted, marked destructive", (_what, patch, why) => {
    const changes = diffNode(a1, withDevice(patch)).changes;
    const first = changes[0];
    expect(first).toMatchObject({
      resource: "device",
      key: "mshvx0",
      action: "recreate",
      destructive: true,
      after: why,
    });
    expect(first?.forward.map(renderCmd)).toEqual(RECREATE);
    // Everything on the old device went with it, so every entry and route is created again.
    const rest = changes.slice(1).map((c) => `${c.action} ${c.resource}`);
    expect(rest).toEqual([
      "create fdb",
      "create fdb",
      "create fdb",
      "create neighbour",
      "create neighbour",
      "create neighbour",
      "create route",
      "create route",
      "create route",
    ]);
  });

  it("several drifts at once are one recreate that names each", () => {
    const changes = diffNode(a1, withDevice({ vni: 7, learning: true })).changes;
    expect(changes.filter((c) => c.action === "recreate")).toHaveLength(1);
    expect(changes[0]?.after).toBe("vni 7 → 10001, learning → nolearning");
  });

  it.each<[string, Partial<Dev>, string[]]>([
    ["the MAC", { mac: "02:00:00:00:00:01" }, ["ip link set dev mshvx0 address 02:6d:c6:12:01:0b"]],
    ["the MTU", { mtu: 1400 }, ["ip link set dev mshvx0 mtu 1450"]],
    ["the link state", { up: false }, ["ip link set dev mshvx0 up"]],
    ["learning off (as wanted)", { learning: false }, []],
  ])("%s is fixed in place, never by a recreate", (_what, patch, fix) => {
    const changes = diffNode(a1, withDevice(patch)).changes;
    expect(changes.some((c) => c.action === "recreate" || c.destructive === true)).toBe(false);
    expect(changes.flatMap((c) => c.forward.map(renderCmd))).toEqual(fix);
  });

  it("the recreate's inverse rebuilds the device as it was (with its drift)", () => {
    const inverse = diffNode(a1, withDevice({ port: 8472, learning: true })).changes[0]?.inverse.map(
      renderCmd,
    );
    expect(inverse?.slice(0, 5)).toEqual([
      "ip link del mshvx0",
      "ip link add mshvx0 address 02:6d:c6:12:01:0b mtu 1450 type vxlan id 10001 dstport 8472 local 198.18.0.11 dev eth0 learning",
      "ip link set dev mshvx0 alias meshctl",
      "ip addr add 198.18.1.11/24 dev mshvx0",
      "ip link set dev mshvx0 up",
    ]);
  });
});

describe("ownership: a foreign device with meshctl's name", () => {
  it.each(["bridge", "dummy", "veth", ""])(
    "of kind %j is refused by diff and by teardown, never deleted",
    (kind) => {
      const f = withDevice({ kind });
      expect(() => diffNode(a1, f)).toThrow(PlanConflict);
      expect(() => diffTeardown(a1, f)).toThrow(PlanConflict);
      expect(() => diffTeardown(a1, f)).toThrow(
        /^a1: mshvx0 is a [A-Za-z-]+ device, not meshctl's: remove it if it is stale/,
      );
    },
  );

  it("teardown of meshctl's own VXLAN device deletes it", () => {
    const forward = diffTeardown(a1, convergedFacts(a1)).flatMap((c) => c.forward.map(renderCmd));
    expect(forward).toEqual(["ip link del mshvx0"]);
  });
});
