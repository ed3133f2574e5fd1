#!/usr/bin/env bash
# `make run`: Redis (unless REDIS_URL is set), the lab (unless LIBVIRT_URI is set), then collector,
# policy-engine and actuator for this host, in the foreground, each restarted when it exits (except on a
# configuration error, exit 2). Ctrl-C stops all three gracefully.
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
# Each service runs under a supervisor that restarts it when it exits, after a growing delay (1 s doubling
# to 30 s; back to 1 s after a run of a minute or more), except on exit code 2: a configuration error, which
# a restart cannot fix, is printed and that service stays down while the others go on. A service runs in its
# own process group (setsid), so Ctrl-C reaches it once, as the TERM its supervisor forwards: a graceful stop.
supervise() { # service name
  local name=$1 delay=1 started code child='' stopping=0
  # Ctrl-C reaches the supervisor itself (INT) and then through stop() (TERM): forward one TERM only
  trap 'if [ "$stopping" = 0 ]; then stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true; fi' INT TERM
  while :; do
    started=$SECONDS
    setsid node "services/$name/dist/main.js" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
    child=$!
    code=0
    wait "$child" || code=$?
    # a TERM interrupts `wait`: wait again for the service's own exit
    while kill -0 "$child" 2>/dev/null; do code=0; wait "$child" || code=$?; done
    child=''
    if [ "$stopping" = 1 ]; then return 0; fi
    if [ "$code" = 2 ]; then
      echo "run: $name stopped on a configuration error (exit 2, see its line above); not restarting it, the other services keep running"
      return 0
    fi
    if (( SECONDS - started >= 60 )); then delay=1; fi
    echo "run: $name exited unexpectedly (code $code); restarting it in $delay s"
    sleep "$delay" & child=$!
    wait "$child" 2>/dev/null || true
    child=''
    if [ "$stopping" = 1 ]; then return 0; fi
    delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
  done
}
supervisors=()
stop() {
  trap - INT TERM
  echo "run: stopping"
  kill -TERM "${supervisors[@]}" 2>/dev/null || true
  wait "${supervisors[@]}" 2>/dev/null || true
  exit 0
}
trap stop INT TERM
supervise policy-engine & supervisors+=($!)
sleep 1
supervise actuator & supervisors+=($!)
supervise collector & supervisors+=($!)
echo "run: API on http://127.0.0.1:${BALLAST_HTTP_PORT:-8080}/v1 (token in $BALLAST_API_TOKEN_FILE unless BALLAST_API_TOKEN is set)"
# Returns when every supervisor has ended (each service stopped for good), or at Ctrl-C (trap: stop).
wait "${supervisors[@]}" || true
echo "run: no service left running"
