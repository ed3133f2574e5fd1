#!/usr/bin/env bash
# `make run`: Redis (unless REDIS_URL is set), the lab (unless LIBVIRT_URI is set), then collector,
# policy-engine and actuator for this host, in the foreground, each restarted when it exits (except on a
# configuration error, exit 2). Ctrl-C stops them all gracefully.
# HOSTS=2 (`make run HOSTS=2`): the two-host lab instead: the lab and host2 (infra/lab/host2-up.sh), one
# policy engine, and a collector and an actuator for each host: host 1 (qemu:///system) keeps the id it has
# with HOSTS=1 (BALLAST_HOST_ID, else the hostname); host 2 is BALLAST_HOST2_ID (lab-host2), reached at
# host2-up's HOST2_URI, with ports of its own (collector ops 9466, actuator gRPC 50062 and ops 9467). Each
# collector reports its host's migration URIs, so the hosts can live-migrate guests to each other. host2
# stays up after Ctrl-C, as the lab does (`make lab-down` removes both).
# ENGINES=3 (`ENGINES=3 make run`, 1 to 9): that many policy-engine replicas on the one Redis, dividing the
# hosts by host leases (docs/replicas.md): engine N serves HTTP on 8080+N-1 and gRPC on 50051+N-1 (ops port
# 9463 for the first, 9470+N for the others), and each collector is given all of them (it streams to one,
# and moves to the next when that one goes away).
set -euo pipefail
cd "$(dirname "$0")/../.."
HOSTS=${HOSTS:-1}
if [[ ! "$HOSTS" =~ ^[12]$ ]]; then echo "run: HOSTS must be 1 or 2, got '$HOSTS'" >&2; exit 2; fi
ENGINES=${ENGINES:-1}
if [[ ! "$ENGINES" =~ ^[1-9]$ ]]; then echo "run: ENGINES must be 1 to 9, got '$ENGINES'" >&2; exit 2; fi
if [ "$HOSTS" = 2 ] && [ -n "${LIBVIRT_URI:-}" ]; then
  echo "run: HOSTS=2 runs the two-host lab (qemu:///system and host2); unset LIBVIRT_URI (it is $LIBVIRT_URI)" >&2
  exit 2
fi
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
if [ "$HOSTS" = 2 ]; then
  # HOST1_URI, HOST1_MIGRATION_URI, …, HOST2_URI, HOST2_MIGRATION_URI, … (KEY=value lines)
  host2_env=$(bash infra/lab/host2-up.sh)
  eval "$host2_env"
  HOST1_ID=${BALLAST_HOST_ID:-$(hostname)}
  HOST2_ID=${BALLAST_HOST2_ID:-lab-host2}
  echo "run: managing $LIBVIRT_URI as $HOST1_ID and host2 ($HOST2_URI) as $HOST2_ID"
else
  echo "run: managing $LIBVIRT_URI"
fi

export BALLAST_API_TOKEN_FILE=${BALLAST_API_TOKEN_FILE:-$STATE/api-token}
# On a terminal: readable log lines (pino-pretty, in colour) instead of JSON; BALLAST_LOG_FORMAT=json keeps JSON.
if [ -t 1 ] && [ -z "${BALLAST_LOG_FORMAT:-}" ]; then
  export BALLAST_LOG_FORMAT=pretty
  [ -n "${NO_COLOR:-}" ] || export FORCE_COLOR=${FORCE_COLOR:-1}
fi
export UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-16}
# Each service runs under a supervisor that restarts it when it exits, after a growing delay (1 s doubling
# to 30 s; back to 1 s after a run of a minute or more), except on exit code 2: a configuration error, which
# a restart cannot fix, is printed and that service stays down while the others go on. A service runs in its
# own process group (setsid), so Ctrl-C reaches it once, as the TERM its supervisor forwards: a graceful stop.
supervise() { # label service [VAR=value …]: the env the service gets on top of this script's
  local label=$1 name=$2 delay=1 started code child='' stopping=0
  shift 2
  # Ctrl-C reaches the supervisor itself (INT) and then through stop() (TERM): forward one TERM only
  trap 'if [ "$stopping" = 0 ]; then stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true; fi' INT TERM
  while :; do
    started=$SECONDS
    setsid env "$@" node "services/$name/dist/main.js" > >(trap '' INT; exec sed -u "s/^/[$label] /") 2>&1 &
    child=$!
    code=0
    wait "$child" || code=$?
    # a TERM interrupts `wait`: wait again for the service's own exit
    while kill -0 "$child" 2>/dev/null; do code=0; wait "$child" || code=$?; done
    child=''
    if [ "$stopping" = 1 ]; then return 0; fi
    if [ "$code" = 2 ]; then
      echo "run: $label stopped on a configuration error (exit 2, see its line above); not restarting it, the other services keep running"
      return 0
    fi
    if (( SECONDS - started >= 60 )); then delay=1; fi
    echo "run: $label exited unexpectedly (code $code); restarting it in $delay s"
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
  kill -TERM "${supervisors[@]}" ${announcer:-} 2>/dev/null || true
  wait "${supervisors[@]}" 2>/dev/null || true
  exit 0
}
trap stop INT TERM
http0=${BALLAST_HTTP_PORT:-8080}
grpc0=${BALLAST_GRPC_PORT:-50051}
supervise policy-engine policy-engine & supervisors+=($!)
sleep 1 # the first engine writes the API token file the others read
engines=("127.0.0.1:$grpc0")
for (( n = 2; n <= ENGINES; n++ )); do
  supervise "policy-engine $n" policy-engine BALLAST_HTTP_PORT=$((http0 + n - 1)) BALLAST_GRPC_PORT=$((grpc0 + n - 1)) BALLAST_OPS_PORT=$((9470 + n)) & supervisors+=($!)
  engines+=("127.0.0.1:$((grpc0 + n - 1))")
done
engine=${BALLAST_ENGINE_ADDRESS:-$(IFS=,; echo "${engines[*]}")}
# host 2's collector starts at the second engine (when there are several): the two hosts on different replicas
engine2=${BALLAST_ENGINE_ADDRESS:-$(IFS=,; echo "${engines[*]:1} ${engines[0]}" | tr ' ' ',' | sed 's/^,//')}
if [ "$HOSTS" = 2 ]; then
  h1=(BALLAST_ENGINE_ADDRESS="$engine" LIBVIRT_URI="$HOST1_URI")
  h2=(BALLAST_ENGINE_ADDRESS="$engine2" LIBVIRT_URI="$HOST2_URI" BALLAST_HOST_ID="$HOST2_ID")
  supervise "actuator $HOST1_ID" actuator "${h1[@]}" BALLAST_GRPC_PORT=50061 BALLAST_OPS_PORT=9465 & supervisors+=($!)
  supervise "collector $HOST1_ID" collector "${h1[@]}" BALLAST_OPS_PORT=9464 \
    BALLAST_MIGRATION_URI="$HOST1_MIGRATION_URI" BALLAST_MIGRATION_DATA_URI="$HOST1_MIGRATION_DATA_URI" & supervisors+=($!)
  supervise "actuator $HOST2_ID" actuator "${h2[@]}" BALLAST_GRPC_PORT=50062 BALLAST_OPS_PORT=9467 & supervisors+=($!)
  supervise "collector $HOST2_ID" collector "${h2[@]}" BALLAST_OPS_PORT=9466 \
    BALLAST_MIGRATION_URI="$HOST2_MIGRATION_URI" BALLAST_MIGRATION_DATA_URI="$HOST2_MIGRATION_DATA_URI" & supervisors+=($!)
else
  # its status port apart from the engine's gRPC port (BALLAST_GRPC_PORT, when set, is the engine's)
  supervise actuator actuator BALLAST_GRPC_PORT=50061 & supervisors+=($!)
  supervise collector collector BALLAST_ENGINE_ADDRESS="$engine" & supervisors+=($!)
fi
if [ "$ENGINES" -gt 1 ]; then
  echo "run: $ENGINES policy-engine replicas: HTTP on ports $http0-$((http0 + ENGINES - 1)), gRPC $grpc0-$((grpc0 + ENGINES - 1)); collectors stream to $engine"
fi
echo "run: API on http://127.0.0.1:$http0/v1 (token in $BALLAST_API_TOKEN_FILE unless BALLAST_API_TOKEN is set)"
# Once the engine serves: where the dashboard, the API and the token are, and how to use the CLI.
bash infra/run/announce.sh & announcer=$!
# Returns when every supervisor has ended (each service stopped for good), or at Ctrl-C (trap: stop).
wait "${supervisors[@]}" || true
echo "run: no service left running"
