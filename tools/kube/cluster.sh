#!/usr/bin/env bash
# A Kubernetes API server on loopback for the chart's tests: etcd and kube-apiserver (built by
# `make kube-tools`), no kubelet, no controller-manager, no scheduler: objects are stored and
# validated, no pod ever runs.
#
#   tools/kube/cluster.sh start DIR   # prints DIR/kubeconfig once /readyz answers
#   tools/kube/cluster.sh stop DIR    # stops the two processes this DIR's start began
#
# KUBE_DIR (kube-apiserver, kubectl) and ETCD_DIR (etcd) name the binaries. Everything lives in
# DIR: etcd's data, the certificates, a static admin token, the logs.
set -euo pipefail

cmd=${1:?start|stop} dir=${2:?DIR}
: "${KUBE_DIR:?}" "${ETCD_DIR:?}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stop() {
  for name in kube-apiserver etcd; do
    if [[ -f $dir/$name.pid ]]; then
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$name.pid"
    fi
  done
}

start() {
  mkdir -p "$dir/certs"
  local etcd_port peer_port api_port token
  etcd_port=$(free_port) peer_port=$(free_port) api_port=$(free_port)
  token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  openssl genrsa -out "$dir/certs/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/certs/sa.key" -pubout -out "$dir/certs/sa.pub" 2>/dev/null
  echo "$token,admin,admin,system:masters" > "$dir/tokens.csv"
  "$ETCD_DIR/etcd" --data-dir "$dir/etcd" --name default --log-level error \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "default=http://127.0.0.1:$peer_port" > "$dir/etcd.log" 2>&1 &
  echo $! > "$dir/etcd.pid"
  "$KUBE_DIR/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$dir/certs" --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/certs/sa.pub" --service-account-signing-key-file "$dir/certs/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
    --enable-priority-and-fairness=false --profiling=false \
    --v=1 > "$dir/kube-apiserver.log" 2>&1 &
  echo $! > "$dir/kube-apiserver.pid"
  cat > "$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: loopback
    cluster: {server: "https://127.0.0.1:$api_port", insecure-skip-tls-verify: true}
users:
  - name: admin
    user: {token: "$token"}
contexts:
  - name: loopback
    context: {cluster: loopback, user: admin}
current-context: loopback
KUBECONFIG
  for _ in $(seq 240); do
    if "$KUBE_DIR/kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
      echo "$dir/kubeconfig"
      return 0
    fi
    for name in etcd kube-apiserver; do
      kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || { echo "cluster: $name exited:" >&2; tail -20 "$dir/$name.log" >&2; stop; return 1; }
    done
    sleep 0.5
  done
  echo "cluster: kube-apiserver not ready after 120 s:" >&2
  tail -20 "$dir/kube-apiserver.log" >&2
  stop
  return 1
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
