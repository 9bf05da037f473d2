#!/usr/bin/env node
/**
 * Runs inside a fresh, empty network namespace (`unshare -rn`): adds the given 198.18.0.0/15 addresses to
 * `lo`, listens on TCP port 22 of each, runs a command, and prints one JSON line:
 * {code, signal, stdout, stderr, connections: ["198.18.0.11", ...]} — every connection the command made.
 * Nothing can leave the namespace: it has no interface but `lo`.
 * Usage: unshare -rn node in-netns.mjs '["198.18.0.11"]' COMMAND ARGS...
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

const [addrs, cmd, ...args] = process.argv.slice(2);
const ips = JSON.parse(addrs);
const ip = (...a) => {
  const r = spawnSync("ip", a, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${a.join(" ")}: ${r.stderr}`);
};
ip("link", "set", "lo", "up");
const connections = [];
const servers = [];
for (const addr of ips) {
  if (!addr.startsWith("198.18.") && !addr.startsWith("198.19.")) throw new Error(`${addr}: not a lab address`);
  ip("addr", "add", `${addr}/32`, "dev", "lo");
  const s = createServer((sock) => {
    connections.push(addr);
    sock.destroy();
  });
  await new Promise((ok, ko) => s.listen(22, addr, ok).on("error", ko));
  servers.push(s);
}
const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
let stdout = "";
let stderr = "";
child.stdout.on("data", (d) => (stdout += d));
child.stderr.on("data", (d) => (stderr += d));
child.on("close", (code, signal) => {
  for (const s of servers) s.close();
  process.stdout.write(`${JSON.stringify({ code, signal, stdout, stderr, connections })}\n`);
});
