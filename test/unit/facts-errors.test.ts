/**
 * parseFacts on malformed output (→ FactsParseError naming the section) and on the spellings other
 * iproute2 versions use, made by editing one section of a real captured fixture.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MeshctlError } from "../../src/core/errors.js";
import { FactsParseError, parseFacts } from "../../src/facts/index.js";

const captured = readFileSync(new URL("../fixtures/facts/a-configured.out", import.meta.url), "utf8");

/** The `@@ip-batch <names…>` block (one JSON array per line, in order) as one section per name. */
function unbatch(text: string): string {
  return text.replace(/^@@ip-batch ([^\n]*)\n([\s\S]*?)(?=^@@)/m, (_m, names: string, body: string) => {
    const values = body.split("\n").filter((l) => l.trim() !== "");
    return names
      .split(" ")
      .map((n, i) => `@@${n}\n${values[i]}\n`)
      .join("");
  });
}
const real = unbatch(captured);

/** The fixture with section `name`'s body replaced (or the section removed when body is undefined). */
function withSection(name: string, body: string | undefined, text = real): string {
  const re = new RegExp(`^@@${name}\\n[\\s\\S]*?(?=^@@)`, "m");
  if (!re.test(text)) throw new Error(`fixture has no section ${name}`);
  return text.replace(re, body === undefined ? "" : `@@${name}\n${body}\n`);
}

/** The fixture's device listing, and its device. */
function links(): { ifname: string; [k: string]: unknown }[] {
  return JSON.parse(/^@@device\n(.*)$/m.exec(real)?.[1] ?? "[]");
}
const device = () => links().find((l) => l.ifname === "mshvx0");

function parseError(text: string): FactsParseError {
  try {
    parseFacts(text);
  } catch (e) {
    if (e instanceof FactsParseError) return e;
    throw e;
  }
  throw new Error("parseFacts did not throw");
}

describe("parseFacts: malformed output", () => {
  it("is a MeshctlError that names the section and the path", () => {
    const e = parseError(withSection("fdb", '[{"mac":5}]'));
    expect(e).toBeInstanceOf(MeshctlError);
    expect(e.name).toBe("FactsParseError");
    expect(e.kind).toBe("parse");
    expect(e.section).toBe("fdb");
    expect(e.message).toBe("cannot read node facts: section @@fdb: [0].mac: expected a string, got number 5");
  });

  it("rejects output that is not the script's", () => {
    const e = parseError("sudo: a password is required\n");
    expect(e.section).toBe("meshctl-facts");
    expect(e.message).toContain("sudo: a password is required");
  });

  it("rejects truncated output (no @@end)", () => {
    const e = parseError(real.slice(0, real.indexOf("@@sysctl") + 20));
    expect(e.section).toBe("end");
    expect(e.message).toContain("stops in @@sysctl");
  });

  it("reports a command's error text left in its section", () => {
    const e = parseError(withSection("fdb", 'Option "-j" is unknown, try "bridge -help".'));
    expect(e.section).toBe("fdb");
    expect(e.message).toContain("not JSON");
    expect(e.message).toContain('Option \\"-j\\" is unknown');
  });

  it.each([
    ["device", "", "empty: the command printed nothing"],
    ["neigh", "{}", "expected a JSON array, got an object"],
    ["device", "[1]", "[0]: expected an object, got number 1"],
    ["device", "[{},{}]", "[0].ifindex: missing"],
    ["routes", '[{"dst":"198.18.252.1/24"}]', "[0].dst: "],
    ["routes", '[{"dst":"198.18.252.0/24","gateway":"fe80::1"}]', "[0].gateway: "],
    [
      "routes-main",
      '[{"dst":"default","table":true}]',
      "[0].table: expected a table name or id, got boolean true",
    ],
    ["routes-main", '[{"dst":"default","protocol":-1}]', "[0].protocol: expected a protocol name or id"],
    ["neigh", '[{"dst":"198.18.251.2","state":[1]}]', "[0].state: expected a list of strings"],
    ["fdb", '[{"mac":"zz:00:00:00:00:00"}]', '[0].mac: expected a MAC address, got "zz:00:00:00:00:00"'],
    ["device", '[{"ifindex":3,"ifname":"eth0","mtu":"big"}]', "[0].mtu: expected a non-negative integer"],
    [
      "device",
      '[{"ifindex":3,"ifname":"eth0","mtu":1500,"addr_info":[{"family":"inet","local":"1.2.3","prefixlen":24}]}]',
      "[0].addr_info[0].local: ",
    ],
    [
      "device",
      '[{"ifindex":4,"ifname":"v","mtu":1450,"linkinfo":{"info_kind":"vxlan","info_data":{"id":1,"port":"x"}}}]',
      "[0].linkinfo.info_data.port: expected a non-negative integer, got string",
    ],
    [
      "device",
      '[{"ifindex":4,"ifname":"v","mtu":1450,"linkinfo":{"info_kind":"vxlan","info_data":{"link":{}}}}]',
      "[0].linkinfo.info_data.link: expected a device name or ifindex",
    ],
    ["sysctl", "net.ipv4.ip_forward yes", 'expected "key value", got "net.ipv4.ip_forward yes"'],
    ["udp", "12B5\n:1323", 'expected a hex port, got ":1323"'],
    ["params", "{}", "routeProtocol: missing"],
  ])("@@%s %j → %s", (name, body, message) => {
    const e = parseError(withSection(name, body));
    expect(e.section).toBe(name);
    expect(e.message).toContain(message);
  });

  it("rejects more than one device", () => {
    const dev = JSON.stringify(device());
    expect(parseError(withSection("device", `[${dev},${dev}]`)).message).toContain(
      "expected at most one link named mshvx0, got 2",
    );
  });

  it("rejects a missing or duplicated section", () => {
    expect(parseError(withSection("udp", undefined)).message).toBe(
      "cannot read node facts: section @@udp: the section is missing",
    );
    expect(parseError(withSection("neigh", "[]\n@@neigh\n[]")).message).toContain(
      "the section appears twice",
    );
    expect(parseError(withSection("device", undefined)).section).toBe("device");
  });
});

describe("parseFacts: tolerated differences", () => {
  it("ignores a banner before the marker, CRLF line ends and anything after @@end", () => {
    const f = parseFacts(`Welcome to node 1\r\n${real.replace(/\n/g, "\r\n")}trailing junk\n`);
    expect(f.device?.vni).toBe(10001);
  });

  it("reads protocols and tables as numbers, numeric strings or names", () => {
    const f = parseFacts(
      withSection(
        "routes",
        JSON.stringify([
          { dst: "198.18.252.0/26", gateway: "198.18.251.2", dev: "mshvx0", protocol: 77, table: 254 },
          {
            dst: "198.18.252.64/26",
            gateway: "198.18.251.3",
            dev: "mshvx0",
            protocol: "meshctl",
            table: "100",
          },
          { dst: "198.18.252.128/26", dev: "mshvx0", table: 100 },
        ]),
        withSection(
          "routes-main",
          JSON.stringify([
            { dst: "198.18.252.0/26", gateway: "198.18.251.2", dev: "mshvx0", protocol: "77" },
            { dst: "198.18.253.0/24", gateway: "198.18.251.3", dev: "mshvx0" },
            { dst: "198.18.254.7", dev: "eth0", protocol: 4, metric: "100" },
          ]),
        ),
      ),
    );
    expect(f.routes.map((r) => [r.dst, r.protocol, r.table])).toEqual([
      ["198.18.252.0/26", 77, "main"],
      ["198.18.252.64/26", "meshctl", "100"],
      ["198.18.252.128/26", 77, "100"],
    ]);
    // meshctl's own route is not foreign; an omitted protocol in the main listing is `boot`
    expect(f.foreignRoutes.map((r) => [r.dst, r.protocol, r.metric])).toEqual([
      ["198.18.253.0/24", "boot", undefined],
      ["198.18.254.7/32", 4, 100],
    ]);
  });

  it("resolves the VXLAN underlay printed as an ifindex or as iproute2's `ifN` fallback", () => {
    const dev = (link: unknown) =>
      parseFacts(
        withSection(
          "device",
          JSON.stringify([
            {
              ifindex: 5,
              ifname: "mshvx0",
              mtu: 1450,
              flags: ["UP"],
              address: "02:6D:73:00:00:01",
              linkinfo: {
                info_kind: "vxlan",
                info_data: { vni: "10001", dstport: 4899, local: "198.18.250.2", link },
              },
            },
          ]),
        ),
      ).device;
    expect(dev(3)).toMatchObject({
      underlayDev: "eth0",
      underlayIndex: 3,
      vni: 10001,
      port: 4899,
      mac: "02:6d:73:00:00:01",
    });
    expect(dev("if3")).toMatchObject({ underlayDev: "eth0", underlayIndex: 3 });
    const unknown = dev(42);
    expect(unknown?.underlayIndex).toBe(42);
    expect(unknown?.underlayDev).toBeUndefined();
    expect(dev("eth0")).toMatchObject({ underlayDev: "eth0" });
    expect(dev("eth0")?.underlayIndex).toBeUndefined();
  });

  it("reads FDB and neighbour variants", () => {
    const f = parseFacts(
      withSection(
        "fdb",
        JSON.stringify([
          { mac: "02:6D:73:00:00:05", dst: "198.18.250.5", flags: ["self"], state: "" },
          {
            mac: "02:6d:73:00:00:06",
            dst: "2001:db8::6",
            port: 4899,
            vni: 7,
            via: "eth0",
            flags: ["self"],
            state: "permanent",
          },
          { mac: "01:00:5e:00:00:01", flags: "self", state: "permanent" },
        ]),
        withSection(
          "neigh",
          JSON.stringify([
            { dst: "198.18.251.4", lladdr: "02:6D:73:00:00:04", router: null, state: "PERMANENT" },
            { dst: "198.18.251.5", state: ["INCOMPLETE"] },
            { dst: "fe80::1", lladdr: "02:6d:73:00:00:07", state: ["STALE"] },
          ]),
        ),
      ),
    );
    expect(f.fdb).toEqual([
      { mac: "02:6d:73:00:00:05", kind: "unicast", dst: "198.18.250.5", flags: ["self"], state: "reachable" },
      {
        mac: "02:6d:73:00:00:06",
        kind: "unicast",
        dstOther: "2001:db8::6",
        flags: ["self"],
        state: "permanent",
        port: 4899,
        vni: 7,
        via: "eth0",
      },
      { mac: "01:00:5e:00:00:01", kind: "multicast", flags: ["self"], state: "permanent" },
    ]);
    expect(f.neighbours).toEqual([
      { ip: "198.18.251.4", mac: "02:6d:73:00:00:04", state: ["PERMANENT"], flags: ["router"] },
      { ip: "198.18.251.5", state: ["INCOMPLETE"], flags: [] },
    ]);
  });

  it("an overlay address given as the local IP never makes the device its own underlay", () => {
    // as the node answers `ip addr show to 198.18.251.1/32`: the device holds it
    const asked = withSection(
      "holder",
      JSON.stringify(links()),
      real.replace(/"localIp":"198\.18\.250\.2"/, '"localIp":"198.18.251.1"'),
    );
    const f = parseFacts(asked);
    expect(f.interfaces.map((i) => i.name)).toEqual(["mshvx0", "eth0"]);
    expect(f.underlay).toBeUndefined();
  });
});
