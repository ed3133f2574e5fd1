#!/usr/bin/env bash
# `make lab-up` / `make lab-down`: the lab on one or two libvirt hosts.
#   up:   lab-up.sh (host 1, qemu:///system, with its VMS guests); with HOSTS=2 then host2-up.sh (host 2,
#         no guests of its own), whose KEY=value lines (HOST2_URI, …) it prints. Idempotent, like both.
#   down: host2-down.sh when host 2 exists (lab guests still on it are migrated back first), then lab-down.sh.
# Env: HOSTS (1|2, default 1), plus what lab-up.sh / host2-up.sh / lab-down.sh read (VMS, LAB_STATE_DIR, …).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/host2-common.sh
source "$HERE/lib/host2-common.sh"
HOSTS=${HOSTS:-1}

case "${1:-}" in
  up)
    [[ "$HOSTS" =~ ^[12]$ ]] || lab_die "HOSTS must be 1 or 2, got '$HOSTS'"
    bash "$HERE/lab-up.sh"
    if [ "$HOSTS" = 2 ]; then bash "$HERE/host2-up.sh"; fi
    ;;
  down)
    if [ -e "/run/netns/$H2_NETNS" ] || [ -d "$H2_DIR" ]; then bash "$HERE/host2-down.sh"; fi
    bash "$HERE/lab-down.sh"
    ;;
  *) lab_die "usage: lab-hosts.sh up|down (env HOSTS=1|2 for up)" ;;
esac
