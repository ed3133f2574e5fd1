#!/usr/bin/env bash
# Removes "host2" (see host2-up.sh): lab guests still running on host2 are first live-migrated back
# to the root host (qemu:///system); any other domain on host2 is destroyed and undefined; then its
# libvirtd and virtlogd stop, the veth pair and the network namespace go and $HOST2_DIR is deleted.
# Refuses (exit 1, nothing removed) when a lab guest cannot be moved back, unless HOST2_FORCE=1.
# Idempotent: nothing to do is not an error.
#
# Env: HOST2_DIR (/var/lib/ballast-host2), HOST2_NETNS (ballast-h2), HOST2_FORCE=1.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/host2-common.sh
source "$HERE/lib/host2-common.sh"
[ "$(id -u)" = 0 ] || lab_die "host2-down needs root"

if [ -d "$H2_DIR" ]; then
  exec 9>"$H2_DIR/.lock"
  flock -w 120 9 || lab_die "another host2-up/host2-down holds $H2_DIR/.lock"
fi

# --- guests ------------------------------------------------------------------------------------
if [ -n "$(h2_daemon_pid libvirtd)" ] && h2_virsh uri >/dev/null 2>&1; then
  mapfile -t DOMS < <(h2_virsh list --all --name | grep . || true)
  for name in "${DOMS[@]}"; do
    state=$(h2_virsh domstate "$name" 2>/dev/null | head -1 || true)
    if [[ "$name" =~ ^lab-vm[0-9]+$ ]]; then
      if [ "$state" = running ] || [ "$state" = paused ]; then
        t0=$(lab_now)
        if h2_virsh migrate --live --p2p --persistent --undefinesource "$name" "$ROOT_MIGRATION_URI" \
             --migrateuri "$ROOT_MIGRATION_DATA_URI"; then
          lab_log "host2: $name migrated back to qemu:///system in $(lab_since "$t0") s"
          continue
        fi
      elif ! virsh -q -c qemu:///system domuuid "$name" >/dev/null 2>&1; then
        # Defined (not running) only on host2: hand the definition back.
        if h2_virsh dumpxml --inactive --security-info "$name" > "$H2_DIR/$name.back.xml" &&
           virsh -q -c qemu:///system define "$H2_DIR/$name.back.xml" >/dev/null &&
           h2_virsh undefine "$name" >/dev/null; then
          lab_log "host2: $name ($state) defined back on qemu:///system"
          continue
        fi
      else
        h2_virsh undefine "$name" >/dev/null && { lab_log "host2: $name ($state) undefined (also defined on qemu:///system)"; continue; }
      fi
      if [ "${HOST2_FORCE:-0}" != 1 ]; then
        lab_die "lab guest $name ($state) is on host2 and could not be moved back; host2 left up (HOST2_FORCE=1 destroys it)"
      fi
      lab_log "host2: HOST2_FORCE=1: destroying lab guest $name on host2"
    fi
    h2_virsh destroy "$name" >/dev/null 2>&1 || true
    h2_virsh undefine "$name" >/dev/null 2>&1 || true
    lab_log "host2: $name destroyed and undefined"
  done
fi

# --- daemons, stray processes, network -----------------------------------------------------------
h2_stop_daemon libvirtd
h2_stop_daemon virtlogd
if [ -e "/run/netns/$H2_NETNS" ]; then
  for pid in $(ip netns pids "$H2_NETNS" 2>/dev/null); do
    args=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)
    if [[ "$args" == *guest=lab-vm* ]] && [ "${HOST2_FORCE:-0}" != 1 ]; then
      lab_die "a lab guest's QEMU (pid $pid) still runs in $H2_NETNS; not removing it (HOST2_FORCE=1 kills it)"
    fi
    kill -9 "$pid" 2>/dev/null && lab_log "host2: killed stray process $pid (${args:0:80})"
  done
fi
if ip link show "$H2_VETH_ROOT" >/dev/null 2>&1; then ip link del "$H2_VETH_ROOT"; lab_log "host2: veth $H2_VETH_ROOT removed"; fi
if [ -e "/run/netns/$H2_NETNS" ]; then ip netns del "$H2_NETNS"; lab_log "host2: network namespace $H2_NETNS removed"; fi

# --- files ---------------------------------------------------------------------------------------
if [ -d "$H2_DIR" ]; then
  # host2's bind mounts live only in its own mount namespace; never delete through a mount here.
  if awk -v d="$H2_DIR" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    lab_die "something is mounted under $H2_DIR in this namespace; not deleting it"
  fi
  rm -rf "$H2_DIR"
  lab_log "host2: $H2_DIR removed"
fi
lab_log "host2 down"
