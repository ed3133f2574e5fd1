#!/usr/bin/env bash
# Part of `make run` (run-local.sh starts it in the background): waits until the policy engine answers
# /healthz, then prints where the dashboard, the API and its token are, and how to use the CLI. Gives up
# quietly after ANNOUNCE_TIMEOUT_S (default 120) seconds; run-local.sh's own lines say what went wrong.
set -uo pipefail
port=${BALLAST_HTTP_PORT:-8080}
host=${BALLAST_HTTP_HOST:-127.0.0.1}
case "$host" in 0.0.0.0 | :: | '') host=127.0.0.1 ;; *:*) host="[$host]" ;; esac
base="http://$host:$port"
token_file=${BALLAST_API_TOKEN_FILE:-/var/lib/ballast/api-token}
deadline=$(( SECONDS + ${ANNOUNCE_TIMEOUT_S:-120} ))
until curl -s -o /dev/null --max-time 2 "$base/healthz"; do
  (( SECONDS < deadline )) || exit 0
  sleep 0.5
done
if [ -n "${BALLAST_API_TOKEN:-}" ]; then
  signin="sign in with the token in BALLAST_API_TOKEN"
  cli_env=""
else
  signin="sign in with the token in $token_file"
  cli_env=""
  [ "$token_file" = /var/lib/ballast/api-token ] || cli_env="BALLAST_API_TOKEN_FILE=$token_file "
fi
[ "$base" = http://127.0.0.1:8080 ] || cli_env="BALLAST_API_URL=$base $cli_env"
cat <<TEXT
run: ------------------------------------------------------------------------
run: Ballast is serving.
run:   Dashboard  $base/   ($signin)
run:   API        $base/v1   (bearer token; the spec: $base/v1/openapi.json)
run:   CLI        ${cli_env}npx ballast status   (in another terminal; also: hosts, vms, jobs list)
run: ------------------------------------------------------------------------
TEXT
