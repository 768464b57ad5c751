#!/usr/bin/env bash
# The main job end to end on a generated ESXi-like sample: no VMware media, no
# cloud account. Builds the tool, writes a sample ISO, remasters it, inspects it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
work="${WORK:-$(mktemp -d /tmp/esxi-byoi-demo.XXXXXX)}"
CGO_ENABLED=0 go build -trimpath -o bin/esxi-byoi ./cmd/esxi-byoi
bin/esxi-byoi sample-iso -o "$work/VMware-VMvisor-Installer-8.0U3-sample.iso" --size "${SIZE:-600MiB}"
bin/esxi-byoi remaster -i "$work/VMware-VMvisor-Installer-8.0U3-sample.iso" -o "$work/ESXi-8.0U3-BareMetal.iso"
bin/esxi-byoi inspect "$work/ESXi-8.0U3-BareMetal.iso"
echo "demo output in $work"
