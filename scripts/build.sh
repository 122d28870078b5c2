#!/usr/bin/env bash
# Builds the service binaries into ./bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p bin
for svc in hub context web; do
  go build -o "bin/unisson-$svc" "./services/$svc"
done
ls -1 bin
