#!/usr/bin/env bash
# Brings up "host2": a second libvirt host on this machine, for live-migration tests against the lab.
# The root namespace's libvirtd (qemu:///system, where lab-up puts the guests) stays the source host;
# host2 is a network namespace (veth: root 10.77.0.1 <-> host2 10.77.0.2) plus a private mount
# namespace with its own /run/libvirt, /var/lib/libvirt, /etc/libvirt, /var/log/libvirt and
# /var/cache/libvirt, running its own virtlogd and libvirtd (TCP on 10.77.0.2:16509, auth none,
# its own host_uuid). The lab's image (kernel, initrd) is shared; a guest's serial log and control
# socket have the same path on both hosts but are each host's own files (see lib/host2-common.sh):
# while a lab guest runs on host2 they are $HOST2_DIR/lab/<vm>.{serial.log,ctl.sock} from here.
# Idempotent: what is up is left alone. Prints the URIs as KEY=value lines on stdout, and
# HOST2_WAS_UP=1 when host2's libvirtd was already running (someone else brought host2 up: a caller
# that takes host2 down when done should leave it up then), else HOST2_WAS_UP=0.
#
# Env: HOST2_DIR (/var/lib/ballast-host2), HOST2_NETNS (ballast-h2), LAB_STATE_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/host2-common.sh
source "$HERE/lib/host2-common.sh"
T_START=$(lab_now)

[ "$(id -u)" = 0 ] || lab_die "host2-up needs root (network and mount namespaces)"
for c in ip nsenter unshare libvirtd virtlogd virsh flock; do
  command -v "$c" >/dev/null || lab_die "$c is missing (run infra/lab/lab-up.sh or infra/setup/deps.sh first)"
done
getent passwd libvirt-qemu >/dev/null || lab_die "user libvirt-qemu is missing (package libvirt-daemon-system)"

mkdir -p "$H2_DIR"
chmod 755 "$H2_DIR"
exec 9>"$H2_DIR/.lock"
flock -w 120 9 || lab_die "another host2-up/host2-down holds $H2_DIR/.lock"
WAS_UP=0
[ -z "$(h2_daemon_pid libvirtd)" ] || WAS_UP=1

# --- network: namespace + veth -----------------------------------------------------------------
if [ ! -e "/run/netns/$H2_NETNS" ]; then
  ip netns add "$H2_NETNS"
  lab_log "host2: network namespace $H2_NETNS created"
fi
ip -n "$H2_NETNS" link set lo up
if ip link show "$H2_VETH_ROOT" >/dev/null 2>&1 && ! ip -n "$H2_NETNS" link show "$H2_VETH_NS" >/dev/null 2>&1; then
  ip link del "$H2_VETH_ROOT"     # its peer is not in the namespace (namespace re-created): start over
fi
if ! ip link show "$H2_VETH_ROOT" >/dev/null 2>&1; then
  ip link add "$H2_VETH_ROOT" type veth peer name "$H2_VETH_NS" netns "$H2_NETNS"
  lab_log "host2: veth $H2_VETH_ROOT <-> $H2_NETNS/$H2_VETH_NS created"
fi
ip addr replace "$H2_ROOT_ADDR/24" dev "$H2_VETH_ROOT"
ip -n "$H2_NETNS" addr replace "$H2_ADDR/24" dev "$H2_VETH_NS"
ip link set "$H2_VETH_ROOT" up
ip -n "$H2_NETNS" link set "$H2_VETH_NS" up

# --- private libvirt dirs ----------------------------------------------------------------------
[ -d "$LAB_IMAGE_DIR" ] || lab_die "$LAB_IMAGE_DIR is missing: bring the lab up first (infra/lab/lab-up.sh)"
mkdir -p "$H2_ETC" "$H2_RUN" "$H2_LIB" "$H2_LOG/qemu" "$H2_CACHE" "$H2_ROOT_RUN" "$H2_LAB/image"
chmod 755 "$H2_RUN" "$H2_LIB" "$H2_LOG" "$H2_ROOT_RUN" "$H2_LAB" "$H2_LAB/image"
chmod 711 "$H2_CACHE"
# In the root namespace $H2_ROOT_RUN/libvirt-sock is a symlink to the root libvirtd's socket; inside
# host2 the root's /run/libvirt is bound over $H2_ROOT_RUN. So ROOT_MIGRATION_URI reaches the root
# libvirtd from either namespace.
ln -sfn /run/libvirt/libvirt-sock "$H2_ROOT_RUN/libvirt-sock"
# /etc/libvirt: the packaged config files, but none of the root host's domains, networks or secrets.
if [ ! -f "$H2_ETC/.copied" ]; then
  find /etc/libvirt -maxdepth 1 -type f -name '*.conf' -exec cp -p {} "$H2_ETC/" \;
  [ -d /etc/libvirt/nwfilter ] && cp -a /etc/libvirt/nwfilter "$H2_ETC/"
  mkdir -p "$H2_ETC/hooks" "$H2_ETC/qemu/networks/autostart" "$H2_ETC/secrets" "$H2_ETC/storage"
  chmod 700 "$H2_ETC/secrets"
  touch "$H2_ETC/.copied"
fi
[ -s "$H2_DIR/host-uuid" ] || cat /proc/sys/kernel/random/uuid > "$H2_DIR/host-uuid"
H2_UUID=$(cat "$H2_DIR/host-uuid")
{
  sed '/^# --- ballast host2 ---$/,$d' /etc/libvirt/libvirtd.conf
  cat <<CONF
# --- ballast host2 ---
listen_tls = 0
listen_tcp = 1
listen_addr = "$H2_ADDR"
auth_tcp = "none"
host_uuid = "$H2_UUID"
CONF
} > "$H2_ETC/libvirtd.conf.new"
mv "$H2_ETC/libvirtd.conf.new" "$H2_ETC/libvirtd.conf"
# /var/lib/libvirt: empty, with the owners and modes the package gives it.
mkdir -p "$H2_LIB/qemu" "$H2_LIB/boot" "$H2_LIB/images"
chown libvirt-qemu:libvirt-qemu "$H2_LIB/qemu"
chmod 750 "$H2_LIB/qemu"
# /var/cache/libvirt: start from the root host's QEMU capability cache (same binary, same kernel),
# which spares host2's libvirtd a QEMU probe at start; libvirtd re-probes if it does not match.
if [ ! -d "$H2_CACHE/qemu" ] && [ -d /var/cache/libvirt/qemu ]; then cp -a /var/cache/libvirt/qemu "$H2_CACHE/"; fi

# --- daemons -----------------------------------------------------------------------------------
LIBVIRTD_PID=$(h2_daemon_pid libvirtd)
if [ -n "$LIBVIRTD_PID" ] && [ "$(stat -c %d:%i "/proc/$LIBVIRTD_PID/root$LAB_IMAGE_DIR" 2>/dev/null)" != "$(stat -c %d:%i "$LAB_IMAGE_DIR")" ]; then
  # The lab was re-created since host2 started: host2 still sees the old image dir.
  if [ -n "$(h2_virsh list --name 2>/dev/null | grep .)" ]; then
    lab_log "host2: warning: host2 sees a stale $LAB_IMAGE_DIR but has running guests; not restarting it"
  else
    lab_log "host2: $LAB_IMAGE_DIR was re-created since host2 started; restarting host2's daemons"
    h2_stop_daemon libvirtd
    LIBVIRTD_PID=
  fi
fi
if [ -z "$LIBVIRTD_PID" ]; then
  h2_stop_daemon virtlogd   # a virtlogd without its libvirtd: restart both in one mount namespace
  rm -f "$H2_RUN"/*.pid "$H2_RUN"/libvirt-sock "$H2_RUN"/libvirt-sock-ro "$H2_RUN"/libvirt-admin-sock \
        "$H2_RUN"/virtlogd-sock "$H2_RUN"/virtlogd-admin-sock
  # nsenter --net (not `ip netns exec`, which remounts /sys and so would hide the cgroup mounts).
  # Order matters: the root host's /run/libvirt is bound to $H2_ROOT_RUN before host2's own run dir
  # covers /run/libvirt. 9>&-: the daemons must not inherit the lock.
  nsenter --net="/run/netns/$H2_NETNS" -- unshare -m --propagation private -- env \
    H2_ETC="$H2_ETC" H2_RUN="$H2_RUN" H2_LIB="$H2_LIB" H2_LOG="$H2_LOG" H2_CACHE="$H2_CACHE" H2_ROOT_RUN="$H2_ROOT_RUN" \
    H2_LAB="$H2_LAB" LAB_STATE_DIR="$LAB_STATE_DIR" LAB_IMAGE_DIR="$LAB_IMAGE_DIR" \
    bash -euc '
      mount --bind "$LAB_IMAGE_DIR" "$H2_LAB/image"
      mount --rbind "$H2_LAB" "$LAB_STATE_DIR"
      mount --bind /run/libvirt "$H2_ROOT_RUN"
      mount --bind "$H2_RUN" /run/libvirt
      mount --bind "$H2_ETC" /etc/libvirt
      mount --bind "$H2_LIB" /var/lib/libvirt
      mount --bind "$H2_LOG" /var/log/libvirt
      mount --bind "$H2_CACHE" /var/cache/libvirt
      virtlogd -d -p /run/libvirt/virtlogd.pid
      libvirtd -d --listen -p /run/libvirt/libvirtd.pid
    ' 9>&- </dev/null
  lab_log "host2: virtlogd and libvirtd started in $H2_NETNS"
fi
for i in $(seq 1 120); do
  if h2_virsh uri >/dev/null 2>&1 && virsh -q -c "$H2_MIGRATION_URI" uri >/dev/null 2>&1; then break; fi
  [ "$i" = 120 ] && lab_die "host2's libvirtd does not answer at $H2_URI and $H2_MIGRATION_URI after 60 s (log: $H2_LOG/libvirtd.log)"
  sleep 0.5
done
host_uuid() { virsh -q -c "$1" capabilities | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -1; }
[ "$(host_uuid "$H2_URI")" = "$H2_UUID" ] || lab_die "host2's libvirtd reports host uuid $(host_uuid "$H2_URI"), expected $H2_UUID"
[ "$(host_uuid qemu:///system)" != "$H2_UUID" ] || lab_die "host2 and the root host share a host uuid"

# host2's view of the lab state, so `LAB_STATE_DIR=$H2_LAB ballast lab health|exec <vm>` drives a
# lab guest while it runs on host2 (same names and uuids; host2's URI, sockets and serial logs).
if [ -f "$LAB_STATE_DIR/lab.json" ]; then
  H2_URI="$H2_URI" H2_LAB="$H2_LAB" LAB_STATE_DIR="$LAB_STATE_DIR" node -e '
    const fs = require("node:fs");
    const { H2_URI: uri, H2_LAB: dir, LAB_STATE_DIR: lab } = process.env;
    const s = JSON.parse(fs.readFileSync(`${lab}/lab.json`, "utf8"));
    const move = (p) => (typeof p === "string" && p.startsWith(`${lab}/`) ? dir + p.slice(lab.length) : p);
    Object.assign(s, { uri, stateDir: dir, host: "host2" });
    for (const vm of s.vms ?? []) Object.assign(vm, { socket: move(vm.socket), serialLog: move(vm.serialLog) });
    fs.writeFileSync(`${dir}/lab.json.new`, JSON.stringify(s, null, 2) + "\n");
    fs.renameSync(`${dir}/lab.json.new`, `${dir}/lab.json`);
  '
fi

lab_log "host2 up in $(lab_since "$T_START") s (libvirtd pid $(h2_daemon_pid libvirtd), log $H2_LOG/libvirtd.log)"
cat <<EOF
HOST1_URI=qemu:///system
HOST1_MIGRATION_URI=$ROOT_MIGRATION_URI
HOST1_MIGRATION_DATA_URI=$ROOT_MIGRATION_DATA_URI
HOST2_URI=$H2_URI
HOST2_MIGRATION_URI=$H2_MIGRATION_URI
HOST2_MIGRATION_DATA_URI=$H2_MIGRATION_DATA_URI
HOST2_LAB_DIR=$H2_LAB
HOST2_WAS_UP=$WAS_UP
EOF
