#!/usr/bin/env bash
# Brings the Ballast lab up: N small QEMU guests (lab-vm1..lab-vmN) under libvirt, each with a
# virtio balloon (stats every 2 s), a serial console logged to a file and a control-agent channel.
# Idempotent: guests that are up and current are left alone; a different VMS adds/removes guests.
#
# Env: VMS (4), LIBVIRT_URI (qemu:///system), LAB_STATE_DIR (/var/lib/ballast-lab),
#      LAB_ACCEL=kvm|tcg (default: probed once, remembered in $LAB_STATE_DIR/accel),
#      LAB_BOOT_TIMEOUT seconds (240), LAB_MEMORY_MIB (512), LAB_MAX_MEMORY_MIB (2048), LAB_VCPUS (1).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/domain-xml.sh
source "$HERE/lib/domain-xml.sh"
VMS=${VMS:-4}
LAB_BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-240}
HELPER="node $HERE/lib/lab-helper.mjs"
[[ "$VMS" =~ ^[0-9]+$ ]] || lab_die "VMS must be a number, got '$VMS'"
T_START=$(lab_now)
say() { echo "[+$(lab_since "$T_START")s] $*"; }

# --- packages and daemons --------------------------------------------------------------------
bash "$REPO_DIR/infra/setup/deps.sh"
command -v node >/dev/null || lab_die "node is needed"
mkdir -p "$LAB_STATE_DIR"
chmod 755 "$LAB_STATE_DIR"
exec 9>"$LAB_STATE_DIR/.lock"
if ! flock -w 2 9; then
  lab_log "waiting for $LAB_STATE_DIR/.lock (held by: $(fuser "$LAB_STATE_DIR/.lock" 2>/dev/null | xargs))"
  flock -w 600 9 || lab_die "another lab-up holds $LAB_STATE_DIR/.lock"
fi

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ "$LIBVIRT_URI" = qemu:///system ]; then
  # 9>&-: a daemon must not inherit the lock's fd (it would hold the lock for its whole life)
  if ! pid_alive /run/virtlogd.pid; then lab_log "starting virtlogd"; virtlogd -d 9>&-; fi
  if ! pid_alive /run/libvirtd.pid; then lab_log "starting libvirtd"; libvirtd -d 9>&-; fi
fi
for i in $(seq 1 60); do
  virsh_ uri >/dev/null 2>&1 && break
  [ "$i" = 60 ] && lab_die "libvirt at $LIBVIRT_URI does not answer after 30 s"
  sleep 0.5
done

# Without udev, /dev/kvm stays root:root 0600. libvirt then finds KVM "not available" to the qemu
# user although its capability probe used it, drops its capability cache on every lookup and
# re-probes QEMU: each `virsh define` took ~50 s. Give /dev/kvm the owner and mode udev would.
if [ -c /dev/kvm ] && getent group kvm >/dev/null && [ "$(stat -c %G:%a /dev/kvm)" != kvm:660 ]; then
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm && lab_log "set /dev/kvm to root:kvm 0660 (as udev would)"
fi

# --- image -----------------------------------------------------------------------------------
T_IMG=$(lab_now)
"$HERE/build-image.sh" >/dev/null
IMAGE_HASH=$(cat "$LAB_IMAGE_DIR/image.sha256")
lab_log "image ready ($(lab_since "$T_IMG") s): $LAB_IMAGE_DIR"

# --- accelerator -----------------------------------------------------------------------------
# Nested KVM on this kind of machine hangs at boot rather than failing, so boot the image once
# under KVM with a deadline and look for the ready marker. The answer is remembered.
probe_kvm() {
  [ -c /dev/kvm ] && [ -w /dev/kvm ] || { echo tcg; return; }
  local log pid ans=tcg
  log=$(mktemp)
  qemu-system-x86_64 -accel kvm -m 256 -smp 1 -display none -nodefaults -no-reboot -monitor none \
    -kernel "$LAB_IMAGE_DIR/vmlinuz" -initrd "$LAB_IMAGE_DIR/initrd.img" \
    -append "console=ttyS0 panic=-1 loglevel=5" -serial "file:$log" </dev/null >/dev/null 2>&1 9>&- &
  pid=$!
  for _ in $(seq 1 40); do
    if grep -q "$LAB_READY_MARKER" "$log" 2>/dev/null; then ans=kvm; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  sleep 0.5
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
  echo "$ans"
}
ACCEL_KEY="$(qemu-system-x86_64 --version | head -1) $(cat "$LAB_IMAGE_DIR/kernel-package")"
if [ -n "${LAB_ACCEL:-}" ]; then
  [[ "$LAB_ACCEL" =~ ^(kvm|tcg)$ ]] || lab_die "LAB_ACCEL must be kvm or tcg, got '$LAB_ACCEL'"
  ACCEL=$LAB_ACCEL
elif [ -f "$LAB_STATE_DIR/accel" ] && [ "$(sed -n 2p "$LAB_STATE_DIR/accel")" = "$ACCEL_KEY" ]; then
  ACCEL=$(head -1 "$LAB_STATE_DIR/accel")
else
  lab_log "probing KVM (up to 20 s; nested KVM here tends to hang)"
  T_P=$(lab_now)
  ACCEL=$(probe_kvm)
  printf '%s\n%s\n' "$ACCEL" "$ACCEL_KEY" > "$LAB_STATE_DIR/accel"
  lab_log "KVM probe: using $ACCEL ($(lab_since "$T_P") s)"
fi
DOMTYPE=qemu
[ "$ACCEL" = kvm ] && DOMTYPE=kvm
lab_log "accelerator: $ACCEL (domain type '$DOMTYPE')"

# --- guests ----------------------------------------------------------------------------------
remove_guest() {
  local name=$1
  virsh_ destroy "$name" >/dev/null 2>&1 || true
  virsh_ undefine "$name" >/dev/null 2>&1 || true
  rm -f "$LAB_STATE_DIR/$name".{serial.log,ctl.sock,xml}
  say "$name: removed"
}

# A lab guest live-migrated to host2 (host2-up.sh) is not on this host now: it is left there (defining
# it here again would start a second one); host2-down.sh brings it back.
H2_UP=''
if [ "$LIBVIRT_URI" = qemu:///system ]; then
  # shellcheck source=lib/host2-common.sh
  source "$HERE/lib/host2-common.sh"
  [ -z "$(h2_daemon_pid libvirtd)" ] || H2_UP=1
fi
on_host2_only() { [ -n "$H2_UP" ] && h2_virsh domuuid "$1" >/dev/null 2>&1 && ! virsh_ domuuid "$1" >/dev/null 2>&1; }
guest_uuid() { if on_host2_only "$1"; then h2_virsh domuuid "$1"; else virsh_ domuuid "$1"; fi; }

mapfile -t EXISTING < <(virsh_ list --all --name | grep -E '^lab-vm[0-9]+$' || true)
for name in "${EXISTING[@]}"; do
  n=${name#lab-vm}
  [ "$n" -gt "$VMS" ] && remove_guest "$name"
done

WAIT_SPECS=()
for n in $(seq 1 "$VMS"); do
  name=lab-vm$n
  if on_host2_only "$name"; then
    say "$name: on host2 ($(h2_virsh domstate "$name" | head -1)), left there"
    continue
  fi
  xml=$LAB_STATE_DIR/$name.xml
  hash=$( { lab_domain_xml "$name" "$DOMTYPE" ''; echo "$IMAGE_HASH"; } | sha256sum | cut -c1-16)
  uuid=$(virsh_ domuuid "$name" 2>/dev/null || true)
  lab_domain_xml "$name" "$DOMTYPE" "$hash" "$uuid" > "$xml"
  defined_hash=$(virsh_ dumpxml --inactive "$name" 2>/dev/null | sed -n 's/.*<lab:confighash>\(.*\)<\/lab:confighash>.*/\1/p' || true)
  state=$(virsh_ domstate "$name" 2>/dev/null | head -1 || true)
  if [ -n "$state" ] && [ "$defined_hash" = "$hash" ]; then
    case "$state" in
      running)
        if $HELPER ping "$LAB_STATE_DIR/$name.ctl.sock" 3000; then
          say "$name: already up"
          continue
        fi
        if grep -q 'Kernel panic' "$LAB_STATE_DIR/$name.serial.log" 2>/dev/null; then
          say "$name: was panicked, restarting"
          virsh_ destroy "$name" >/dev/null
        else
          say "$name: running, agent not answering yet; waiting"
          WAIT_SPECS+=("$name=$(date +%s%3N),$LAB_STATE_DIR/$name.serial.log,$LAB_STATE_DIR/$name.ctl.sock")
          continue
        fi
        ;;
      paused)
        say "$name: paused, resuming"
        virsh_ resume "$name" >/dev/null
        WAIT_SPECS+=("$name=$(date +%s%3N),$LAB_STATE_DIR/$name.serial.log,$LAB_STATE_DIR/$name.ctl.sock")
        continue
        ;;
      "shut off") ;;
      *)
        say "$name: $state, restarting"
        virsh_ destroy "$name" >/dev/null 2>&1 || true
        ;;
    esac
  else
    if [ -n "$state" ]; then
      say "$name: configuration changed, redefining"
      virsh_ destroy "$name" >/dev/null 2>&1 || true
    fi
    virsh_ define "$xml" >/dev/null
    say "$name: defined"
  fi
  rm -f "$LAB_STATE_DIR/$name.serial.log"
  virsh_ start "$name" >/dev/null
  chmod 644 "$LAB_STATE_DIR/$name.serial.log" 2>/dev/null || true
  say "$name: started"
  WAIT_SPECS+=("$name=$(date +%s%3N),$LAB_STATE_DIR/$name.serial.log,$LAB_STATE_DIR/$name.ctl.sock")
done

if [ ${#WAIT_SPECS[@]} -gt 0 ]; then
  $HELPER wait "$LAB_BOOT_TIMEOUT" "${WAIT_SPECS[@]}" || lab_die "lab guests did not become ready"
fi

# --- state file ------------------------------------------------------------------------------
{
  printf '{\n  "version": 1,\n  "uri": "%s",\n  "accel": "%s",\n  "domainType": "%s",\n' "$LIBVIRT_URI" "$ACCEL" "$DOMTYPE"
  printf '  "stateDir": "%s",\n' "$LAB_STATE_DIR"
  printf '  "image": {"kernel": "%s", "initrd": "%s", "cmdline": "%s", "kernelPackage": "%s", "hash": "%s"},\n' \
    "$LAB_IMAGE_DIR/vmlinuz" "$LAB_IMAGE_DIR/initrd.img" "$LAB_CMDLINE" "$(cat "$LAB_IMAGE_DIR/kernel-package")" "$IMAGE_HASH"
  printf '  "vms": ['
  sep=''
  for n in $(seq 1 "$VMS"); do
    name=lab-vm$n
    printf '%s\n    {"name": "%s", "uuid": "%s", "socket": "%s", "serialLog": "%s", "vcpus": %s, "memoryMiB": %s, "maxMemoryMiB": %s}' \
      "$sep" "$name" "$(guest_uuid "$name")" "$LAB_STATE_DIR/$name.ctl.sock" "$LAB_STATE_DIR/$name.serial.log" \
      "$LAB_VCPUS" "$LAB_MEMORY_MIB" "$LAB_MAX_MEMORY_MIB"
    sep=','
  done
  printf '\n  ]\n}\n'
} | $HELPER state "$LAB_STATE_DIR/lab.json"
lab_log "lab up: $VMS guest(s) in $(lab_since "$T_START") s; state in $LAB_STATE_DIR/lab.json"
