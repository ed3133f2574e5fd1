#!/usr/bin/env bash
# Builds the N-API libvirt binding against the local Node headers (never downloads them), only when its
# native sources changed. npm 11 here runs no install scripts, so this is how the addon gets built.
set -euo pipefail
cd "$(dirname "$0")/../.."
node packages/libvirt/scripts/build.mjs --native-only
