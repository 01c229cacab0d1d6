#!/usr/bin/env bash
# A real Kubernetes control plane (etcd + kube-apiserver, loopback only) for meshctl's cluster tests.
#
#   scripts/kube-testenv.sh build   build kube-apiserver and etcd from the Go module proxy (cached)
#   scripts/kube-testenv.sh start   build if needed, start both, install the CRDs meshctl validates against
#                                   (Istio's and Gateway API's experimental channel), write a kubeconfig
#   scripts/kube-testenv.sh stop    stop the processes this script started (pid files only)
#
# Binaries and scratch Go modules live in ${MESHCTL_TESTENV_CACHE:-$HOME/.cache/meshctl-testenv}/<versions>,
# so a version bump rebuilds and everything else reuses the cache. Runtime state (certificates, etcd data,
# logs, pid files, kubeconfig) lives in ${MESHCTL_TESTENV:-target/testenv}.
set -euo pipefail

KUBE_VERSION=1.36.3
ETCD_VERSION=3.6.14
# The CRDs meshctl validates against by default (scripts/vendor-schemas.sh vendors the same): the
# newest Istio release's, and the Gateway API release's experimental channel.
ISTIO_API_VERSION=1.32.0
GATEWAY_API_VERSION=1.7.0
GOPROXY_URL=${GOPROXY_URL:-https://proxy.golang.org}
TOKEN=meshctl-test-token

CACHE_ROOT=${MESHCTL_TESTENV_CACHE:-$HOME/.cache/meshctl-testenv}
CACHE=$CACHE_ROOT/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION
BIN=$CACHE/bin
STATE=${MESHCTL_TESTENV:-target/testenv}

say() { printf 'kube-testenv: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

staging_replaces() {
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@v$KUBE_VERSION's go.mod"
  sed -n 's|^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*|\1|p' "$gomod"
}

build_kube_apiserver() {
  local dir=$CACHE/kube-module ldf p
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || printf 'module local/meshctl-testenv-kube\n\ngo 1.26\n' > go.mod
    staging_replaces | while read -r m; do go mod edit -replace="$m=$m@v0.${KUBE_VERSION#1.}"; done
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBE_VERSION"
    ldf="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf="$ldf -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
      ldf="$ldf -X $p.gitTreeState=clean"
    done
    CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$ldf" -o "$BIN/kube-apiserver.tmp" \
      k8s.io/kubernetes/cmd/kube-apiserver
    mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
  )
}

build_etcd() {
  local dir=$CACHE/etcd-module
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || printf 'module local/meshctl-testenv-etcd\n\ngo 1.26\n' > go.mod
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "$BIN/etcd.tmp" "$BIN/etcd"
  )
}

cmd_build() {
  command -v go >/dev/null || die "Go is needed to build kube-apiserver and etcd (go.dev/doc/install)"
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] && return 0
  mkdir -p "$BIN"
  local log=$CACHE/build.log start=$SECONDS
  say "building kube-apiserver v$KUBE_VERSION and etcd v$ETCD_VERSION into $BIN"
  say "the first build takes many minutes (about 15-25 on 2 cores); output goes to $log"
  {
    [ -x "$BIN/etcd" ] || build_etcd
    [ -x "$BIN/kube-apiserver" ] || build_kube_apiserver
  } > "$log" 2>&1 || { tail -n 30 "$log" >&2; die "build failed; see $log"; }
  say "built in $((SECONDS - start)) s"
}

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# Whether the pid in a pid file is alive and still runs one of our binaries.
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && grep -q "$BIN" "/proc/$pid/cmdline" 2>/dev/null
}

make_certs() {
  local d=$1
  command -v openssl >/dev/null || die "openssl is needed to make the test CA (apt-get install openssl)"
  openssl req -x509 -new -nodes -newkey rsa:2048 -days 3650 -subj /CN=meshctl-testenv-ca \
    -keyout "$d/ca.key" -out "$d/ca.crt" -config <(printf '%s\n' '[req]' 'distinguished_name=dn' \
      'x509_extensions=v3' '[dn]' '[v3]' 'basicConstraints=critical,CA:TRUE' \
      'keyUsage=critical,keyCertSign,cRLSign' 'subjectKeyIdentifier=hash') 2>/dev/null
  openssl req -new -nodes -newkey rsa:2048 -subj /CN=kube-apiserver -keyout "$d/apiserver.key" \
    -out "$d/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -out "$d/apiserver.crt" -extfile <(printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
      'subjectAltName=IP:127.0.0.1,DNS:localhost') 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  printf '%s,meshctl-admin,1000,"system:masters"\n' "$TOKEN" > "$d/tokens.csv"
}

# curl against the apiserver with the test CA and token; extra arguments follow.
kcurl() {
  curl -sS --max-time 10 --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$@"
}

wait_for() {
  local what=$1 tries=$2; shift 2
  local i
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "$what did not become ready; logs in $STATE"
}

# Apply one CRD manifest (server-side apply) and remember its name, to wait for it to be established.
# Other manifests (Gateway API's safe-upgrades ValidatingAdmissionPolicy) are left out.
apply_crd() {
  local name
  grep -q '^kind: CustomResourceDefinition$' "$1" || return 0
  name=$(awk '/^metadata:/ { m = 1; next } m && /^  name:/ { print $2; exit }' "$1")
  [ -n "$name" ] || return 0
  kcurl -f -o /dev/null -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary "@$1" \
    "$SERVER/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$name?fieldManager=kube-testenv&force=true" \
    || die "could not install the CRD $name"
  echo "$name" >> "$STATE/crds/names"
}

install_crds() {
  local dir file zip n name
  rm -rf "$STATE/crds" && mkdir -p "$STATE/crds"
  dir=$(cd "$STATE" && go mod download -json "istio.io/api@v$ISTIO_API_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  file=$dir/kubernetes/customresourcedefinitions.gen.yaml
  [ -f "$file" ] || die "istio.io/api@v$ISTIO_API_VERSION has no $file"
  awk -v d="$STATE/crds" 'BEGIN { n = 0 } /^---$/ { n++; next } { print > (d "/istio-" n ".yaml") }' "$file"
  # Gateway API's go.mod asks for a newer Go than the pinned toolchain, so `go mod download` refuses
  # the module: its zip comes straight from the proxy (as in scripts/vendor-schemas.sh), cached.
  zip=$CACHE_ROOT/gateway-api-v$GATEWAY_API_VERSION.zip
  if [ ! -f "$zip" ]; then
    curl -fsS -o "$zip.tmp" "$GOPROXY_URL/sigs.k8s.io/gateway-api/@v/v$GATEWAY_API_VERSION.zip" \
      || die "could not download sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION"
    mv "$zip.tmp" "$zip"
  fi
  (cd "$STATE/crds" && unzip -qjo "$zip" \
    "sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION/config/crd/experimental/gateway.networking.*.yaml") \
    || die "sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION has no config/crd/experimental/"
  for f in "$STATE"/crds/*.yaml; do apply_crd "$f"; done
  n=0
  while read -r name; do
    wait_for "CRD $name" 60 crd_established "$name"
    n=$((n + 1))
  done < "$STATE/crds/names"
  say "installed $n CRDs: istio.io/api v$ISTIO_API_VERSION, sigs.k8s.io/gateway-api v$GATEWAY_API_VERSION experimental"
}

crd_established() {
  kcurl -f "$SERVER/apis/apiextensions.k8s.io/v1/customresourcedefinitions/$1" |
    tr -d ' \n' | grep -q '"type":"Established","status":"True"'
}

cmd_start() {
  local start=$SECONDS ep pp ap
  cmd_build
  mkdir -p "$STATE"
  STATE=$(cd "$STATE" && pwd)
  if alive "$STATE/etcd.pid" && alive "$STATE/kube-apiserver.pid"; then
    say "already running; kubeconfig: $STATE/kubeconfig"
    return 0
  fi
  cmd_stop 2>/dev/null
  rm -rf "$STATE/etcd" "$STATE/pki" && mkdir -p "$STATE/pki"
  make_certs "$STATE/pki"
  ep=$(free_port); pp=$(free_port); ap=$(free_port)
  SERVER=https://127.0.0.1:$ap
  nohup "$BIN/etcd" --name=meshctl --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ep" --advertise-client-urls="http://127.0.0.1:$ep" \
    --listen-peer-urls="http://127.0.0.1:$pp" --initial-advertise-peer-urls="http://127.0.0.1:$pp" \
    --initial-cluster="meshctl=http://127.0.0.1:$pp" --unsafe-no-fsync --log-level=warn \
    > "$STATE/etcd.log" 2>&1 &
  echo $! > "$STATE/etcd.pid"
  wait_for etcd 60 curl -sf --max-time 2 "http://127.0.0.1:$ep/health"
  nohup "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ep" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$ap" \
    --cert-dir="$STATE/pki" --tls-cert-file="$STATE/pki/apiserver.crt" \
    --tls-private-key-file="$STATE/pki/apiserver.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$STATE/pki/sa.key" --service-account-signing-key-file="$STATE/pki/sa.key" \
    --token-auth-file="$STATE/pki/tokens.csv" --authorization-mode=RBAC \
    --service-cluster-ip-range=10.0.0.0/24 --disable-admission-plugins=ServiceAccount \
    --allow-privileged=true --endpoint-reconciler-type=none \
    --enable-priority-and-fairness=false --profiling=false \
    > "$STATE/kube-apiserver.log" 2>&1 &
  echo $! > "$STATE/kube-apiserver.pid"
  wait_for kube-apiserver 600 kcurl -f "$SERVER/readyz"
  wait_for "namespace default" 120 kcurl -f "$SERVER/api/v1/namespaces/default"
  install_crds
  cat > "$STATE/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: meshctl-testenv
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 < "$STATE/pki/ca.crt")
users:
- name: meshctl-admin
  user:
    token: $TOKEN
contexts:
- name: meshctl-testenv
  context: {cluster: meshctl-testenv, user: meshctl-admin, namespace: default}
current-context: meshctl-testenv
KUBECONFIG
  say "ready in $((SECONDS - start)) s: export KUBECONFIG=$STATE/kubeconfig"
}

cmd_stop() {
  local f pid i
  for f in "$STATE/kube-apiserver.pid" "$STATE/etcd.pid"; do
    if alive "$f"; then
      pid=$(cat "$f")
      kill "$pid"
      for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$f"
  done
  rm -f "$STATE/kubeconfig"
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop; say "stopped" ;;
  *) echo "usage: $0 build|start|stop" >&2; exit 64 ;;
esac
