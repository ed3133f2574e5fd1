#!/usr/bin/env bash
# npm ci when node_modules is missing or older than package-lock.json. Install scripts are not needed:
# the one native addon (packages/libvirt) is built by infra/setup/native.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
