#!/usr/bin/env bash
# `make run`: Redis (unless REDIS_URL is set), the lab (unless LIBVIRT_URI is set), then collector,
# policy-engine and actuator for this host, in the foreground. Ctrl-C stops all three gracefully.
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE=${BALLAST_STATE_DIR:-/var/lib/ballast}
mkdir -p "$STATE/redis"

if [ -z "${REDIS_URL:-}" ]; then
  if ! redis-cli -p 6380 ping >/dev/null 2>&1; then
    redis-server infra/redis/redis.conf --dir "$STATE/redis" --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log"
    for _ in $(seq 50); do redis-cli -p 6380 ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  export REDIS_URL=redis://127.0.0.1:6380
  echo "run: redis at $REDIS_URL (AOF in $STATE/redis)"
fi

if [ -z "${LIBVIRT_URI:-}" ]; then
  VMS=${VMS:-4} bash infra/lab/lab-up.sh
  export LIBVIRT_URI=qemu:///system
  # The lab's policy document: memory-balloon with a 3072 MiB budget for the guests (auto: it moves balloon memory between the guests).
  export BALLAST_POLICY_FILE=${BALLAST_POLICY_FILE:-$PWD/infra/lab/policy.json}
fi
echo "run: managing $LIBVIRT_URI"

export BALLAST_API_TOKEN_FILE=${BALLAST_API_TOKEN_FILE:-$STATE/api-token}
export UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-16}
pids=()
start() { # service name
  local name=$1
  node "services/$name/dist/main.js" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}
stop() {
  trap - INT TERM
  echo "run: stopping"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM
start policy-engine
sleep 1
start actuator
start collector
echo "run: API on http://127.0.0.1:${BALLAST_HTTP_PORT:-8080}/v1 (token in $BALLAST_API_TOKEN_FILE unless BALLAST_API_TOKEN is set)"
# Exit when any service exits (and stop the others).
wait -n "${pids[@]}" || true
stop
