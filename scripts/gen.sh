#!/usr/bin/env bash
# Regenerates the Go code of proto/ with pinned tool versions (tools/buf,
# tools/protogen) and lints the contracts. Needs only Go and the module proxy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin"
mkdir -p "$bin"
export GOWORK=off
for tool in buf:github.com/bufbuild/buf/cmd/buf \
            protogen:google.golang.org/protobuf/cmd/protoc-gen-go \
            protogen:google.golang.org/grpc/cmd/protoc-gen-go-grpc; do
  mod=${tool%%:*} pkg=${tool#*:}
  name=$(basename "$pkg")
  if [ ! -x "$bin/$name" ] || [ "$root/tools/$mod/go.mod" -nt "$bin/$name" ]; then
    (cd "$root/tools/$mod" && go build -o "$bin/$name" "$pkg")
  fi
done
export PATH="$bin:$PATH"
cd "$root/proto"
buf lint
buf generate
