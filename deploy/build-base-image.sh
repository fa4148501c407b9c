#!/usr/bin/env bash
# Builds the offline base image for Flotilla's containers, without any image registry:
# debootstrap a minimal Debian bookworm, add the host's node binary, `docker import` the result.
# Does nothing when the image is there and carries the same node version.
#
# Env:
#   FLOTILLA_BASE_TAG       image tag (default flotilla/base:bookworm-node<major>)
#   FLOTILLA_CACHE_DIR      where the root filesystem is kept (default /var/cache/flotilla, else .deploy-cache)
#   FLOTILLA_DEBIAN_MIRROR  Debian mirror for debootstrap (default: the one apt on this host uses)
#   FLOTILLA_NODE_BIN       node binary to add (default: `command -v node`)
set -euo pipefail

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$deploy_dir")"
# shellcheck source=deploy/common.sh
source "$deploy_dir/common.sh"

suite=bookworm
packages=nftables,iproute2,ca-certificates
tag="$(base_image_tag)"
node_bin="$(node_binary)"
node_ver="$(node_version)"

image_node_version() {
  docker image inspect --format '{{ index .Config.Labels "org.flotilla.node-version" }}' "$tag" 2>/dev/null || true
}

if [[ "$(image_node_version)" == "$node_ver" ]]; then
  log "base image $tag is there (node $node_ver)"
  exit 0
fi

cache_dir="${FLOTILLA_CACHE_DIR:-}"
if [[ -z "$cache_dir" ]]; then
  if mkdir -p /var/cache/flotilla 2>/dev/null && [[ -w /var/cache/flotilla ]]; then
    cache_dir=/var/cache/flotilla
  else
    cache_dir="$repo_dir/.deploy-cache"
  fi
fi
rootfs="$cache_dir/rootfs-$suite"
done_marker="$rootfs/.flotilla-debootstrap-done"

# The mirror apt already uses here: one-line sources.list entries or deb822 .sources stanzas.
host_debian_mirror() {
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] && files+=("$f")
  done
  ((${#files[@]})) || return 0
  awk -v suite="$suite" '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && !found) {
        split(uris, u, " "); print u[1]; found = 1
      }
      types = ""; suites = ""; uris = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[[:space:]]*$/) { flush(); next }
      if ($0 ~ /^Types:/)  { sub(/^Types:[[:space:]]*/, "");  types = $0 }
      if ($0 ~ /^Suites:/) { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      if ($0 ~ /^URIs:/)   { sub(/^URIs:[[:space:]]*/, "");   uris = $0 }
      next
    }
    /^deb[[:space:]]/ && !found {
      flush()
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; found = 1 }
    }
    END { flush() }
  ' "${files[@]}"
}

if [[ ! -f "$done_marker" ]]; then
  command -v debootstrap >/dev/null 2>&1 || { log "installing debootstrap"; apt_install debootstrap; }
  mirror="${FLOTILLA_DEBIAN_MIRROR:-$(host_debian_mirror)}"
  if [[ -z "$mirror" ]]; then
    echo "error: no Debian $suite mirror found in /etc/apt/sources.list*; set FLOTILLA_DEBIAN_MIRROR." >&2
    exit 1
  fi
  keyring_args=()
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
    keyring_args=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  log "debootstrap $suite (minbase + $packages) into $rootfs"
  as_root rm -rf "$rootfs"
  mkdir -p "$cache_dir"
  started=$SECONDS
  as_root debootstrap --variant=minbase --include="$packages" "${keyring_args[@]}" \
    "$suite" "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 || {
    echo "error: debootstrap failed; see $cache_dir/debootstrap.log" >&2
    tail -n 20 "$cache_dir/debootstrap.log" >&2
    exit 1
  }
  # Docs, man pages, apt lists and downloaded .debs are dead weight in a container.
  as_root rm -rf "$rootfs"/usr/share/{doc,man,info}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  as_root touch "$done_marker"
  log "debootstrap took $((SECONDS - started))s"
fi

log "adding node $node_ver ($node_bin) and importing $tag"
as_root install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
as_root tar --numeric-owner --exclude=./.flotilla-debootstrap-done -C "$rootfs" -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL org.flotilla.node-version=$node_ver" \
    --change 'CMD ["node"]' \
    - "$tag" >/dev/null
docker run --rm "$tag" node -e 'process.stdout.write(`[deploy] base image runs node ${process.version}\n`)'
