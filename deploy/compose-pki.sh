#!/usr/bin/env bash
# The certificates of docker-compose.ha.yml's cluster, made once with the project's own CLI
# (`flotilla certs init`, built on the host) in the layout `flotilla up` uses for ./data:
#   DIR/pki/         CA, serving and peer pairs of m1..m3 (naming m1..m3, localhost, 127.0.0.1),
#                    admin, component and Prometheus identities; mounted read-only into the masters
#   DIR/kubeconfig   the admin's, one context per master: https://127.0.0.1:6443, :6444, :6445
#   DIR/prometheus/  CA and Prometheus's client pair (system:prometheus in system:monitoring),
#                    mounted into the Prometheus container, which runs as nobody
#   DIR/nodes/       w1.kubeconfig, w2.kubeconfig (system:node:wN) and kube-proxy.kubeconfig for
#                    the workers' node agents (FLOTILLA_KUBECONFIG, FLOTILLA_PROXY_KUBECONFIG),
#                    reaching the masters by name: https://m1:6443 ..; the kubelet serves HTTPS
#                    with the same node pair, pki/node-wN.crt and .key (CN system:node:wN, SAN wN)
# DIR is the first argument, else $FLOTILLA_COMPOSE_DIR, else ./data/compose (relative paths are
# relative to the repository, as compose resolves them relative to the compose file).
# FLOTILLA_COMPOSE_HOSTS: more names or addresses for the serving certificates (comma-separated),
# e.g. this host's name for kubectl from another machine. FLOTILLA_COMPOSE_NODES: the workers
# (comma-separated, default w1,w2). deploy/compose.sh runs this first.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-${FLOTILLA_COMPOSE_DIR:-./data/compose}}"
[[ "$dir" == /* ]] || dir="$repo_dir/${dir#./}"
pki="$dir/pki"
prometheus="$dir/prometheus"

hosts=()
IFS=',' read -ra extra <<<"${FLOTILLA_COMPOSE_HOSTS:-}"
for host in "${extra[@]}"; do
  [[ -n "$host" ]] && hosts+=(--host "$host")
done

nodes=()
wanted=("$pki/ca.crt" "$pki/admin.crt" "$pki/prometheus.crt" "$dir/kubeconfig"
  "$pki/server-m1.crt" "$pki/server-m2.crt" "$pki/server-m3.crt")
IFS=',' read -ra workers <<<"${FLOTILLA_COMPOSE_NODES-w1,w2}"
for node in "${workers[@]}"; do
  [[ -n "$node" ]] || continue
  nodes+=(--node "$node")
  wanted+=("$dir/nodes/$node.kubeconfig")
done
missing=0
for file in "${wanted[@]}"; do
  [[ -f "$file" ]] || missing=1
done
if ((missing || ${#hosts[@]} > 0)); then
  (cd "$repo_dir" && node deploy/build.mjs --if-stale) >&2
  mkdir -p "$dir"
  # Other users of this machine get nothing: the private keys below are readable by any uid
  # inside the containers (Prometheus runs as nobody) but not through this directory.
  chmod 700 "$dir"
  node "$repo_dir/dist/apps/flotilla/main.js" certs init --data-dir "$dir" "${hosts[@]}" "${nodes[@]}" >&2
fi

# Prometheus's copy, refreshed every time (after `flotilla certs rotate --data-dir DIR` too).
mkdir -p "$prometheus"
for file in ca.crt prometheus.crt prometheus.key; do
  if ! cmp -s "$pki/$file" "$prometheus/$file"; then
    install -m 0644 "$pki/$file" "$prometheus/$file.tmp"
    mv -f "$prometheus/$file.tmp" "$prometheus/$file"
  fi
done
