#!/usr/bin/env bash
# Vendor the upstream schemas meshctl validates with, from the Go module proxy:
#
#   scripts/vendor-schemas.sh
#   MESHCTL_BLESS=1 cargo test --lib schema::upstream   # then regenerate schemas/ from vendor/
#
# Raw inputs, descriptions dropped (they are documentation, and 80% of the bytes), everything else
# kept as upstream wrote it, x-kubernetes-* extensions and CEL rules included:
#
# - vendor/istio.io/api/vX.Y.Z.json: every CRD of kubernetes/customresourcedefinitions.gen.yaml
#   (module istio.io/api): group, kind, scope and, per distinct openAPIV3Schema, the served
#   versions that share it. ISTIO_RELEASES are the newest patch of each of the last three minor
#   releases that `go list -m -versions istio.io/api` lists, and the newest pre-release newer
#   than them if there is one (none on 2026-12-02: 1.30.8, 1.31.4, 1.32.0).
# - vendor/sigs.k8s.io/gateway-api/vX.Y.Z-{standard,experimental}.json: the same for the CRDs of
#   config/crd/{standard,experimental}/ (module sigs.k8s.io/gateway-api, newest release). Its
#   go.mod asks for a newer Go than the pinned toolchain, so the zip comes straight from the proxy.
# - vendor/k8s.io/kubernetes/vX.Y.Z.json: the components.schemas of
#   api/openapi-spec/v3/{api__v1,apis__apps__v1}_openapi.json (module k8s.io/kubernetes, the
#   release scripts/kube-testenv.sh runs) reachable from the core kinds meshctl reads, and under
#   "go_validation" the enums that the API server checks only in Go (pkg/apis/core/validation:
#   `field.NotSupported(<field>, …, sets.List(<set>))`), each set's values read from the source
#   and its constants from pkg/apis/core/types.go: OpenAPI has no enum for Service `type` or a
#   port's `protocol`.
set -euo pipefail
cd "$(dirname "$0")/.."
ISTIO_RELEASES=${ISTIO_RELEASES:-"1.30.8 1.31.4 1.32.0"}
GATEWAY_API_VERSION=${GATEWAY_API_VERSION:-1.7.0}
KUBE_VERSION=${KUBE_VERSION:-1.36.3}
GOPROXY_URL=${GOPROXY_URL:-https://proxy.golang.org}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && go mod init scratch >/dev/null 2>&1)
module_dir() {
  (cd "$scratch" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}

# CRD YAML files -> {source, crds: [{group, kind, scope, schemas: [{versions, openAPIV3Schema}]}]}
crds_json() {
  python3 - "$@" <<'EOF'
import json, sys, yaml

def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(x) for x in node]
    return node

source, files = sys.argv[1], sys.argv[2:]
crds = []
for path in files:
    for doc in yaml.safe_load_all(open(path)):
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        schemas = []
        for v in spec["versions"]:
            if not v.get("served", False):
                continue
            schema = strip(v["schema"]["openAPIV3Schema"])
            same = next((s for s in schemas if s["openAPIV3Schema"] == schema), None)
            if same is None:
                same = {"versions": [], "openAPIV3Schema": schema}
                schemas.append(same)
            same["versions"].append(v["name"])
        crds.append({"group": spec["group"], "kind": spec["names"]["kind"], "scope": spec["scope"], "schemas": schemas})
crds.sort(key=lambda c: (c["group"], c["kind"]))
json.dump({"source": source, "crds": crds}, sys.stdout, indent=1, sort_keys=False)
print()
EOF
}

mkdir -p vendor/istio.io/api vendor/sigs.k8s.io/gateway-api vendor/k8s.io/kubernetes
rm -f vendor/istio.io/api/v*.json vendor/sigs.k8s.io/gateway-api/v*.json vendor/k8s.io/kubernetes/v*.json

for release in $ISTIO_RELEASES; do
  dir=$(module_dir "istio.io/api@v$release")
  crds=$dir/kubernetes/customresourcedefinitions.gen.yaml
  [ -f "$crds" ] || { echo "istio.io/api@v$release has no kubernetes/customresourcedefinitions.gen.yaml" >&2; exit 1; }
  crds_json "istio.io/api@v$release kubernetes/customresourcedefinitions.gen.yaml" "$crds" > "vendor/istio.io/api/v$release.json"
done

curl -fsS -o "$scratch/gateway-api.zip" "$GOPROXY_URL/sigs.k8s.io/gateway-api/@v/v$GATEWAY_API_VERSION.zip"
(cd "$scratch" && unzip -q gateway-api.zip "sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION/config/crd/*")
for channel in standard experimental; do
  crds_json "sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION config/crd/$channel" \
    "$scratch/sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION/config/crd/$channel"/gateway.networking.*.yaml \
    > "vendor/sigs.k8s.io/gateway-api/v$GATEWAY_API_VERSION-$channel.json"
done

dir=$(module_dir "k8s.io/kubernetes@v$KUBE_VERSION")
python3 - "k8s.io/kubernetes@v$KUBE_VERSION api/openapi-spec/v3" "$dir/api/openapi-spec/v3" "$dir" > "vendor/k8s.io/kubernetes/v$KUBE_VERSION.json" <<'EOF'
import json, re, sys

source, spec_dir, module_dir = sys.argv[1], sys.argv[2], sys.argv[3]
ROOTS = {
    "io.k8s.api.core.v1.Namespace": "api__v1_openapi.json",
    "io.k8s.api.core.v1.Service": "api__v1_openapi.json",
    "io.k8s.api.core.v1.Secret": "api__v1_openapi.json",
    "io.k8s.api.core.v1.Pod": "api__v1_openapi.json",
    "io.k8s.api.apps.v1.Deployment": "apis__apps__v1_openapi.json",
    "io.k8s.api.apps.v1.StatefulSet": "apis__apps__v1_openapi.json",
    "io.k8s.api.apps.v1.DaemonSet": "apis__apps__v1_openapi.json",
}
PREFIX = "#/components/schemas/"

def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(x) for x in node]
    return node

def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v[len(PREFIX):]
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for x in node:
            yield from refs(x)

docs = {}
for name in set(ROOTS.values()):
    docs.update(json.load(open(f"{spec_dir}/{name}"))["components"]["schemas"])
kept, todo = {}, list(ROOTS)
while todo:
    name = todo.pop()
    if name in kept:
        continue
    kept[name] = strip(docs[name])
    todo.extend(refs(kept[name]))
# (definition, field, Go set): each pair is checked below against the call that uses the set.
GO_ENUMS = [
    ("io.k8s.api.core.v1.ServiceSpec", "type", "supportedServiceType"),
    ("io.k8s.api.core.v1.ServiceSpec", "sessionAffinity", "supportedSessionAffinityType"),
    ("io.k8s.api.core.v1.ServiceSpec", "internalTrafficPolicy", "supportedServiceInternalTrafficPolicy"),
    ("io.k8s.api.core.v1.ServicePort", "protocol", "supportedPortProtocols"),
    ("io.k8s.api.core.v1.ContainerPort", "protocol", "supportedPortProtocols"),
]
validation_go = open(f"{module_dir}/pkg/apis/core/validation/validation.go").read()
types_go = open(f"{module_dir}/pkg/apis/core/types.go").read()
constants = dict(re.findall(r'^\s*(\w+)\s+\w+\s*=\s*"([^"]*)"', types_go, re.M))
go_validation = {}
for definition, field, go_set in GO_ENUMS:
    declared = re.search(r"var %s = sets\.New\(([^)]*)\)" % go_set, validation_go, re.S)
    used = re.search(r'NotSupported\([^\n]*Child\("%s"\)[^\n]*sets\.List\(%s\)' % (field, go_set), validation_go)
    if not declared or not used or definition not in kept:
        sys.exit(f"vendor-schemas: {go_set} for {definition}.{field} is not where it was in validation.go")
    names = [c.strip().removeprefix("core.") for c in declared.group(1).split(",") if c.strip()]
    line = validation_go[: used.start()].count("\n") + 1
    go_validation.setdefault(definition, {})[field] = {
        "enum": sorted(constants[n] for n in names),
        "source": f"pkg/apis/core/validation/validation.go:{line} ({go_set})",
    }
json.dump({"source": source, "roots": sorted(ROOTS), "schemas": dict(sorted(kept.items())),
           "go_validation": go_validation}, sys.stdout, indent=1)
print()
EOF

du -b vendor/istio.io/api/v*.json vendor/sigs.k8s.io/gateway-api/v*.json vendor/k8s.io/kubernetes/v*.json >&2
