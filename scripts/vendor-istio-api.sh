#!/usr/bin/env bash
# Vendor what meshctl takes from Istio's own API definition (istio.io/api at the pinned release,
# from the Go module proxy):
#
#   scripts/vendor-istio-api.sh [ISTIO_API_VERSION]
#
# - vendor/istio.io/api/meshconfig.json: the field names of MeshConfig and of the messages meshctl
#   reads, and the values of the enums it reads (`--mesh-config` is checked against them), from
#   mesh/v1alpha1/config.proto. JSON names follow protobuf's JSON mapping: lowerCamelCase of the
#   field name (`mesh_mTLS` is `meshMTLS`).
# - vendor/istio.io/api/kinds.json: every Istio kind with its group, scope and served versions,
#   from kubernetes/customresourcedefinitions.gen.yaml (for unknown-kind and its did-you-mean).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-1.30.3}
OUT=vendor/istio.io/api/meshconfig.json
KINDS=vendor/istio.io/api/kinds.json

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dir=$(cd "$scratch" && go mod init scratch >/dev/null 2>&1 && go mod download -json "istio.io/api@v$VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
proto=$dir/mesh/v1alpha1/config.proto
crds=$dir/kubernetes/customresourcedefinitions.gen.yaml
for f in "$proto" "$crds"; do
  [ -f "$f" ] || { echo "istio.io/api@v$VERSION has no ${f#"$dir"/}" >&2; exit 1; }
done

# The direct fields of `message NAME` (JSON names, one per line).
fields() {
  awk -v want="$1" '
    function camel(s,   out, i, c, up) {
      out = ""; up = 0
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "_") { up = 1; continue }
        out = out (up ? toupper(c) : c); up = 0
      }
      return out
    }
    !inside && $0 ~ "^[ \t]*message[ \t]+" want "[ \t]*\\{" { inside = 1; depth = 0 }
    inside {
      line = $0; sub(/\/\/.*/, "", line)
      if (depth == 1 && match(line, /^[ \t]*(repeated[ \t]+)?[A-Za-z0-9_.]+(<[^>]*>)?[ \t]+[A-Za-z_0-9]+[ \t]*=[ \t]*[0-9]+/)) {
        n = line; sub(/[ \t]*=.*/, "", n); sub(/.*[ \t]/, "", n); print camel(n)
      }
      o = gsub(/\{/, "{", line); c = gsub(/\}/, "}", line); depth += o - c
      if (depth == 0 && o + c > 0) exit
    }' "$proto"
}

# The value names of `enum NAME` inside `message PARENT`.
enum_values() {
  awk -v parent="$1" -v want="$2" '
    !inp && $0 ~ "^[ \t]*message[ \t]+" parent "[ \t]*\\{" { inp = 1 }
    inp && !inside && $0 ~ "^[ \t]*enum[ \t]+" want "[ \t]*\\{" { inside = 1; next }
    inside && /\}/ { exit }
    inside { line = $0; sub(/\/\/.*/, "", line); if (match(line, /^[ \t]*[A-Z_0-9]+[ \t]*=/)) { sub(/[ \t]*=.*/, "", line); gsub(/[ \t]/, "", line); print line } }
  ' "$proto"
}

json_list() { awk 'BEGIN { printf "[" } { printf "%s\"%s\"", (NR > 1 ? ", " : ""), $0 } END { printf "]" }'; }

mkdir -p "$(dirname "$OUT")"
{
  printf '{\n  "source": "istio.io/api@v%s mesh/v1alpha1/config.proto",\n' "$VERSION"
  printf '  "MeshConfig": %s,\n' "$(fields MeshConfig | json_list)"
  printf '  "OutboundTrafficPolicy": %s,\n' "$(fields OutboundTrafficPolicy | json_list)"
  printf '  "OutboundTrafficPolicy.Mode": %s,\n' "$(enum_values OutboundTrafficPolicy Mode | json_list)"
  printf '  "IngressControllerMode": %s\n}\n' "$(enum_values MeshConfig IngressControllerMode | json_list)"
} > "$OUT"
# One line per CRD: group, kind, scope and the versions it serves.
awk -v source="istio.io/api@v$VERSION kubernetes/customresourcedefinitions.gen.yaml" '
  function flush() {
    if (kind != "") {
      printf "%s    {\"group\": \"%s\", \"kind\": \"%s\", \"namespaced\": %s, \"versions\": [%s]}", (n++ ? ",\n" : ""), group, kind, (scope == "Namespaced" ? "true" : "false"), versions
    }
    group = ""; kind = ""; scope = ""; versions = ""; inv = 0
  }
  BEGIN { printf "{\n  \"source\": \"%s\",\n  \"kinds\": [\n", source }
  /^---/ { flush(); next }
  /^  group: / { group = $2 }
  /^    kind: / { kind = $2 }
  /^  scope: / { scope = $2 }
  /^  versions:/ { inv = 1 }
  inv && /^  - name: / { v = $3 }
  inv && /^    name: / { v = $2 }
  inv && /^    served: true/ { versions = versions (versions == "" ? "" : ", ") "\"" v "\"" }
  END { flush(); printf "\n  ]\n}\n" }' "$crds" > "$KINDS"
echo "wrote $OUT and $KINDS from istio.io/api@v$VERSION" >&2
