#!/usr/bin/env bash
# Builds the lab guest image: Debian's kernel (vmlinuz) + a busybox-static initramfs (gzip cpio)
# holding the virtio/zram modules, the init script, the control agent and the CPU load generator.
# Output: $LAB_STATE_DIR/image/{vmlinuz,initrd.img,cmdline,image.sha256}. Rebuilds only when an input
# changes (kernel package, guest/ scripts, this script, busybox, module list, cmdline).
# Env: LAB_STATE_DIR (/var/lib/ballast-lab), LAB_KERNEL_PKG (default: what linux-image-amd64 depends on),
#      LAB_FORCE_BUILD=1 to rebuild anyway. Prints the image dir on stdout.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

BUSYBOX=$(command -v busybox) || lab_die "busybox not found (apt-get install busybox-static)"
mkdir -p "$LAB_IMAGE_DIR" "$LAB_CACHE_DIR"
chmod 755 "$LAB_STATE_DIR" "$LAB_IMAGE_DIR"

resolve_kernel_pkg() {
  [ -n "${LAB_KERNEL_PKG:-}" ] && { echo "$LAB_KERNEL_PKG"; return; }
  local p
  p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  if [ -z "$p" ]; then
    apt-get update -q >/dev/null 2>&1 || true
    p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  fi
  if [ -z "$p" ]; then   # offline: whatever is cached
    p=$(find "$LAB_CACHE_DIR" -maxdepth 1 -name 'linux-image-*.deb' -printf '%f\n' 2>/dev/null | sort | tail -1 | sed 's/_.*//')
  fi
  [ -n "$p" ] || lab_die "cannot resolve the Debian kernel package (apt-cache depends linux-image-amd64)"
  echo "$p"
}

KPKG=$(resolve_kernel_pkg)
KVER=${KPKG#linux-image-}
DEB=$(find "$LAB_CACHE_DIR" -maxdepth 1 -name "${KPKG}_*.deb" | sort | tail -1)
if [ -z "$DEB" ]; then
  lab_log "downloading $KPKG"
  t0=$(lab_now)
  # apt drops privileges to _apt for downloads; give it a directory it may write.
  tmpd=$(mktemp -d) && chmod 777 "$tmpd"
  (cd "$tmpd" && apt-get download -q "$KPKG" >/dev/null 2>&1) \
    || { apt-get update -q >/dev/null 2>&1; (cd "$tmpd" && apt-get download -q "$KPKG" >/dev/null); } \
    || lab_die "apt-get download $KPKG failed"
  mv "$tmpd"/*.deb "$LAB_CACHE_DIR/" && rm -rf "$tmpd"
  DEB=$(find "$LAB_CACHE_DIR" -maxdepth 1 -name "${KPKG}_*.deb" | sort | tail -1)
  lab_log "downloaded $(basename "$DEB") in $(lab_since "$t0") s"
fi

# Everything that shapes the image goes into its hash.
MODLIST=$(printf '%s\n' "${LAB_MODULES[@]}")
HASH=$( { basename "$DEB"; sha256sum "$BUSYBOX" | cut -d' ' -f1; cat "${BASH_SOURCE[0]}";
          echo "$MODLIST"; echo "$LAB_CMDLINE";
          find "$LAB_DIR/guest" -type f | sort | xargs cat; } | sha256sum | cut -d' ' -f1)
if [ "${LAB_FORCE_BUILD:-0}" != 1 ] && [ -f "$LAB_IMAGE_DIR/image.sha256" ] \
   && [ "$(cat "$LAB_IMAGE_DIR/image.sha256")" = "$HASH" ] \
   && [ -s "$LAB_IMAGE_DIR/vmlinuz" ] && [ -s "$LAB_IMAGE_DIR/initrd.img" ]; then
  echo "$LAB_IMAGE_DIR"
  exit 0
fi

lab_log "building guest image ($KPKG)"
t0=$(lab_now)
work=$(mktemp -d "$LAB_CACHE_DIR/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Only the kernel image and the modules we need: dpkg-deb --fsys-tarfile | tar with wildcards.
moddir=lib/modules/$KVER/kernel
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$work" --wildcards \
  "./boot/vmlinuz-$KVER" "./$moddir/drivers/virtio/*" "./$moddir/drivers/char/virtio_console.ko" \
  "./$moddir/mm/zsmalloc.ko" "./$moddir/drivers/block/zram/*" "./$moddir/drivers/misc/pvpanic/*"

root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,mnt/mem,lib/modules,etc}
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
: > "$root/lib/modules/load-order"
for entry in "${LAB_MODULES[@]}"; do
  name=${entry%% *}
  ko=$(find "$work/$moddir" -name "$name.ko" | head -1)
  [ -n "$ko" ] || lab_die "module $name.ko not in $KPKG"
  cp "$ko" "$root/lib/modules/"
  echo "$entry" >> "$root/lib/modules/load-order"
done
install -m 755 "$LAB_DIR/guest/init" "$root/init"
for f in "$LAB_DIR"/guest/ballast-*; do install -m 755 "$f" "$root/bin/$(basename "$f")"; done
# the CPU load generator (work-based duty cycle), static: the guest has no libc
gcc -O1 -static -Wall -Wextra -Werror -o "$root/bin/ballast-burn" "$LAB_DIR/guest/src/ballast-burn.c" \
  || lab_die "cannot build ballast-burn (apt-get install gcc libc6-dev)"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
echo "lab" > "$root/etc/hostname"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -6) > "$LAB_IMAGE_DIR/initrd.img.new"
cp "$work/boot/vmlinuz-$KVER" "$LAB_IMAGE_DIR/vmlinuz.new"
mv "$LAB_IMAGE_DIR/initrd.img.new" "$LAB_IMAGE_DIR/initrd.img"
mv "$LAB_IMAGE_DIR/vmlinuz.new" "$LAB_IMAGE_DIR/vmlinuz"
chmod 644 "$LAB_IMAGE_DIR/initrd.img" "$LAB_IMAGE_DIR/vmlinuz"
echo "$LAB_CMDLINE" > "$LAB_IMAGE_DIR/cmdline"
echo "$KPKG" > "$LAB_IMAGE_DIR/kernel-package"
echo "$HASH" > "$LAB_IMAGE_DIR/image.sha256"
lab_log "image built in $(lab_since "$t0") s ($(du -k "$LAB_IMAGE_DIR/initrd.img" | cut -f1) KiB initrd)"
echo "$LAB_IMAGE_DIR"
