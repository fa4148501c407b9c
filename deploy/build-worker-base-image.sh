#!/usr/bin/env bash
# Builds the offline base image of Flotilla's worker containers: the base rootfs of
# build-base-image.sh, copied, with what a worker host needs installed by chroot apt from Debian's
# mirror (containerd with its CRI plugin, runc, the CNI plugins in /usr/lib/cni, nftables and
# conntrack for kube-proxy, iproute2, curl to probe Services from inside), then `docker import`ed.
# No registry is involved. Does nothing when the image is there with the same node and packages.
#
# Env:
#   FLOTILLA_WORKER_BASE_TAG  image tag (default flotilla/worker-base:bookworm-node<major>)
#   FLOTILLA_CACHE_DIR        where root filesystems are kept (as build-base-image.sh)
set -euo pipefail

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$deploy_dir")"
# shellcheck source=deploy/common.sh
source "$deploy_dir/common.sh"

# The worker host packages of libs/kubelet/src/host/packages.ts (WORKER_PACKAGES), plus curl.
packages=(containerd runc containernetworking-plugins iproute2 util-linux nftables conntrack curl)
tag="$(worker_base_image_tag)"
node_ver="$(node_version)"
stamp="$(echo "$node_ver ${packages[*]}" | sha256sum | cut -c1-16)"

if [[ "$(docker image inspect --format '{{ index .Config.Labels "org.flotilla.worker-base" }}' "$tag" 2>/dev/null || true)" == "$stamp" ]]; then
  log "worker base image $tag is there (node $node_ver)"
  exit 0
fi

# The plain base first: its rootfs (debootstrapped once) is where this one starts from.
bash "$deploy_dir/build-base-image.sh"

cache_dir="${FLOTILLA_CACHE_DIR:-}"
if [[ -z "$cache_dir" ]]; then
  if [[ -d /var/cache/flotilla/rootfs-bookworm ]]; then cache_dir=/var/cache/flotilla; else cache_dir="$repo_dir/.deploy-cache"; fi
fi
base_rootfs="$cache_dir/rootfs-bookworm"
rootfs="$cache_dir/rootfs-bookworm-worker"
if [[ ! -d "$base_rootfs" ]]; then
  echo "error: $base_rootfs is missing (build-base-image.sh keeps it there); remove the base image and run again." >&2
  exit 1
fi

log "deriving $rootfs from $base_rootfs and installing: ${packages[*]}"
as_root rm -rf "$rootfs"
as_root cp -a "$base_rootfs" "$rootfs"
as_root cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
# Maintainer scripts must not start containerd inside the chroot.
printf '#!/bin/sh\nexit 101\n' | as_root tee "$rootfs/usr/sbin/policy-rc.d" >/dev/null
as_root chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
as_root mount -t proc proc "$rootfs/proc"
cleanup() { as_root umount "$rootfs/proc" 2>/dev/null || true; }
trap cleanup EXIT
started=$SECONDS
{
  as_root chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get -q update &&
    as_root chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
      --no-install-recommends install "${packages[@]}"
} >"$cache_dir/worker-apt.log" 2>&1 || {
  echo "error: installing the worker packages failed; see $cache_dir/worker-apt.log" >&2
  tail -n 20 "$cache_dir/worker-apt.log" >&2
  exit 1
}
cleanup
trap - EXIT
as_root rm -f "$rootfs/usr/sbin/policy-rc.d" "$rootfs/etc/resolv.conf"
as_root rm -rf "$rootfs"/usr/share/{doc,man,info}/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
log "worker packages installed in $((SECONDS - started))s"

as_root tar --numeric-owner --exclude=./.flotilla-debootstrap-done -C "$rootfs" -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL org.flotilla.node-version=$node_ver" \
    --change "LABEL org.flotilla.worker-base=$stamp" \
    --change 'CMD ["bash"]' \
    - "$tag" >/dev/null
docker run --rm "$tag" sh -c 'containerd --version && runc --version | head -n1 && ls /usr/lib/cni | tr "\n" " " && echo' |
  sed 's/^/[deploy] worker base: /'
