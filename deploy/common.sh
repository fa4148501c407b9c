# Helpers shared by the deploy scripts (sourced, not run).

log() { echo "[deploy] $*"; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# apt-get update runs at most once per shell session, and only when something must be installed.
apt_install() {
  if [[ -z "${FLOTILLA_APT_UPDATED:-}" ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return
    export FLOTILLA_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# The node binary that runs the build goes into the base image, so host-built dist/ and
# native prebuilds (classic-level) run unchanged in the container.
node_binary() { readlink -f "${FLOTILLA_NODE_BIN:-$(command -v node)}"; }
node_version() { "$(node_binary)" -p 'process.version'; }
node_major() { "$(node_binary)" -p 'process.versions.node.split(".")[0]'; }

base_image_tag() { echo "${FLOTILLA_BASE_TAG:-flotilla/base:bookworm-node$(node_major)}"; }

# Installs packages whose maintainer scripts would start a daemon (no init system here, or a port
# we want free): Debian's policy-rc.d switch tells invoke-rc.d "no" for the duration.
apt_install_without_starting() {
  local policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 0755 "$policy"
    added_policy=1
  fi
  local status=0
  apt_install "$@" || status=$?
  [[ -z "$added_policy" ]] || as_root rm -f "$policy"
  return "$status"
}

# The worker containers' base: the base plus containerd, runc, CNI plugins (build-worker-base-image.sh).
worker_base_image_tag() { echo "${FLOTILLA_WORKER_BASE_TAG:-flotilla/worker-base:bookworm-node$(node_major)}"; }
