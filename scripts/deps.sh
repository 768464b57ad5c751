#!/usr/bin/env bash
# Installs the real tools the test suite uses as judges and peers (Debian 12):
# ISO tools that check every image we write, QEMU + firmware that boot them,
# Debian's own non-ESXi ISOs as bad inputs, openssl for crypt/digest checks,
# shellcheck for the run: scripts of the workflows (actionlint calls it).
set -euo pipefail
pkgs=(xorriso genisoimage qemu-system-x86 ovmf isolinux syslinux-common grub-efi-amd64-bin grub-common
      mtools dosfstools openssl ipxe grub-rescue-pc util-linux rclone curl shellcheck)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
