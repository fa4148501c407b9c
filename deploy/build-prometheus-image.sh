#!/usr/bin/env bash
# Builds flotilla/prometheus:<tag>: the host's Debian `prometheus` package (installed here when
# missing) copied onto the project's base image, with deploy/prometheus/prometheus.yml baked in.
# No registry and no network inside the build.
#
# Env:
#   BASE_IMAGE           FROM image (default: the offline base from build-base-image.sh)
#   FLOTILLA_IMAGE_TAG   tag of the built image (default dev)
set -euo pipefail

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$deploy_dir")"
# shellcheck source=deploy/common.sh
source "$deploy_dir/common.sh"
cd "$repo_dir"

image="flotilla/prometheus:${FLOTILLA_IMAGE_TAG:-dev}"
base_image="${BASE_IMAGE:-$(base_image_tag)}"
context=.deploy-cache/prometheus-context
web=/usr/share/prometheus/web

if [[ -z "${BASE_IMAGE:-}" ]] && ! docker image inspect "$base_image" >/dev/null 2>&1; then
  echo "error: base image $base_image is missing; run 'bash deploy/provision-docker.sh' (or set BASE_IMAGE)." >&2
  exit 1
fi

if [[ ! -x /usr/bin/prometheus || ! -d "$web" ]]; then
  log "installing Debian's prometheus package (its service is not started)"
  apt_install_without_starting prometheus
fi

# The binary must run on the base image: Debian's build needs only libc (bookworm has it).
unexpected_libs="$(ldd /usr/bin/prometheus 2>/dev/null | awk '$1 !~ /^(linux-vdso|libc\.so|\/lib64\/ld-linux)/ { print $1 }' || true)"
if [[ -n "$unexpected_libs" ]]; then
  echo "error: /usr/bin/prometheus needs libraries the base image may lack: $unexpected_libs" >&2
  exit 1
fi

rm -rf "$context"
mkdir -p "$context/bin" "$context/web/static/moment-timezone"
cp /usr/bin/prometheus /usr/bin/promtool "$context/bin/"
# The UI's static files are symlinks into /usr/share/javascript: resolve them. moment-timezone
# holds 200 MB of data files of which the UI loads one.
tar -C "$web" --dereference --exclude=./static/moment-timezone -cf - . | tar -C "$context/web" -xf -
cp -L "$web/static/moment-timezone/moment-timezone-with-data.min.js" "$context/web/static/moment-timezone/"
cp "$deploy_dir/prometheus/prometheus.yml" "$context/prometheus.yml"
# Syntax only: the TLS files it names are mounted at run time (docker-compose.ha.yml).
/usr/bin/promtool check config --syntax-only "$context/prometheus.yml" >/dev/null

log "docker build $image (FROM $base_image, prometheus $(/usr/bin/prometheus --version 2>&1 | awk 'NR == 1 { print $3 }'))"
docker build --quiet \
  --build-arg "BASE_IMAGE=$base_image" \
  --label "org.flotilla.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  -f "$deploy_dir/Dockerfile.prometheus" \
  -t "$image" \
  "$context" >/dev/null
