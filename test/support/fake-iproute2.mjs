#!/usr/bin/env node
/**
 * A stand-in for `ip` and `bridge` that answers the read-only `show` commands from a fixed node, filtering
 * routes by `table`, `scope` and `proto` as iproute2 does (a filtered listing omits the protocol, as
 * iproute2 omits what the filter fixed). Lets a unit test run the real facts script without root.
 * Usage: fake-iproute2.mjs ip|bridge ARGS...  (the shell script defines `ip() { node … ip "$@"; }`)
 */
const PROTO = { kernel: 2, boot: 3, static: 4 };
const LINKS = [
  { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"], mtu: 65536, operstate: "UNKNOWN",
    link_type: "loopback", address: "00:00:00:00:00:00", addr_info: [] },
  { ifindex: 2, ifname: "eth0", flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], mtu: 1500,
    operstate: "UP", link_type: "ether", address: "02:00:c6:12:00:0b",
    addr_info: [{ family: "inet", local: "198.18.0.11", prefixlen: 24, scope: "global" }] },
];
const ROUTES = [
  { dst: "198.18.32.0/26", gateway: "198.18.1.13", dev: "mshvx0", protocol: 77, scope: "global", table: "main" },
  { dst: "198.18.40.0/26", gateway: "198.18.1.13", dev: "mshvx0", protocol: 77, scope: "global", table: "100" },
  { dst: "default", gateway: "198.18.0.1", dev: "eth0", protocol: "boot", scope: "global", table: "main" },
  { dst: "198.18.0.0/24", dev: "eth0", protocol: "kernel", scope: "link", table: "main" },
  { dst: "198.18.48.0/26", gateway: "198.18.0.99", dev: "eth0", protocol: "static", scope: "global", table: "main" },
  { dst: "198.18.64.0/26", gateway: "198.18.0.98", dev: "eth0", protocol: 99, scope: "global", table: "7" },
];

const [tool, ...argv] = process.argv.slice(2);
const args = argv.filter((a) => !a.startsWith("-"));
const after = (word) => {
  const i = args.indexOf(word);
  return i < 0 ? undefined : args[i + 1];
};
const num = (p) => (typeof p === "number" ? p : (PROTO[p] ?? Number(p)));
let out = [];
if (tool === "ip" && (args[0] === "addr" || args[0] === "link")) out = LINKS;
else if (tool === "ip" && args[0] === "route") {
  const table = after("table") ?? "main";
  const scope = after("scope");
  const proto = after("proto");
  out = ROUTES.filter(
    (r) =>
      (table === "all" || r.table === table) &&
      (scope === undefined || r.scope === scope) &&
      (proto === undefined || num(r.protocol) === num(proto)),
  ).map(({ table: t, protocol, ...r }) => ({
    ...r,
    ...(proto === undefined ? { protocol } : {}),
    ...(t === "main" ? {} : { table: t }),
    flags: [],
  }));
}
process.stdout.write(`${JSON.stringify(out)}\n`);
