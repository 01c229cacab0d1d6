#!/usr/bin/env bash
# meshctl, kubeconform and istioctl side by side on the same generated meshes.
#
#   benches/side-by-side.sh [time] [SERVICES…]   time each tool (default sizes: 200 2000 20000
#                                                services, about 1k, 10k and 100k resources)
#   benches/side-by-side.sh compare [PATH…]      what meshctl and `istioctl analyze` find in the
#                                                same files (default: a generated mesh with
#                                                defects, testdata/seed, testdata/bookinfo)
#
# The tools are built with `go install` into $MESHCTL_TOOLS (default ~/.cache/meshctl-tools) the
# first time and reused after that (istioctl takes 10-30 minutes to build on 2 cores):
#   kubeconform  github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION (latest)
#   istioctl     istio.io/istio/istioctl/cmd/istioctl@$ISTIO_VERSION (a pseudo-version the Go
#                module proxy serves; Istio's tags are not semver)
#
# What each tool runs (every tool reads the same directory of files):
#   meshctl      lint --no-config -f json DIR              (every rule)
#   kubeconform  -strict -summary -output json -schema-location SCHEMAS DIR, with meshctl's own JSON
#                schemas (schemas/, the same ones meshctl validates with) copied into SCHEMAS under
#                the names kubeconform's template asks for; there are no others offline, so kinds
#                without a schema are skipped (-ignore-missing-schemas)
#   istioctl     analyze --use-kube=false --all-namespaces -o json --timeout 1h DIR
# Each is timed $RUNS times (default 3) with /usr/bin/time: the best wall time, its CPU time (user +
# sys, less disturbed by other load on the machine than wall time) and the largest peak RSS.
# A tool that runs longer than $TOOL_TIMEOUT (default 900 s) is stopped and reported as such.
# TOOLS (default "meshctl kubeconform istioctl") chooses the tools; MESHCTL and GEN_MESH name
# prebuilt binaries instead of this checkout's release build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=${MESHCTL_TOOLS:-$HOME/.cache/meshctl-tools}
KUBECONFORM_VERSION=${KUBECONFORM_VERSION:-latest}
ISTIO_VERSION=${ISTIO_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}
RUNS=${RUNS:-3}
TOOL_TIMEOUT=${TOOL_TIMEOUT:-900}
work=$root/target/side-by-side
kubeconform=$tools/kubeconform/bin/kubeconform
istioctl=$tools/istio/bin/istioctl
meshctl=${MESHCTL:-$root/target/release/meshctl}
gen_mesh=${GEN_MESH:-$root/target/release/examples/gen_mesh}
TOOLS=${TOOLS:-meshctl kubeconform istioctl}
wants() { [[ " $TOOLS " == *" $1 "* ]]; }

build_tools() {
  mkdir -p "$tools"
  if wants kubeconform && [ ! -x "$kubeconform" ]; then
    echo "building kubeconform@$KUBECONFORM_VERSION" >&2
    GOBIN=$tools/kubeconform/bin nice -n 19 go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  fi
  if wants istioctl && [ ! -x "$istioctl" ]; then
    echo "building istioctl@$ISTIO_VERSION (10-30 minutes)" >&2
    # The flags of Istio's own build (Makefile.core.mk, common/scripts/gobuild.sh).
    CGO_ENABLED=0 GOBIN=$tools/istio/bin nice -n 19 go install -trimpath -tags=vtprotobuf,disable_pgv \
      -ldflags "-s -w -X istio.io/istio/pkg/version.buildVersion=$ISTIO_VERSION -X istio.io/istio/pkg/version.buildStatus=Clean" \
      "istio.io/istio/istioctl/cmd/istioctl@$ISTIO_VERSION"
  fi
  if [ -z "${MESHCTL:-}" ] || [ -z "${GEN_MESH:-}" ]; then
    cargo build --release --quiet --bin meshctl --example gen_mesh
  fi
}

# meshctl's schemas under kubeconform's names: {{.Group}}.{{.ResourceAPIVersion}}.{{.ResourceKind}}
# is `networking.istio.io.v1.virtualservice`, `apps.v1.deployment`, and `v1.v1.service` for the
# core group. kubeconform compiles schemas without `$schema` as draft 4; meshctl's are 2020-12.
kubeconform_schemas() {
  local dir=$work/kubeconform-schemas
  rm -rf "$dir"
  mkdir -p "$dir"
  for f in "$root"/schemas/*.json; do
    local stem group version kind
    stem=$(basename "$f" .json)
    kind=${stem##*.}
    stem=${stem%.*}
    version=${stem##*.}
    group=${stem%.*}
    [ "$group" = core ] && group=$version
    {
      printf '{"$schema": "https://json-schema.org/draft/2020-12/schema",'
      tail -c +2 "$f"
    } >"$dir/$group.$version.${kind,,}.json"
  done
  echo "$dir"
}

# measure NAME CMD…: best wall time, its CPU time, largest peak RSS over $RUNS runs.
measure() {
  local name=$1
  shift
  local best="" cpu="" rss=0 out=$work/time.txt
  for _ in $(seq "$RUNS"); do
    if ! /usr/bin/time -o "$out" -f "%e %U %S %M" timeout "$TOOL_TIMEOUT" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
      if grep -q "Command terminated by signal\|Command exited with non-zero status 124" "$out"; then
        echo "| $name | stopped after ${TOOL_TIMEOUT} s | | |"
        return
      fi
    fi
    read -r wall user sys kb < <(tail -1 "$out")
    if [ -z "$best" ] || awk "BEGIN { exit !($wall < $best) }"; then
      best=$wall
      cpu=$(awk "BEGIN { printf \"%.2f\", $user + $sys }")
    fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  echo "| $name | $best s | $cpu s | $((rss / 1024)) MB |"
}

time_tools() {
  local sizes=("$@")
  [ ${#sizes[@]} -eq 0 ] && sizes=(200 2000 20000)
  build_tools
  mkdir -p "$work"
  local schemas
  schemas=$(kubeconform_schemas)
  local versions="meshctl $("$meshctl" --version | awk '{print $2}') ($(git rev-parse --short HEAD))"
  # `go install` builds report "development" as their version; the module version is in the binary.
  if wants kubeconform; then versions+=", kubeconform $(go version -m "$kubeconform" | awk '$1 == "mod" { print $3 }')"; fi
  if wants istioctl; then versions+=", istioctl $(go version -m "$istioctl" | awk '$1 == "mod" { print $3 }')"; fi
  versions+=", $(go version | awk '{ print $3 }')"
  echo "$versions"
  echo "$(nproc) cores, $(date -u +%Y-%m-%d), runs: $RUNS"
  for n in "${sizes[@]}"; do
    local dir=$work/mesh-$n
    if [ ! -d "$dir" ]; then
      "$gen_mesh" --services "$n" --out "$dir" | head -1 >"$work/mesh-$n.txt"
    fi
    echo
    echo "$(cat "$work/mesh-$n.txt" | cut -d' ' -f1-7), $(du -sh "$dir" | cut -f1)"
    echo "| tool | wall | CPU | peak RSS |"
    echo "| --- | ---: | ---: | ---: |"
    if wants meshctl; then measure meshctl "$meshctl" lint --no-config -f json "$dir"; fi
    if wants kubeconform; then
      measure kubeconform "$kubeconform" -strict -summary -output json -ignore-missing-schemas \
        -schema-location "$schemas/{{.Group}}.{{.ResourceAPIVersion}}.{{.ResourceKind}}.json" "$dir"
    fi
    if wants istioctl; then measure istioctl "$istioctl" analyze --use-kube=false --all-namespaces -o json --timeout 1h "$dir"; fi
  done
}

# compare PATH…: per input, meshctl's findings (by the IST code of their rule) and istioctl's.
compare() {
  build_tools
  mkdir -p "$work"
  local inputs=("$@")
  if [ ${#inputs[@]} -eq 0 ]; then
    local dir=$work/defects
    rm -rf "$dir"
    "$gen_mesh" --services 50 --dangling-hosts 3 --dangling-subsets 3 --out "$dir" >/dev/null
    inputs=("$dir" testdata/seed/manifests.yaml testdata/bookinfo)
  fi
  "$meshctl" rules -f json >"$work/rules.json"
  for p in "${inputs[@]}"; do
    echo "== $p"
    "$meshctl" lint --no-config -f json "$p" >"$work/meshctl.json" || true
    "$istioctl" analyze --use-kube=false --all-namespaces -o json --timeout 10m "$p" >"$work/istioctl.json" 2>"$work/istioctl.err" || true
    python3 - "$work/rules.json" "$work/meshctl.json" "$work/istioctl.json" <<'EOF'
import json, sys
from collections import Counter
rules = {r["code"]: r["istio_code"] for r in json.load(open(sys.argv[1]))}
mesh = json.load(open(sys.argv[2]))["diagnostics"]
try:
    ist = json.load(open(sys.argv[3]))
except ValueError:
    ist = []
m = Counter(f'{rules.get(d["code"]) or "-"} {d["code"]}' for d in mesh)
i = Counter(f'{d["code"]} {d["level"]}' for d in ist)
print("meshctl (IST code, MESH code):", dict(sorted(m.items())) or "nothing")
print("istioctl (code, level):       ", dict(sorted(i.items())) or "nothing")
for d in ist:
    print("  istioctl", d["code"], d["origin"], "-", d["message"][:150])
EOF
  done
}

case ${1:-time} in
  compare) shift; compare "$@" ;;
  time) shift || true; time_tools "$@" ;;
  *) time_tools "$@" ;;
esac
