#!/usr/bin/env bash
# Fails when the committed generated code differs from what the .proto files
# produce, or when buf lint complains. CI runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/gen.sh"
cd "$root"
if ! git diff --exit-code -- proto/ || [ -n "$(git ls-files --others --exclude-standard proto/)" ]; then
  echo "generated code in proto/ is out of date: run scripts/gen.sh and commit" >&2
  exit 1
fi
echo "generated code is up to date"
