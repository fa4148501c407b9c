#!/usr/bin/env bash
# Runs compose on docker-compose.ha.yml with whichever compose the host has: `docker compose` (v2)
# or Debian's docker-compose 1.29. Arguments go to compose unchanged:
#   bash deploy/compose.sh up -d        bash deploy/compose.sh down -v
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file="$repo_dir/docker-compose.ha.yml"

if docker compose version >/dev/null 2>&1; then
  exec docker compose -f "$file" "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose -f "$file" "$@"
fi
echo "error: neither 'docker compose' nor docker-compose is installed; run 'bash deploy/provision-docker.sh'." >&2
exit 1
