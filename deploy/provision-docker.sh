#!/usr/bin/env bash
# Makes this host ready for Flotilla's Docker path: a running Docker engine, docker-compose,
# and the offline base image (see build-base-image.sh). Safe to run again: it only does what is missing.
#
# Env:
#   FLOTILLA_DOCKERD_LOG   dockerd log file (default /var/log/flotilla-dockerd.log)
#   FLOTILLA_DOCKERD_ARGS  extra dockerd flags, e.g. "--storage-driver=vfs" on hosts without overlayfs
#   FLOTILLA_DOCKERD_WAIT  seconds to wait for the engine to answer (default 60)
set -euo pipefail

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/common.sh
source "$deploy_dir/common.sh"

dockerd_log="${FLOTILLA_DOCKERD_LOG:-/var/log/flotilla-dockerd.log}"
dockerd_wait="${FLOTILLA_DOCKERD_WAIT:-60}"

engine_answers() { docker info >/dev/null 2>&1; }

install_docker_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  # Without systemd, the package's own "start the service" step can fail the install; dockerd
  # is started below instead.
  apt_install_without_starting "${missing[@]}"
}

dockerd_running() {
  local pid
  [[ -r /var/run/docker.pid ]] || return 1
  pid="$(cat /var/run/docker.pid)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

start_dockerd() {
  if dockerd_running; then
    log "dockerd is already starting (pid $(cat /var/run/docker.pid)); waiting for it"
    return
  fi
  mkdir -p "$(dirname "$dockerd_log")"
  log "starting dockerd in the background (log: $dockerd_log)"
  # setsid + nohup: the engine must outlive this script and the CI step that ran it.
  # shellcheck disable=SC2086 # FLOTILLA_DOCKERD_ARGS is a list of flags on purpose
  as_root setsid nohup dockerd ${FLOTILLA_DOCKERD_ARGS:-} >>"$dockerd_log" 2>&1 </dev/null &
}

wait_for_engine() {
  local waited=0
  until engine_answers; do
    if ((waited >= dockerd_wait)); then
      echo "error: the Docker engine did not answer 'docker info' within ${dockerd_wait}s." >&2
      echo "Last lines of $dockerd_log:" >&2
      tail -n 20 "$dockerd_log" >&2 2>/dev/null || true
      echo "Hints: run as root; on hosts without overlayfs set FLOTILLA_DOCKERD_ARGS=--storage-driver=vfs." >&2
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "Docker engine answers after ${waited}s"
}

if engine_answers; then
  log "Docker engine is running ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown))"
  if ! command -v docker-compose >/dev/null 2>&1; then install_docker_packages; fi
else
  install_docker_packages
  start_dockerd
  wait_for_engine
fi
log "docker-compose: $(docker-compose version --short 2>/dev/null || echo missing)"

bash "$deploy_dir/build-base-image.sh"
