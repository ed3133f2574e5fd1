#!/usr/bin/env bash
# Builds the N-API libvirt binding against the local Node headers (no header download) when its sources changed.
set -euo pipefail
cd "$(dirname "$0")/../../packages/libvirt"
out=build/Release/ballast_libvirt.node
if [ -f "$out" ] && [ -z "$(find native binding.gyp -newer "$out" 2>/dev/null | head -1)" ]; then exit 0; fi
nodedir=$(dirname "$(dirname "$(command -v node)")")
[ -f "$nodedir/include/node/node_api.h" ] || nodedir=/usr
echo "setup: building the libvirt binding (node-gyp, nodedir=$nodedir)" >&2
npx --no-install node-gyp rebuild --nodedir="$nodedir" --loglevel=warn >/dev/null
