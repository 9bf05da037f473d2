#!/usr/bin/env node
/**
 * A stand-in for `kubectl` on a control node, for unit tests of the cluster session: logs each run (one
 * line of its arguments) to $KUBECTL_LOG and keeps IPPools in the JSON file $KUBECTL_STATE. Understands
 * exactly what meshctl runs: `get … -o json` (the pools, one confirmed BlockAffinity, one Node),
 * `delete ippools… NAME… --ignore-not-found`, `apply --server-side … [-o json] -f -` (YAML on stdin).
 * `KUBECTL_FAIL_APPLY=1`: apply fails (exit 1) after storing nothing.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
appendFileSync(process.env.KUBECTL_LOG, `${args.join(" ")}\n`);
const file = process.env.KUBECTL_STATE;
const pools = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
const save = () => writeFileSync(file, JSON.stringify(pools));
const verb = args.find((a) => !a.startsWith("-"));

if (verb === "get") {
  const items = [
    ...pools,
    { kind: "BlockAffinity", metadata: { name: "a1-b" }, spec: { state: "confirmed", node: "a1", cidr: "198.18.16.0/26", deleted: "false" } },
    { kind: "Node", metadata: { name: "a1" }, spec: {} },
  ];
  process.stdout.write(JSON.stringify({ apiVersion: "v1", kind: "List", items }));
} else if (verb === "delete") {
  const names = args.slice(args.indexOf("delete") + 2).filter((a) => !a.startsWith("-"));
  for (const n of names) {
    const i = pools.findIndex((p) => p.metadata.name === n);
    if (i >= 0) pools.splice(i, 1);
    process.stderr.write(`ippool.crd.projectcalico.org "${n}" deleted\n`);
  }
  save();
} else if (verb === "apply") {
  const docs = parseAllDocuments(readFileSync(0, "utf8")).map((d) => d.toJS()).filter(Boolean);
  if (process.env.KUBECTL_FAIL_APPLY) {
    process.stderr.write("Error from server (Forbidden): ippools is forbidden\n");
    process.exit(1);
  }
  const stored = docs.map((d) => ({ ...d, metadata: { ...d.metadata, uid: `uid-${d.metadata.name}` } }));
  for (const s of stored) {
    const i = pools.findIndex((p) => p.metadata.name === s.metadata.name);
    if (i >= 0) pools[i] = s;
    else pools.push(s);
  }
  save();
  if (args.includes("json"))
    process.stdout.write(
      JSON.stringify(stored.length === 1 ? stored[0] : { apiVersion: "v1", kind: "List", items: stored }),
    );
} else {
  process.stderr.write(`fake kubectl: ${args.join(" ")}?\n`);
  process.exit(2);
}
