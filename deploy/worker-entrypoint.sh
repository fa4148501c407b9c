#!/usr/bin/env bash
# PID 1 of a worker container (flotilla/node-agent): containerd, configured as the on-machine lab
# configures it (`main.js containerd-config`), then the node agent (kubelet + kube-proxy) on it.
# bash stays PID 1: it reaps the orphaned containerd shims and stops both on SIGTERM.
#
# Env (besides the node agent's own FLOTILLA_* settings, e.g. FLOTILLA_KUBECONFIG, FLOTILLA_NAME):
#   FLOTILLA_REGISTRY     host:port of the registry the workers pull from (required)
#   FLOTILLA_DATA_DIR     state, containerd's included (a volume: overlayfs cannot nest on overlayfs)
#   FLOTILLA_CGROUP_ROOT  where pod cgroups go (default: under this container's own cgroup, so
#                         the container's limits cover its pods and removing it removes them)
#   FLOTILLA_NODE_IP      the node's address (default: eth0's IPv4 address)
# Anything given as arguments goes to the node agent.
set -euo pipefail

log() { printf '{"level":"info","component":"worker-entrypoint","msg":"%s"}\n' "$*"; }
fail() { printf '{"level":"error","component":"worker-entrypoint","msg":"%s"}\n' "$*" >&2; exit 1; }

: "${FLOTILLA_REGISTRY:?the registry the workers pull from, host:port (the compose file sets registry:5000)}"
data_dir="${FLOTILLA_DATA_DIR:-/var/lib/flotilla}"
cdir="$data_dir/containerd"
mkdir -p "$cdir"
node /opt/flotilla/main.js containerd-config --dir "$cdir" --registry "$FLOTILLA_REGISTRY" >"$cdir/config.toml"

if [[ -z "${FLOTILLA_CGROUP_ROOT:-}" ]]; then
  own="$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)"
  export FLOTILLA_CGROUP_ROOT="${own%/}/kubepods"
fi
if [[ -z "${FLOTILLA_NODE_IP:-}" ]]; then
  FLOTILLA_NODE_IP="$(ip -4 -o addr show dev eth0 | awk '{ split($4, a, "/"); print a[1]; exit }')"
  [[ -n "$FLOTILLA_NODE_IP" ]] || fail "no IPv4 address on eth0; set FLOTILLA_NODE_IP"
  export FLOTILLA_NODE_IP
fi
# Docker mounts /sys and /proc/sys read-only in an unprivileged container; the CNI bridge plugin
# writes both (hairpin mode, forwarding), and so may kube-proxy. With CAP_SYS_ADMIN (and no user
# namespace) they can be made writable again; --privileged would, but see docker-compose.ha.yml.
mount -o remount,rw /sys 2>/dev/null || log "warning: /sys stays read-only"
mount -o remount,bind,rw /proc/sys 2>/dev/null || log "warning: /proc/sys stays read-only"
echo 1 >/proc/sys/net/ipv4/ip_forward 2>/dev/null || log "warning: cannot turn on IPv4 forwarding"

containerd --config "$cdir/config.toml" >>"$cdir/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 1 150); do
  [[ -S "$cdir/containerd.sock" ]] && break
  kill -0 "$containerd_pid" 2>/dev/null || fail "containerd exited: $(tail -n 5 "$cdir/containerd.log" | tr '\n"' ' \047')"
  sleep 0.2
done
[[ -S "$cdir/containerd.sock" ]] || fail "containerd did not open $cdir/containerd.sock within 30 s"
log "containerd $containerd_pid serves $cdir/containerd.sock (cgroup root $FLOTILLA_CGROUP_ROOT, node ip $FLOTILLA_NODE_IP)"

node /opt/flotilla/main.js \
  --runtime-endpoint "$cdir/containerd.sock" \
  --cni-conf-dir "$cdir/net.d" \
  "$@" &
agent_pid=$!

# shellcheck disable=SC2317 # run by the trap
stop() {
  log "stopping the node agent, then containerd"
  kill -TERM "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
  kill -TERM "$containerd_pid" 2>/dev/null || true
  wait "$containerd_pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT

# Either one ending ends the worker: a restart policy brings it back whole.
status=0
wait -n "$agent_pid" "$containerd_pid" || status=$?
if kill -0 "$agent_pid" 2>/dev/null; then
  log "containerd exited ($status); stopping the node agent"
  kill -TERM "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
else
  log "node agent exited ($status); stopping containerd"
  kill -TERM "$containerd_pid" 2>/dev/null || true
  wait "$containerd_pid" 2>/dev/null || true
fi
exit "$status"
