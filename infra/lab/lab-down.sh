#!/usr/bin/env bash
# Tears the Ballast lab down: destroys and undefines every lab-vmN guest and removes what lab-up
# made under $LAB_STATE_DIR (state file, sockets, serial logs, domain XML, image and kernel cache).
# Leaves the Debian packages and the daemons alone, unless LAB_STOP_DAEMONS=1.
# Env: LIBVIRT_URI (qemu:///system), LAB_STATE_DIR (/var/lib/ballast-lab),
#      LAB_KEEP_IMAGE=1 keeps image/ and cache/ (the next lab-up then skips download and build).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

if virsh_ uri >/dev/null 2>&1; then
  mapfile -t GUESTS < <(virsh_ list --all --name | grep -E '^lab-vm[0-9]+$' || true)
  for name in "${GUESTS[@]}"; do
    virsh_ destroy "$name" >/dev/null 2>&1 || true
    virsh_ undefine "$name" >/dev/null 2>&1 || true
    echo "$name: removed"
  done
else
  lab_log "libvirt at $LIBVIRT_URI does not answer; no guests to remove"
fi

if [ -d "$LAB_STATE_DIR" ]; then
  if [ "${LAB_KEEP_IMAGE:-0}" = 1 ]; then
    find "$LAB_STATE_DIR" -mindepth 1 -maxdepth 1 ! -name image ! -name cache -exec rm -rf {} +
  else
    rm -rf "$LAB_STATE_DIR"
  fi
fi

if [ "${LAB_STOP_DAEMONS:-0}" = 1 ] && [ "$LIBVIRT_URI" = qemu:///system ]; then
  for d in libvirtd virtlogd; do
    if [ -f "/run/$d.pid" ] && kill "$(cat "/run/$d.pid")" 2>/dev/null; then echo "$d: stopped"; fi
  done
fi
lab_log "lab down"
