#!/usr/bin/env bash
# The README's main job on a fresh machine, as root: install what is missing, build, bring up a
# 3 x 2 namespace lab (real sshd nodes, pod namespaces, a Kubernetes API per cluster), run
# `meshctl apply` on it, and show pod-to-pod pings across clusters. Everything it configures lies in
# 198.18.0.0/15 on namespaces and bridges it made; `meshctl lab down` removes it all.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (the lab creates network namespaces)" >&2; exit 1; }

bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build >/dev/null
meshctl() { node bin/meshctl.js "$@"; }

DIR=${LAB_DIR:-/run/meshctl-lab}
if meshctl lab status --dir "$DIR" >/dev/null 2>&1; then
  echo "a lab is already up in $DIR: taking it down first"
  meshctl lab down --dir "$DIR" >/dev/null
fi
meshctl lab up --dir "$DIR"
INV="$DIR/inventory.yaml"

echo; echo "== meshctl diff (before)"; meshctl diff -i "$INV" | tail -n 12 || true
echo; echo "== meshctl apply";         meshctl apply -i "$INV"
echo; echo "== meshctl apply again (changes nothing)"; meshctl apply -i "$INV" | tail -n 10

echo; echo "== meshctl verify (overlay, MTU and pod-to-pod probes from every node)"
meshctl verify -i "$INV" || true

echo; echo "== pod-to-pod across clusters, from the pod namespaces"
status=0
while read -r from to ip; do
  if ip netns exec "$from" ping -c 1 -W 1 "$ip" >/dev/null; then echo "  ✔ $from → $to ($ip)";
  else echo "  ✘ $from → $to ($ip)"; status=1; fi
done < <(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1] + "/lab.json", "utf8")).info.nodes;
  for (const a of s) for (const b of s) if (a.cluster !== b.cluster) console.log(a.podNamespace, b.name, b.podIp);
' "$DIR")
echo
echo "The lab stays up: try  node bin/meshctl.js diff -i $INV  or  teardown, and"
echo "take it down with      node bin/meshctl.js lab down --dir $DIR"
exit $status
