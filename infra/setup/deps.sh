#!/usr/bin/env bash
# Installs the Debian packages Ballast needs on a fresh Debian 12 machine, only when something is missing.
# Idempotent and quiet when everything is there. Runs as root (the machines here are root).
set -euo pipefail

# prometheus: its promtool checks every service's /metrics in the tests (`promtool check metrics`).
# chromium: the dashboard's page tests drive it headless through playwright-core (/usr/bin/chromium).
PKGS=(libvirt-daemon-system libvirt-clients libvirt-dev qemu-system-x86 qemu-utils
      redis-server busybox-static cpio pkg-config python3 g++ make prometheus chromium)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's postinst may start a redis-server on :6379; Ballast runs its own (infra/redis).
  # Ballast needs only prometheus's promtool: a Prometheus server its postinst started (with systemd) is stopped.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi
