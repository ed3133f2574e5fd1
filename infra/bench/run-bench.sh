#!/usr/bin/env bash
# make bench: the lab up (stats on real guests), libvirt-python for the side-by-side, then the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/../.."
# the scale section needs no lab and no libvirt-python: the simulator server, engines and Redis only
if [ "${1:-}" = scale ]; then exec node bench/dist/main.js "$@"; fi
dpkg-query -W -f='${Status}' python3-libvirt 2>/dev/null | grep -q 'install ok installed' || {
  echo "bench: installing python3-libvirt (libvirt's own Python client, for comparison)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-libvirt >/dev/null
}
VMS=${VMS:-4} bash infra/lab/lab-up.sh
export BALLAST_LAB_URI=${BALLAST_LAB_URI:-qemu:///system}
node bench/dist/main.js "$@"
