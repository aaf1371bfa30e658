#!/usr/bin/env bash
# The chart's tools, pinned and built from their Go modules into the cache (never the repo):
#   - helm v4.3.2 (helm.sh/helm/v4/cmd/helm);
#   - k8s-validate (scripts/k8s-validate, k8s.io/api + apimachinery + apiextensions-apiserver v0.37.2);
#   - k8s-apiserver-validate (scripts/k8s-apiserver-validate, kube-apiserver's own create-time
#     defaulting and validation from module k8s.io/kubernetes v1.37.2; the longest build);
#   - the schemas it checks against, copied out of their published modules:
#       Kubernetes v1.37.2's OpenAPI (api/openapi-spec/swagger.json of module k8s.io/kubernetes),
#       KEDA v2.20.2's CRDs (config/crd/bases) and pulsar scaler sources (module github.com/kedacore/keda/v2).
# Idempotent: each piece is rebuilt only when missing or when its inputs change. Needs Go >= 1.26.
# Prints KEY=VALUE lines (HELM, K8S_VALIDATE, K8S_APISERVER_VALIDATE, K8S_OPENAPI, KEDA_CRDS, KEDA_PULSAR_SCALER):
#   eval "$(scripts/dev/tools.sh)"
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="${BEAMLINE_CACHE:-$HOME/.cache/beamline}/tools"
HELM_VERSION=v4.3.2
KUBERNETES_VERSION=v1.37.2
KEDA_VERSION=v2.20.2 # v2.21.x needs Go >= 1.27.4 to download; the pulsar scaler is the same
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
command -v go >/dev/null || { echo "tools: Go >= 1.26 is required (apt-get install golang, or /usr/local/go/bin on PATH)" >&2; exit 1; }
mkdir -p "$tools"

helm_dir="$tools/helm-$HELM_VERSION"
if [ ! -x "$helm_dir/bin/helm" ]; then
  echo "tools: building helm $HELM_VERSION from its Go module (several minutes on 2 cores)" >&2
  GOBIN="$helm_dir/bin.partial" go install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
  rm -rf "$helm_dir/bin" && mv "$helm_dir/bin.partial" "$helm_dir/bin"
fi

# One Go module download, printed as its extracted directory.
module_dir() {
  local out
  out=$(cd "$tools" && go mod download -json "$1" 2>/dev/null) || true
  local dir
  dir=$(printf '%s' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "tools: go mod download $1 failed: $(printf '%s' "$out" | sed -n 's/.*"Error": "\(.*\)".*/\1/p')" >&2
    return 1
  fi
  printf '%s\n' "$dir"
}

schemas="$tools/schemas-k8s-$KUBERNETES_VERSION-keda-$KEDA_VERSION"
if [ ! -f "$schemas/.complete" ]; then
  echo "tools: fetching Kubernetes $KUBERNETES_VERSION's OpenAPI and KEDA $KEDA_VERSION's CRDs from their Go modules" >&2
  rm -rf "$schemas" && mkdir -p "$schemas/keda-crds"
  k8s=$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")
  keda=$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")
  cp "$k8s/api/openapi-spec/swagger.json" "$schemas/kubernetes-swagger.json"
  cp "$keda/config/crd/bases/keda.sh_"*.yaml "$schemas/keda-crds/"
  cp "$keda/pkg/scalers/pulsar_scaler.go" "$schemas/keda-pulsar_scaler.go"
  cp "$keda/pkg/scalers/authentication/authentication_types.go" "$schemas/keda-authentication_types.go"
  chmod -R u+w "$schemas"
  printf 'kubernetes %s\nkeda %s\n' "$KUBERNETES_VERSION" "$KEDA_VERSION" > "$schemas/.complete"
fi

src="$repo/scripts/k8s-validate"
stamp=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
validate_dir="$tools/k8s-validate-$stamp"
if [ ! -x "$validate_dir/k8s-validate" ]; then
  echo "tools: building k8s-validate (k8s.io modules v0.37.2; several minutes on 2 cores)" >&2
  mkdir -p "$validate_dir"
  (cd "$src" && go build -o "$validate_dir/k8s-validate.partial" .) >&2
  mv "$validate_dir/k8s-validate.partial" "$validate_dir/k8s-validate"
fi

src="$repo/scripts/k8s-apiserver-validate"
stamp=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
apiserver_dir="$tools/k8s-apiserver-validate-$stamp"
if [ ! -x "$apiserver_dir/k8s-apiserver-validate" ]; then
  echo "tools: building k8s-apiserver-validate (module k8s.io/kubernetes v1.37.2; 10-20 minutes on 2 cores)" >&2
  mkdir -p "$apiserver_dir"
  (cd "$src" && go build -o "$apiserver_dir/k8s-apiserver-validate.partial" .) >&2
  mv "$apiserver_dir/k8s-apiserver-validate.partial" "$apiserver_dir/k8s-apiserver-validate"
fi

echo "HELM=$helm_dir/bin/helm"
echo "K8S_APISERVER_VALIDATE=$apiserver_dir/k8s-apiserver-validate"
echo "K8S_VALIDATE=$validate_dir/k8s-validate"
echo "K8S_OPENAPI=$schemas/kubernetes-swagger.json"
echo "KEDA_CRDS=$schemas/keda-crds"
echo "KEDA_PULSAR_SCALER=$schemas/keda-pulsar_scaler.go,$schemas/keda-authentication_types.go"
