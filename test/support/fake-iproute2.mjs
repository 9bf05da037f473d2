#!/usr/bin/env node
/**
 * A stand-in for `ip` and `bridge` that answers the read-only `show` commands from a fixed node, filtering
 * routes by `table`, `scope` and `proto` as iproute2 does (a filtered listing omits the protocol, as
 * iproute2 omits what the filter fixed). Lets a unit test run the real facts script without root.
 * Link reads filter by `dev`, `to` and `type` as iproute2 does; `ip -V` answers as iproute2 6.1 (so the facts
 * script takes its JSON path) and `ip -batch -` answers every stdin line, one JSON array per line.
 * Usage: fake-iproute2.mjs ip|bridge ARGS...  (the shell script defines `ip() { node … ip "$@"; }`)
 */
import { readFileSync } from "node:fs";

const PROTO = { kernel: 2, boot: 3, static: 4 };
const LINKS = [
  { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"], mtu: 65536, operstate: "UNKNOWN",
    link_type: "loopback", address: "00:00:00:00:00:00",
    addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "host" }] },
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

const num = (p) => (typeof p === "number" ? p : (PROTO[p] ?? Number(p)));

function answer(tool, args) {
  const after = (word) => {
    const i = args.indexOf(word);
    return i < 0 ? undefined : args[i + 1];
  };
  if (tool === "ip" && (args[0] === "addr" || args[0] === "link")) {
    const dev = after("dev");
    const to = after("to")?.replace(/\/32$/, "");
    const type = after("type");
    return LINKS.filter(
      (l) =>
        (dev === undefined || l.ifname === dev) &&
        (to === undefined || l.addr_info.some((a) => a.local === to)) &&
        (type === undefined || l.linkinfo?.info_kind === type),
    );
  }
  if (tool !== "ip" || args[0] !== "route") return [];
  const table = after("table") ?? "main";
  const scope = after("scope");
  const proto = after("proto");
  return ROUTES.filter(
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

const [tool, ...argv] = process.argv.slice(2);
if (argv.includes("-V")) process.stdout.write("ip utility, iproute2-6.1.0\n");
else if (argv.includes("-batch")) {
  for (const line of readFileSync(0, "utf8").split("\n")) {
    const args = line.trim().split(/\s+/).filter((a) => a !== "");
    if (args.length > 0) process.stdout.write(`${JSON.stringify(answer(tool, args))}\n`);
  }
} else process.stdout.write(`${JSON.stringify(answer(tool, argv.filter((a) => !a.startsWith("-"))))}\n`);
