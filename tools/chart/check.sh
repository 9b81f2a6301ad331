#!/usr/bin/env bash
# make chart-check: the chart (deploy/helm) linted, rendered three ways, schema-checked with
# kubeconform -strict (Kubernetes 1.33's schemas and the CRDs' own), then installed and upgraded on
# a real kube-apiserver on loopback (tools/kube/cluster.sh: no kubelet, so no pod runs), alone and
# as a subchart of SpaceONE's trimmed umbrella beside SpaceONE's inventory chart.
# Make passes the tools: HELM KUBECONFORM KUBE_DIR ETCD_DIR K8S_SCHEMAS CRD_SCHEMAS CRDS.
set -euo pipefail
: "${HELM:?}" "${KUBECONFORM:?}" "${KUBE_DIR:?}" "${ETCD_DIR:?}" "${K8S_SCHEMAS:?}" "${CRD_SCHEMAS:?}" "${CRDS:?}"

CHART=deploy/helm
ALL_ON=$CHART/ci/all-on-values.yaml
UMBRELLA_VALUES=tests/chart/umbrella/values.yaml
JOBTASK_VALUES=tests/chart/umbrella/jobtask-values.yaml
KUBECTL=$KUBE_DIR/kubectl
tmp=$(mktemp -d)
cluster=$tmp/cluster
cleanup() { tools/kube/cluster.sh stop "$cluster" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

began=$(date +%s%N)
step() {  # step NAME: prints the previous step's seconds, then this one's name
  local now tenths; now=$(date +%s%N) tenths=$(( ($(date +%s%N) - began) / 100000000 ))
  [[ -n ${current:-} ]] && echo "   $((tenths / 10)).$((tenths % 10)) s"
  began=$now current=$1
  [[ $1 == done ]] || echo "== chart: $1"
}
refused() {  # refused WHAT PATTERN CMD...: CMD must fail, saying PATTERN
  local what=$1 pattern=$2; shift 2
  if out=$("$@" 2>&1); then echo "chart: $what was accepted" >&2; exit 1; fi
  grep -q -- "$pattern" <<<"$out" || { echo "chart: $what failed otherwise:" >&2; echo "$out" >&2; exit 1; }
  echo "   refused as it should be: $what: $(grep -o -- "$pattern.\{0,60\}" <<<"$out" | head -1)"
}

# The umbrella: SpaceONE's (trimmed, tests/chart/umbrella) with this chart as charts/jobtask.
cp -r tests/chart/umbrella "$tmp/umbrella"
mkdir -p "$tmp/umbrella/charts" && cp -r "$CHART" "$tmp/umbrella/charts/jobtask"

step "helm lint (defaults, every option, the umbrella)"
"$HELM" lint --strict "$CHART" --quiet
"$HELM" lint --strict "$CHART" -f "$ALL_ON" --quiet
"$HELM" lint "$tmp/umbrella" -f "$UMBRELLA_VALUES" -f "$JOBTASK_VALUES" --quiet

step "helm template: defaults, SpaceONE's umbrella values, every option, the umbrella chart"
"$HELM" template jobtask "$CHART" --namespace jobtask --kube-version 1.33.0 > "$tmp/default.yaml"
"$HELM" template jobtask "$CHART" --namespace spaceone --kube-version 1.33.0 -f "$UMBRELLA_VALUES" > "$tmp/umbrella-values.yaml"
"$HELM" template jobtask "$CHART" --namespace jobtask --kube-version 1.33.0 -f "$ALL_ON" > "$tmp/all-on.yaml"
"$HELM" template spaceone "$tmp/umbrella" --namespace spaceone --kube-version 1.33.0 \
  -f "$UMBRELLA_VALUES" -f "$JOBTASK_VALUES" > "$tmp/umbrella.yaml"
for kind in GRPCRoute VirtualService ServiceMonitor HorizontalPodAutoscaler PodDisruptionBudget Job; do
  grep -q "^kind: $kind\$" "$tmp/all-on.yaml" || { echo "chart: every option on renders no $kind" >&2; exit 1; }
done
refused "gracePeriod not longer than shutdownGraceSeconds" "must be longer than shutdownGraceSeconds" \
  "$HELM" template "$CHART" --set gracePeriod=10
refused "a database password in a ConfigMap" "would land in a ConfigMap" \
  "$HELM" template "$CHART" --set database.DATABASES.default.password=x
refused "spaceone_api 3" "spaceone_api must be 1 or 2" "$HELM" template "$CHART" --set spaceone_api=3

step "kubeconform -strict (Kubernetes 1.33 from kubernetes-validate; GRPCRoute, VirtualService, ServiceMonitor from their CRDs)"
"$KUBECONFORM" -strict -summary -n 4 \
  -schema-location "file://$K8S_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  -schema-location "file://$CRD_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
  "$tmp/default.yaml" "$tmp/umbrella-values.yaml" "$tmp/all-on.yaml" "$tmp/umbrella.yaml"

step "kube-apiserver $("$KUBE_DIR/kube-apiserver" --version | cut -d' ' -f2) and etcd on loopback (no kubelet: no pod runs)"
export KUBECONFIG
KUBECONFIG=$(tools/kube/cluster.sh start "$cluster")
kubectl() { "$KUBECTL" "$@"; }
kubectl apply --server-side -f "$CRDS" > /dev/null
kubectl wait --for condition=Established --timeout 60s \
  crd/grpcroutes.gateway.networking.k8s.io crd/virtualservices.networking.istio.io \
  crd/servicemonitors.monitoring.coreos.com > /dev/null
kubectl create namespace jobtask > /dev/null
kubectl create namespace spaceone > /dev/null

step "server-side validation of every rendered object (hooks included), strict field validation"
for file in default all-on umbrella; do
  kubectl apply --dry-run=server --validate=strict -f "$tmp/$file.yaml" > /dev/null
done
echo "   accepted: $(cat "$tmp/default.yaml" "$tmp/all-on.yaml" "$tmp/umbrella.yaml" | grep -c '^kind:') objects"

step "helm install and upgrade, alone (hooks off: the index Job would wait for a kubelet)"
"$HELM" install jobtask "$CHART" -n jobtask --no-hooks > /dev/null
"$HELM" upgrade jobtask "$CHART" -n jobtask --no-hooks -f "$ALL_ON" > /dev/null
kubectl -n jobtask get deployment/jobtask service/jobtask pdb/jobtask hpa/jobtask \
  grpcroute/jobtask-jobtask virtualservice/jobtask-jobtask servicemonitor/jobtask configmap/jobtask-conf > /dev/null
refused "ports.grpc=70000 (the server refuses the Deployment)" "Invalid value" \
  "$HELM" upgrade jobtask "$CHART" -n jobtask --no-hooks -f "$ALL_ON" --set ports.grpc=70000

step "helm install and upgrade as a subchart of SpaceONE's umbrella beside SpaceONE's inventory"
"$HELM" install spaceone "$tmp/umbrella" -n spaceone --no-hooks -f "$UMBRELLA_VALUES" -f "$JOBTASK_VALUES" > /dev/null
"$HELM" upgrade spaceone "$tmp/umbrella" -n spaceone --no-hooks -f "$UMBRELLA_VALUES" -f "$JOBTASK_VALUES" \
  --set jobtask.replicas=3 --set jobtask.spaceone_api=2 > /dev/null
kubectl -n spaceone get deployment/inventory service/inventory deployment/jobtask service/jobtask \
  configmap/shared-conf grpcroute/jobtask-jobtask > /dev/null
[[ $(kubectl -n spaceone get deployment/jobtask -o jsonpath='{.spec.replicas}') == 3 ]]

step done
echo "== chart: passed"
