#!/bin/bash
# Rehearse the whole cycle on nodes that run REAL old iproute2 builds (not the lab's --os wrappers): one
# cluster of 3 nodes per build given, cluster N on the Nth build (e.g. 4.11 = CentOS 7, 4.18 = RHEL 8.0,
# 5.3 = RHEL 8.2). Manual check, not part of CI (CI cannot build
# them: it has no access to iproute2's git). Build the trees as test/fixtures/facts/README.md says, then copy
# <tree>/ip/ip and <tree>/bridge/bridge to a directory outside /tmp (each lab node has a private /tmp):
#
#   sudo flock /tmp/meshctl-lab.lock scripts/lab-real-iproute2.sh /opt/ipr/4.11.0 /opt/ipr/4.18.0 /opt/ipr/5.3.0
#
# Each node's sshd runs in its own mount namespace; the builds are bind-mounted over `ip` and `bridge` there.
# Prints every verb's exit code; expects diff 2, apply 0, diff 0, apply 0, verify 0, diagnose 0, teardown 0,
# diff 2. Takes its lab down. Addresses: the lab's 198.18.0.0/15 only.
set -u
cd "$(dirname "$0")/.."
TREES=("$@")
D=$(mktemp -d /tmp/meshctl-real-iproute2-XXXXXX)
trap 'node bin/meshctl.js lab down --dir "$D" >/dev/null 2>&1; rm -rf "$D"' EXIT
node bin/meshctl.js lab up --clusters ${#TREES[@]} --nodes 3 --os centos7 --dir "$D" >"$D/up.log" 2>&1 ||
  { cat "$D/up.log"; exit 1; }
node -e 'for (const p of JSON.parse(require("fs").readFileSync(process.argv[1])).processes)
  if (p.role === "sshd") console.log(p.pid, p.owner)' "$D/lab.json" |
while read -r pid owner; do
  c=${owner%%-*}; tree=${TREES[$((${c#c} - 1))]}
  for t in ip bridge; do
    for p in /usr/local/sbin/$t /usr/local/bin/$t /usr/sbin/$t /usr/bin/$t /sbin/$t /bin/$t; do
      nsenter -t "$pid" -m sh -c '[ -e "$1" ] && mount --bind "$2" "$1"' sh "$p" "$tree/$t/$t"
    done
  done
  nsenter -t "$pid" -m sh -c 'cmp -s "$(command -v ip)" "$1/ip/ip" && cmp -s "$(command -v bridge)" "$1/bridge/bridge"' sh "$tree" ||
    { echo "$owner: the build is not what the node runs"; exit 1; }
  echo "$owner: $(nsenter -t "$pid" -m sh -c 'ip -V') (the build at $tree)"
done
for v in diff apply diff apply verify diagnose teardown diff; do
  node bin/meshctl.js "$v" -i "$D/inventory.yaml" >"$D/$v.out" 2>&1
  echo "meshctl $v: exit $?"
done
tail -n 3 "$D/diagnose.out"
