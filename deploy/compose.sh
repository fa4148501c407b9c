#!/usr/bin/env bash
# Runs compose on docker-compose.ha.yml with whichever compose the host has: `docker compose` (v2)
# or Debian's docker-compose 1.29. Arguments go to compose unchanged:
#   bash deploy/compose.sh up -d        bash deploy/compose.sh down -v
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file="$repo_dir/docker-compose.ha.yml"

# The members share a secret on the peer port (the default token is public and refused off
# loopback). The first run writes a random one into .env beside the compose file: compose reads
# it there for this and every later command, so members started later get the same one.
env_file="$repo_dir/.env"
if [[ -z "${FLOTILLA_CLUSTER_TOKEN:-}" ]] && ! grep -qs '^FLOTILLA_CLUSTER_TOKEN=' "$env_file"; then
  printf 'FLOTILLA_CLUSTER_TOKEN=%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>"$env_file"
  echo "compose.sh: wrote a new FLOTILLA_CLUSTER_TOKEN into $env_file" >&2
fi

# TLS and RBAC like any other Flotilla cluster: the certificates (once) under ./data/compose, or
# $FLOTILLA_COMPOSE_DIR, which the compose file mounts; see deploy/compose-pki.sh.
bash "$repo_dir/deploy/compose-pki.sh"

if docker compose version >/dev/null 2>&1; then
  exec docker compose -f "$file" "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose -f "$file" "$@"
fi
echo "error: neither 'docker compose' nor docker-compose is installed; run 'bash deploy/provision-docker.sh'." >&2
exit 1
