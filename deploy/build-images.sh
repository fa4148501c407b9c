#!/usr/bin/env bash
# Builds flotilla/control-plane:<tag> and flotilla/node-agent:<tag> without network access from
# the build: the apps are built here on the host, production node_modules are installed once into
# a staging folder, and only those files are sent to `docker build`.
#
# Env:
#   BASE_IMAGE           FROM image (default: the offline base from build-base-image.sh;
#                        users with a registry can set e.g. BASE_IMAGE=node:20-bookworm-slim)
#   WORKER_BASE_IMAGE    FROM image of flotilla/node-agent (default: build-worker-base-image.sh's,
#                        the base plus containerd, runc, CNI plugins, conntrack)
#   FLOTILLA_IMAGE_TAG   tag of the built images (default dev)
# Also builds flotilla/prometheus:<tag> (build-prometheus-image.sh) and flotilla/registry:<tag>
# (build-registry-image.sh: the pause and demo-web images for the workers).
set -euo pipefail

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$deploy_dir")"
# shellcheck source=deploy/common.sh
source "$deploy_dir/common.sh"
cd "$repo_dir"

# An app gets an image once it has an entry point (node-agent arrives in a later issue).
apps=()
for app in control-plane node-agent; do
  if [[ -f "apps/$app/src/main.ts" ]]; then
    apps+=("$app")
  else
    log "warning: no apps/$app/src/main.ts yet; not building flotilla/$app"
  fi
done
image_tag="${FLOTILLA_IMAGE_TAG:-dev}"
base_image="${BASE_IMAGE:-$(base_image_tag)}"
staging=.deploy-cache/prod
context=.deploy-cache/context

# An explicit BASE_IMAGE may come from a registry (docker build pulls it); the default cannot.
if [[ -z "${BASE_IMAGE:-}" ]] && ! docker image inspect "$base_image" >/dev/null 2>&1; then
  echo "error: base image $base_image is missing; run 'bash deploy/provision-docker.sh' (or set BASE_IMAGE)." >&2
  exit 1
fi

# An image must never carry a stale dist/: build.mjs rebuilds whenever a source's content changed.
log "building dist/ (when its sources changed)"
node deploy/build.mjs --if-stale

# Production dependencies, reinstalled only when the lockfile or the dependency list changes.
# --ignore-scripts is safe: classic-level ships prebuilt bindings that node-gyp-build loads at runtime.
lock_hash="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ -f "$staging/.lock-hash" && "$(cat "$staging/.lock-hash")" == "$lock_hash" ]]; then
  log "production node_modules are up to date ($staging)"
else
  log "installing production node_modules into $staging"
  rm -rf "$staging"
  mkdir -p "$staging"
  cp package.json package-lock.json "$staging/"
  (cd "$staging" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$staging/.lock-hash"
fi

# The workers' base: derived from the base once (chroot apt), rebuilt when node or the list changes.
if [[ -z "${WORKER_BASE_IMAGE:-}" && " ${apps[*]} " == *" node-agent "* ]]; then
  bash "$deploy_dir/build-worker-base-image.sh"
fi

# A small context: hard links, so preparing it costs no copying.
rm -rf "$context"
mkdir -p "$context/apps"
cp -al "$staging/node_modules" "$context/node_modules"
for app in "${apps[@]}"; do
  if [[ ! -f "dist/apps/$app/main.js" ]]; then
    echo "error: dist/apps/$app/main.js is missing after the build." >&2
    exit 1
  fi
  cp -al "dist/apps/$app" "$context/apps/$app"
  # /version and flotilla_build_info read it next to the bundle.
  cp dist/build-info.json "$context/apps/$app/build-info.json"
done
cp "$deploy_dir/worker-entrypoint.sh" "$context/worker-entrypoint.sh"

for app in "${apps[@]}"; do
  from="$base_image"
  [[ "$app" != node-agent ]] || from="${WORKER_BASE_IMAGE:-$(worker_base_image_tag)}"
  log "docker build flotilla/$app:$image_tag (FROM $from)"
  docker build --quiet \
    --build-arg "BASE_IMAGE=$from" \
    --label "org.flotilla.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    -f "$deploy_dir/Dockerfile.$app" \
    -t "flotilla/$app:$image_tag" \
    "$context"
done
# Prometheus for the compose file and the e2e suites: same base, host-packaged binary.
bash "$deploy_dir/build-prometheus-image.sh"
# The workers' registry, holding the pause and demo-web images.
bash "$deploy_dir/build-registry-image.sh"
# Earlier builds of these tags, now untagged, would otherwise pile up.
docker image prune --force --filter label=org.flotilla.revision >/dev/null
docker image ls --filter 'reference=flotilla/*' --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
