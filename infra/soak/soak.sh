#!/usr/bin/env bash
# `make soak` (docs/soak.md): the lab up (VMS=4, idempotent), then test/e2e/dist/soak.js: every policy in auto
# under changing random CPU and memory load for SOAK_MINUTES (30); exit 0 when no guest died, no job was lost
# and (in runs of 20 min or more) no service's RSS grew faster than SOAK_MAX_RSS_GROWTH_MIB_PER_H.
# On a lab shared with others, wrap it: flock -o /tmp/ballast-lab.lock bash infra/soak/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f test/e2e/dist/soak.js ] || { echo "soak: test/e2e/dist/soak.js is missing: make build first" >&2; exit 2; }
VMS=${VMS:-4} bash infra/lab/lab-up.sh
export BALLAST_LAB_URI=${BALLAST_LAB_URI:-qemu:///system}
exec node test/e2e/dist/soak.js
