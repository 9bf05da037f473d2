#!/bin/bash
# Where a node's share of a meshctl run goes: the CPU (user + system, of the programs and the shell) that each
# piece of the driver costs ON a node of a converged mesh, measured inside one lab node (its mount and network
# namespaces, nsenter), each piece run N times (default 20). Manual measurement behind README "Benchmarks",
# not part of CI:
#
#   sudo flock /tmp/meshctl-lab.lock scripts/node-cpu.sh [clusters nodes-per-cluster runs]   # default 3 20 20
#
# Builds a bare lab (default 3 x 20), applies the mesh, then times on c1-node2: `sh -c true` (the floor's
# command), `ip -V`, the facts' one `ip -batch` of every read, `bridge fdb`, `sha256sum` of the boot files,
# the driver's `stat` and `flock`, `sh -n` of the driver script (parsing it), the facts script alone, and the
# whole driver (facts, then `quit`) — the script meshctl sends, built by dist/ for that node. Prints
# milliseconds of CPU per run. Takes its lab down. Addresses: the lab's 198.18.0.0/15 only.
set -u
cd "$(dirname "$0")/.."
CLUSTERS=${1:-3} NODES=${2:-20} RUNS=${3:-20}
D=$(mktemp -d /tmp/meshctl-node-cpu-XXXXXX)
# Outside /tmp: each lab node has a private /tmp.
S=$(mktemp -d /var/tmp/meshctl-node-cpu-XXXXXX)
trap 'node bin/meshctl.js lab down --dir "$D" >/dev/null 2>&1; rm -rf "$D" "$S"' EXIT
[ -f dist/exec/driver.js ] || npm run build >/dev/null
node bin/meshctl.js lab up --clusters "$CLUSTERS" --nodes "$NODES" --bare --dir "$D" >"$D/up.log" 2>&1 ||
  { cat "$D/up.log"; exit 1; }
node bin/meshctl.js apply -i "$D/inventory.yaml" --confirm-timeout 0 >"$D/apply.log" 2>&1 ||
  { echo "apply failed (exit $?)"; tail -5 "$D/apply.log"; exit 1; }
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  import { loadInventoryText } from "./dist/inventory/load.js";
  import { buildModel } from "./dist/model/build.js";
  import { driverScript } from "./dist/exec/driver.js";
  import { factsParamsOf } from "./dist/exec/facts-params.js";
  import { factsScript, readbackScript } from "./dist/facts/script.js";
  const [file, out] = process.argv.slice(1);
  const n = buildModel(loadInventoryText(readFileSync(file, "utf8"), file)).nodes.find((x) => x.name === "c1-node2");
  const p = factsParamsOf(n);
  writeFileSync(`${out}/driver.sh`, driverScript({ facts: factsScript(p), readback: readbackScript(p) }));
  writeFileSync(`${out}/facts.sh`, factsScript(p));
' "$D/inventory.yaml" "$S"
PID=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).processes
  .find((p) => p.role === "sshd" && p.owner === "c1-node2").pid)' "$D/lab.json")
DEV=$(node -e 'console.log(/device:\s*(\S+)/.exec(require("fs").readFileSync(process.argv[1], "utf8"))?.[1] ?? "mshvx0")' "$D/inventory.yaml")
echo "c1-node2 of a converged ${CLUSTERS} x ${NODES} bare mesh; CPU per run (user + system), ${RUNS} runs each:"
# t NAME COMMAND: runs COMMAND $RUNS times in the node's namespaces; prints its CPU per run in ms.
t() {
  nsenter -t "$PID" -m -n -- bash -c '
    i=0; while [ $i -lt "$2" ]; do eval "$1" >/dev/null 2>&1; i=$((i+1)); done
    times' _ "$2" "$RUNS" | tail -1 |
    awk -v name="$1" -v n="$RUNS" '{
      split($1, u, "m"); split($2, s, "m"); sub("s", "", u[2]); sub("s", "", s[2]);
      printf "  %-34s %6.2f ms\n", name, (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 / n }'
}
BOOT="/var/lib/meshctl/$DEV@* /etc/systemd/system/meshctl-$DEV.service"
t "sh -c true (the floor's command)" "sh -c true"
t "ip -V" "ip -V"
t "ip -batch (every facts read)" "printf 'addr show dev $DEV\naddr show type vxlan\nneigh show dev $DEV\nroute show table all proto 77\nroute show table main scope global\n' | ip -d -j -batch -"
t "bridge fdb show dev $DEV" "bridge -j fdb show dev $DEV"
t "sha256sum of the boot files" "sha256sum $BOOT"
t "stat of /run/meshctl" "stat -c '%u %a' /run/meshctl"
t "flock" "flock -w 1 /run/meshctl/lock true"
t "sh -n driver script (parse)" "sh -n $S/driver.sh"
t "facts script alone" "sh $S/facts.sh"
t "driver: facts, then quit" "printf 'quit\n' | sh -c \"\$(cat $S/driver.sh)\" meshctl ''"
echo "driver script $(wc -c <"$S/driver.sh") bytes; facts output $(nsenter -t "$PID" -m -n -- sh "$S/facts.sh" | wc -c) bytes"
