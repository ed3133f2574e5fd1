#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than package-lock.json. Install scripts
# are not needed: the one native addon (packages/libvirt) is built by infra/setup/native.sh.
# `npm install --no-save` rather than `npm ci`: npm 11 here writes lock files without the other platforms'
# optional packages (buf, msgpackr), which `npm ci` then rejects as out of sync; --no-save keeps the lock as is.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install (from package-lock.json)" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
