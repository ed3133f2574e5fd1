# Shared settings for the lab scripts (sourced, not run).
# shellcheck shell=bash
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
LAB_STATE_DIR=${LAB_STATE_DIR:-/var/lib/ballast-lab}
LIBVIRT_URI=${LIBVIRT_URI:-qemu:///system}
LAB_IMAGE_DIR=$LAB_STATE_DIR/image
LAB_CACHE_DIR=$LAB_STATE_DIR/cache
LAB_READY_MARKER=BALLAST-LAB-READY
# Kernel command line shared by every guest (each adds ballast.name=<vm>). transparent_hugepage=never:
# with THP the kernel raises min_free_kbytes to ~44 MiB and parks up to ~54 MiB on per-cpu free lists,
# which a 512 MiB guest cannot spare and which hides freed memory from the balloon stats.
LAB_CMDLINE=${LAB_CMDLINE:-"console=ttyS0 panic=0 loglevel=5 mitigations=off tsc=reliable transparent_hugepage=never"}
# Modules loaded by the guest init, in this order (name [args]).
LAB_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
             virtio_balloon virtio_console zsmalloc "zram num_devices=1" pvpanic pvpanic-mmio)

lab_log() { printf '%s\n' "lab: $*" >&2; }
lab_die() { printf '%s\n' "lab: error: $*" >&2; exit 1; }
lab_now() { date +%s.%N; }
lab_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
virsh_() { virsh -q -c "$LIBVIRT_URI" "$@"; }
