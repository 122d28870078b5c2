#!/usr/bin/env bash
# Runs every check and every test of every module of the workspace, the way
# CI does. The tests start their own nats-server (embedded) and redis-server
# (a process on a random port); set NATS_URL / REDIS_URL to run them against
# servers of your own as well.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

need_redis() {
  [ -n "${REDIS_URL:-}" ] && return 0
  command -v redis-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing redis-server (the tests start their own on a random port)"
    # Keep the package from starting a system-wide server on port 6379.
    local policy=/usr/sbin/policy-rc.d created=
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    [ -n "$created" ] && rm -f "$policy"
    return 0
  fi
  echo "redis-server is missing: install it (sudo apt-get install redis-server) or set REDIS_URL" >&2
  exit 1
}

need_redis
echo "== go vet"
go vet work
echo "== generated code"
scripts/check-gen.sh
echo "== tests"
go test -race -shuffle=on -count=1 -timeout 15m "$@" work
