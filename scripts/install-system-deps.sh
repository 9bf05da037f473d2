#!/usr/bin/env bash
# Debian packages meshctl's lab and tests need (idempotent; installs only what is missing).
#   iproute2 (ip, bridge), openssh-server/-client (lab nodes, the floor benchmark), sudo (become tests),
#   tmux (a lab test reads the live progress view on an 80×24 screen), util-linux (flock, unshare), iputils-ping (pod-to-pod checks), procps, iptables (diagnose reads the
#   FORWARD policy; a lab test sets one), strace (the facts cost test counts node-side processes),
#   systemd (systemd-analyze verify checks the boot unit meshctl installs; systemd is not started), kubectl (kubernetes-client
#   when no kubectl is on the machine already).
set -euo pipefail
need=()
for pair in ip:iproute2 bridge:iproute2 /usr/sbin/sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client \
  tmux:tmux sudo:sudo useradd:passwd mount:mount flock:util-linux unshare:util-linux ping:iputils-ping pgrep:procps iptables:iptables strace:strace systemd-analyze:systemd kubectl:kubernetes-client; do
  cmd=${pair%%:*} pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then need+=("$pkg"); fi
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${need[*]} — run as root: apt-get install ${need[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
echo "system dependencies present: tmux ip bridge sshd ssh sudo flock unshare ping iptables strace systemd-analyze kubectl"
