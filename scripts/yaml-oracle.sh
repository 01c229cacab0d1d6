#!/usr/bin/env bash
# kubectl's YAML reader as a command, for tests/yaml_oracle.rs and fuzz/fuzz_targets/yaml_oracle.rs to
# check meshctl's reader against (see scripts/yaml-oracle/main.go for what it runs and prints).
#
#   scripts/yaml-oracle.sh build   build it from the Go module proxy (cached; a second call returns at once)
#   scripts/yaml-oracle.sh path    print where the binary is; exit 1 when it is not built yet
#
# The binary lives in ${MESHCTL_ORACLE_CACHE:-$HOME/.cache/meshctl-oracles}/<version>/yaml-oracle, where
# <version> names the Kubernetes version the module pins and a hash of the oracle's sources, so an
# edit or a version bump builds anew and everything else reuses the cache.
set -euo pipefail

KUBE_VERSION=1.36.3 # k8s.io/apimachinery v0.36.3 in yaml-oracle/go.mod; sigs.k8s.io/yaml as it requires
SRC=$(cd "$(dirname "$0")/yaml-oracle" && pwd)
HASH=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-12)
DIR=${MESHCTL_ORACLE_CACHE:-$HOME/.cache/meshctl-oracles}/yaml-k8s-$KUBE_VERSION-$HASH
BIN=$DIR/yaml-oracle

say() { printf 'yaml-oracle: %s\n' "$*" >&2; }

cmd_build() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || { say "error: Go is needed to build the oracle (go.dev/doc/install)"; exit 1; }
  mkdir -p "$DIR"
  local start=$SECONDS
  say "building kubectl's YAML reader (Kubernetes $KUBE_VERSION) into $BIN"
  (cd "$SRC" && CGO_ENABLED=0 nice -n 19 go build -mod=readonly -buildvcs=false -trimpath -ldflags "-s -w" \
    -o "$BIN.tmp.$$" .)
  mv "$BIN.tmp.$$" "$BIN"
  say "built in $((SECONDS - start)) s"
}

case "${1:-}" in
  build) cmd_build ;;
  path) echo "$BIN"; [ -x "$BIN" ] ;;
  *) echo "usage: $0 build|path" >&2; exit 64 ;;
esac
