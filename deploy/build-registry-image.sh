#!/usr/bin/env bash
# Builds flotilla/registry:<tag>: Debian's docker-registry (distribution 2.8) on the project's base
# image, already holding the images every cluster needs offline: the pause image and
# flotilla/demo-web. They are made by `flotilla images build` (the same code that fills the
# on-machine lab's registry) and pushed into a registry started here on loopback, whose storage is
# then copied into the image. No network inside the build.
#
# Env:
#   BASE_IMAGE           FROM image (default: the offline base from build-base-image.sh)
#   FLOTILLA_IMAGE_TAG   tag of the built image (default dev)
# Needs dist/apps/flotilla (build-images.sh builds it first).
set -euo pipefail

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$deploy_dir")"
# shellcheck source=deploy/common.sh
source "$deploy_dir/common.sh"
cd "$repo_dir"

image="flotilla/registry:${FLOTILLA_IMAGE_TAG:-dev}"
base_image="${BASE_IMAGE:-$(base_image_tag)}"
context=.deploy-cache/registry-context
image_cache=.deploy-cache/worker-images

# The image tooling of libs/kubelet/src/host/packages.ts (IMAGE_PACKAGES).
missing=()
for pkg in docker-registry busybox-static umoci skopeo gcc libc6-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} (to build the worker images; the registry's service is not started)"
  apt_install_without_starting "${missing[@]}"
fi
if [[ ! -f dist/apps/flotilla/main.js ]]; then
  echo "error: dist/apps/flotilla/main.js is missing; run 'node deploy/build.mjs' (build-images.sh does)." >&2
  exit 1
fi

rm -rf "$context"
mkdir -p "$context/bin" "$context/storage"
cp /usr/bin/docker-registry "$context/bin/"
cat >"$context/config.yml" <<'YAML'
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
YAML

port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
staging_config="$repo_dir/$context/staging.yml"
sed -e "s#rootdirectory: .*#rootdirectory: $repo_dir/$context/storage#" -e "s#addr: .*#addr: 127.0.0.1:$port#" \
  "$context/config.yml" >"$staging_config"
docker-registry serve "$staging_config" >"$context/staging.log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
log "pushing the pause and demo-web images into $image (cache: $image_cache)"
node dist/apps/flotilla/main.js images build --registry "127.0.0.1:$port" --cache-dir "$repo_dir/$image_cache"
kill "$registry_pid"
wait "$registry_pid" 2>/dev/null || true
trap - EXIT
rm -f "$staging_config" "$context/staging.log"

docker build --quiet \
  --build-arg "BASE_IMAGE=$base_image" \
  --label "org.flotilla.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  -f "$deploy_dir/Dockerfile.registry" \
  -t "$image" \
  "$context" >/dev/null
log "built $image"
