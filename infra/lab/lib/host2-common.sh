# Settings shared by host2-up.sh / host2-down.sh (sourced, not run; needs lib/common.sh).
# shellcheck shell=bash
#
# "host2" is a second libvirt host on this machine: a network namespace joined to the root
# namespace by a veth pair, plus a private mount namespace in which its own dirs are bind-mounted
# over /run/libvirt, /var/lib/libvirt, /etc/libvirt, /var/log/libvirt and /var/cache/libvirt.
# The lab's state dir is host-private too, except its image/ (kernel + initrd, shared like shared
# storage): inside host2, $H2_LAB covers $LAB_STATE_DIR and the real $LAB_IMAGE_DIR is bound on its
# image/. A guest's serial log and control socket therefore keep their path on host2 but are host2's
# own files, seen from the root namespace under $H2_LAB. (With one shared file, libvirt on the
# source unlinks the control socket path when the migrated-away QEMU stops, right after the
# destination bound it there, and the guest's channel becomes unreachable.)
H2_NETNS=${HOST2_NETNS:-ballast-h2}
H2_DIR=${HOST2_DIR:-/var/lib/ballast-host2}
H2_ROOT_ADDR=10.77.0.1            # root-namespace end of the veth (the source host, qemu:///system)
H2_ADDR=10.77.0.2                 # host2's end
H2_VETH_ROOT=ballast-h2r          # interface names (<= 15 chars)
H2_VETH_NS=ballast-h2n
# Private dirs, each bind-mounted over the system path of the same role inside host2's namespace.
H2_ETC=$H2_DIR/etc                # -> /etc/libvirt
H2_RUN=$H2_DIR/run                # -> /run/libvirt (sockets, pid files, per-domain runtime state)
H2_LIB=$H2_DIR/lib                # -> /var/lib/libvirt
H2_LOG=$H2_DIR/log                # -> /var/log/libvirt (libvirtd.log, qemu/<vm>.log)
H2_CACHE=$H2_DIR/cache            # -> /var/cache/libvirt
H2_LAB=$H2_DIR/lab                # -> $LAB_STATE_DIR, with the real $LAB_IMAGE_DIR on its image/
# Inside host2's mount namespace the ROOT host's /run/libvirt is bind-mounted here, so host2's
# libvirtd can reach the root libvirtd (for peer-to-peer migration back) through its unix socket.
# In the root namespace it holds a symlink libvirt-sock -> /run/libvirt/libvirt-sock, so the same
# URI names the root libvirtd from both namespaces.
H2_ROOT_RUN=$H2_DIR/root-run

# How to reach each side.
H2_URI="qemu+unix:///system?socket=$H2_RUN/libvirt-sock"   # host2, from the root namespace
H2_MIGRATION_URI="qemu+tcp://$H2_ADDR/system"              # host2, as a p2p migration target
H2_MIGRATION_DATA_URI="tcp://$H2_ADDR"                     # where QEMU streams to host2
# The root host as a p2p migration target (host2's libvirtd dials it; valid in both namespaces).
ROOT_MIGRATION_URI="qemu+unix:///system?socket=$H2_ROOT_RUN/libvirt-sock"
ROOT_MIGRATION_DATA_URI="tcp://$H2_ROOT_ADDR"

h2_virsh() { virsh -q -c "$H2_URI" "$@"; }

# pid of a host2 daemon (libvirtd|virtlogd) when it is alive, else nothing.
h2_daemon_pid() {
  local f=$H2_RUN/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$1" ] || return 0
  # ... and it really is host2's: it lives in host2's network namespace.
  [ -e "/run/netns/$H2_NETNS" ] || return 0
  [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$(stat -L -c %i "/run/netns/$H2_NETNS")" ] || return 0
  echo "$pid"
}

# Stops one host2 daemon (TERM, then KILL after 10 s).
h2_stop_daemon() {
  local pid
  pid=$(h2_daemon_pid "$1")
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; sleep 0.2; fi
  rm -f "$H2_RUN/$1.pid"
  lab_log "host2: $1 ($pid) stopped"
}
