/**
 * The device part of a node's diff, record by record: each drifted attribute's whole change (resource,
 * key, action, before/after, destructive, commands both ways), the connected route put back, the device
 * rebuilt on rollback exactly as it was, and what deleting it takes with it.
 */
import { describe, expect, it } from "vitest";
import type { NodeFacts, RouteFact } from "../../src/facts/types.js";
import type { Cmd } from "../../src/plan/commands.js";
import {
  adoptChange,
  diffConnected,
  diffDeviceAttributes,
  type FactsDevice,
  overlayNet,
  resolveDeviceParams,
  restoreDeviceCommands,
  routeOf,
  takenWithDevice,
} from "../../src/plan/device-diff.js";
import { bareFacts, convergedFacts, ip, model, nodeOf } from "../support/builders.js";

const A1 = nodeOf(model(), "a1"); // mshvx0, 198.18.1.11/24, MAC 02:6d:c6:12:01:0b, local 198.18.0.11
const MAC = "02:6d:c6:12:01:0b";
const IP = (...args: string[]) => ({ tool: "ip", args });
/** Made in each test, not at collection (a mutant that breaks it must fail a test, not the file). */
const want = () => resolveDeviceParams(A1, bareFacts(A1)); // MTU 1450 (eth0 1500 - 50)
const device = (over: Partial<FactsDevice> = {}): FactsDevice => ({
  ...(convergedFacts(A1).device as FactsDevice),
  ...over,
});
const argsOf = (c: Cmd): string => ("args" in c ? c.args.join(" ") : c.tool);
const route = (over: Partial<RouteFact>): RouteFact => ({
  dst: "198.18.32.0/26" as RouteFact["dst"],
  type: "unicast",
  protocol: 77,
  table: "main",
  flags: [],
  ...over,
});

describe("device attributes", () => {
  it("a converged device: no change", () => {
    expect(diffDeviceAttributes(A1, want(), device())).toEqual([]);
  });

  it("every attribute drifted: the whole change of each, foreign addresses removed as destructive", () => {
    const drifted = device({
      mac: "02:00:00:00:00:99",
      mtu: 1400,
      up: false,
      addresses: [
        { ip: ip("198.18.9.9"), prefixLen: 24 },
        { ip: ip("198.18.1.11"), prefixLen: 16 }, // its own address with another prefix is not it
      ],
    });
    const base = { phase: "device", key: "mshvx0" };
    expect(diffDeviceAttributes(A1, want(), drifted)).toEqual([
      {
        ...base,
        resource: "mac",
        action: "update",
        before: "02:00:00:00:00:99",
        after: MAC,
        forward: [IP("link", "set", "dev", "mshvx0", "address", MAC)],
        inverse: [IP("link", "set", "dev", "mshvx0", "address", "02:00:00:00:00:99")],
      },
      {
        ...base,
        resource: "mtu",
        action: "update",
        before: "1400",
        after: "1450",
        forward: [IP("link", "set", "dev", "mshvx0", "mtu", "1450")],
        inverse: [IP("link", "set", "dev", "mshvx0", "mtu", "1400")],
      },
      {
        ...base,
        resource: "address",
        key: "198.18.9.9/24",
        action: "delete",
        before: "198.18.9.9/24",
        destructive: true,
        forward: [IP("addr", "del", "198.18.9.9/24", "dev", "mshvx0")],
        inverse: [IP("addr", "add", "198.18.9.9/24", "dev", "mshvx0")],
      },
      {
        ...base,
        resource: "address",
        key: "198.18.1.11/16",
        action: "delete",
        before: "198.18.1.11/16",
        destructive: true,
        forward: [IP("addr", "del", "198.18.1.11/16", "dev", "mshvx0")],
        inverse: [IP("addr", "add", "198.18.1.11/16", "dev", "mshvx0")],
      },
      {
        ...base,
        resource: "address",
        key: "198.18.1.11/24",
        action: "create",
        after: "198.18.1.11/24",
        forward: [IP("addr", "add", "198.18.1.11/24", "dev", "mshvx0")],
        inverse: [IP("addr", "del", "198.18.1.11/24", "dev", "mshvx0")],
      },
      {
        ...base,
        resource: "link-state",
        action: "update",
        before: "down",
        after: "up",
        forward: [IP("link", "set", "dev", "mshvx0", "up")],
        inverse: [IP("link", "set", "dev", "mshvx0", "down")],
      },
    ]);
  });

  it("its own address beside a foreign one: only the foreign one goes, nothing is added", () => {
    const two = device({
      addresses: [
        { ip: ip("198.18.1.11"), prefixLen: 24 },
        { ip: ip("198.18.9.9"), prefixLen: 24 },
      ],
    });
    expect(diffDeviceAttributes(A1, want(), two).map((c) => `${c.resource} ${c.action} ${c.key}`)).toEqual([
      "address delete 198.18.9.9/24",
    ]);
  });

  it("no MTU to want (mtu auto, no underlay known): the device's MTU is left alone", () => {
    const noUnderlay = { ...bareFacts(A1), underlay: undefined };
    const want = resolveDeviceParams(A1, noUnderlay);
    expect(want).not.toHaveProperty("mtu");
    expect(want).not.toHaveProperty("underlayDev");
    expect(diffDeviceAttributes(A1, want, device({ mtu: 9000 }))).toEqual([]);
  });
});

describe("the connected route", () => {
  const facts = (connected: RouteFact[] | undefined): NodeFacts => ({ ...convergedFacts(A1), connected });

  it("flushed by hand: put back, as the kernel makes it", () => {
    expect(diffConnected(A1, facts([]), device())).toEqual([
      {
        resource: "route",
        key: "198.18.1.0/24 (connected)",
        action: "create",
        after: "dev mshvx0 proto kernel scope link src 198.18.1.11",
        phase: "device",
        forward: [
          IP(
            "route",
            "add",
            "198.18.1.0/24",
            "dev",
            "mshvx0",
            "proto",
            "kernel",
            "scope",
            "link",
            "src",
            "198.18.1.11",
          ),
        ],
        inverse: [IP("route", "del", "198.18.1.0/24", "dev", "mshvx0", "proto", "kernel", "scope", "link")],
      },
    ]);
  });

  it("not when present, when the device is down, or when it lacks the exact address", () => {
    expect(diffConnected(A1, facts([route({ dst: "198.18.1.0/24" as RouteFact["dst"] })]), device())).toEqual(
      [],
    );
    expect(diffConnected(A1, facts([]), device({ up: false }))).toEqual([]);
    const wrongPrefix = device({ addresses: [{ ip: ip("198.18.1.11"), prefixLen: 16 }] });
    expect(diffConnected(A1, facts([]), wrongPrefix)).toEqual([]);
    const otherIp = device({ addresses: [{ ip: ip("198.18.1.12"), prefixLen: 24 }] });
    expect(diffConnected(A1, facts([]), otherIp)).toEqual([]);
  });

  it("counts only the overlay's own network, on the device or without a device named; beside other addresses", () => {
    const conn = (dst: string, dev?: string) => route({ dst: dst as RouteFact["dst"], dev });
    const two = device({ addresses: [{ ip: ip("198.18.9.1"), prefixLen: 24 }, ...device().addresses] });
    expect(diffConnected(A1, facts([]), two).map((c) => c.key)).toEqual(["198.18.1.0/24 (connected)"]);
    expect(diffConnected(A1, facts([conn("198.18.1.0/24", "mshvx0")]), two)).toEqual([]);
    expect(diffConnected(A1, facts([conn("198.18.1.0/24", "eth0")]), two)).toHaveLength(1);
    expect(diffConnected(A1, facts([conn("198.18.2.0/24")]), two)).toHaveLength(1);
  });

  it("the overlay network of the address", () => {
    expect(overlayNet(A1.device)).toBe("198.18.1.0/24");
    expect(overlayNet({ ...A1.device, prefixLen: 0 })).toBe("0.0.0.0/0");
  });
});

describe("rebuilding the observed device (the inverse of deleting it)", () => {
  it("as it was: link, mark, addresses, up, entries and meshctl's routes", () => {
    const f = convergedFacts(A1);
    const cmds = restoreDeviceCommands(f, 77).map(argsOf);
    expect(cmds.slice(0, 4)).toEqual([
      `link add mshvx0 address ${MAC} mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning`,
      "link set dev mshvx0 alias meshctl",
      "addr add 198.18.1.11/24 dev mshvx0",
      "link set dev mshvx0 up",
    ]);
    expect(cmds).toHaveLength(4 + 3 + 3 + 3); // 3 FDB entries, 3 neighbours, 3 routes
    expect(cmds.at(-1)).toBe("route add 198.18.32.64/26 via 198.18.1.14 dev mshvx0 proto 77 onlink");
  });

  it("a device without the mark, down, learning, with no underlay: rebuilt just so", () => {
    const f = {
      ...bareFacts(A1),
      device: device({ alias: undefined, up: false, learning: true, underlayDev: undefined, addresses: [] }),
    };
    expect(restoreDeviceCommands(f, 77).map(argsOf)).toEqual([
      `link add mshvx0 address ${MAC} mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 learning`,
    ]);
  });

  it("a device whose learning flag was not read is rebuilt without learning", () => {
    const f = { ...bareFacts(A1), device: device({ learning: undefined }) };
    expect(restoreDeviceCommands(f, 77).map(argsOf)[0]).toBe(
      `link add mshvx0 address ${MAC} mtu 1450 type vxlan id 10001 dstport 4899 local 198.18.0.11 dev eth0 nolearning`,
    );
  });

  it("nothing to rebuild for no device, a foreign kind, or a VXLAN device whose VNI, port or local is unknown", () => {
    expect(restoreDeviceCommands(bareFacts(A1), 77)).toEqual([]);
    for (const over of [
      { kind: "bridge" },
      { vni: undefined },
      { port: undefined },
      { localIp: undefined },
    ]) {
      expect(
        restoreDeviceCommands({ ...bareFacts(A1), device: device(over) }, 77),
        JSON.stringify(over),
      ).toEqual([]);
    }
  });

  it("a route is rebuilt with only the fields it had", () => {
    expect(routeOf(route({ dev: "mshvx0" }), 77)).toEqual({
      dst: "198.18.32.0/26",
      dev: "mshvx0",
      proto: 77,
      table: "main",
    });
    expect(routeOf(route({ via: ip("198.18.1.13"), metric: 30 }), 78)).toEqual({
      dst: "198.18.32.0/26",
      via: "198.18.1.13",
      proto: 78,
      table: "main",
      metric: 30,
    });
  });
});

describe("what deleting the device takes with it, and adopting an unmarked one", () => {
  it("its addresses, entry counts and every route on it, meshctl's and foreign", () => {
    const f: NodeFacts = {
      ...convergedFacts(A1),
      routes: [
        route({ dev: "mshvx0", via: ip("198.18.1.13") }),
        route({ dst: "198.18.99.0/24" as RouteFact["dst"], dev: "eth0" }),
      ],
      foreignRoutes: [
        route({ dst: "198.18.50.0/24" as RouteFact["dst"], dev: "mshvx0", protocol: 4 }),
        route({ dev: "eth0" }),
      ],
    };
    expect(takenWithDevice(f, "mshvx0")).toBe(
      "takes with it address 198.18.1.11/24, 3 fdb, 3 neighbour entries, routes: 198.18.32.0/26 via 198.18.1.13 dev mshvx0 proto 77, 198.18.50.0/24 dev mshvx0 proto 4",
    );
    expect(takenWithDevice({ ...f, routes: [], foreignRoutes: [] }, "mshvx0")).toBe(
      "takes with it address 198.18.1.11/24, 3 fdb, 3 neighbour entries, no routes",
    );
    expect(takenWithDevice(bareFacts(A1), "mshvx0")).toBe("");
  });

  it("adopting: meshctl's mark set, and cleared on the way back", () => {
    expect(adoptChange("mshvx0")).toEqual({
      resource: "device",
      key: "mshvx0",
      action: "update",
      before: "no meshctl mark (made by an earlier meshctl: name, VNI, port and local match)",
      after: "alias meshctl",
      phase: "device",
      forward: [IP("link", "set", "dev", "mshvx0", "alias", "meshctl")],
      inverse: [IP("link", "set", "dev", "mshvx0", "alias", '""')],
    });
  });
});
