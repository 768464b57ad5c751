#!/usr/bin/env bash
# The main job end to end on a generated ESXi-like sample: no VMware media, no
# cloud account. Builds the tool, writes a sample ISO, starts a local
# S3-compatible server over TLS (scripts/s3rig.sh: versitygw with a throwaway
# CA), then runs the whole pipeline: remaster → publish → service YAML →
# verify (an anonymous download, as the on-prem controller does). Prints the
# URL and the YAML, and stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
work="${WORK:-$(mktemp -d /tmp/esxi-byoi-demo.XXXXXX)}"
export S3RIG_DIR="$work/s3rig"
trap 'scripts/s3rig.sh stop' EXIT

scripts/deps.sh
CGO_ENABLED=0 go build -trimpath -o bin/esxi-byoi ./cmd/esxi-byoi
bin/esxi-byoi sample-iso -o "$work/VMware-VMvisor-Installer-8.0U3-sample.iso" --size "${SIZE:-600MiB}"
eval "$(scripts/s3rig.sh start)" # AWS_* credentials in the environment, as the AWS chain reads them

# A demo root password (only its salted SHA-512 crypt hash goes into the YAML).
export ESXI_ROOT_PASSWORD="${ESXI_ROOT_PASSWORD:-$(openssl rand -base64 18)}"
bin/esxi-byoi build -i "$work/VMware-VMvisor-Installer-8.0U3-sample.iso" \
  -o "$work/ESXi-8.0U3-BareMetal.iso" -s "$work/ESXi-8.0U3-BareMetal.yml" \
  --s3-bucket "$S3RIG_BUCKET" --s3-prefix "${S3RIG_PUBLIC_PREFIX}esxi" \
  --s3-endpoint "$S3RIG_ENDPOINT" --s3-path-style --ca-file "$S3RIG_CA"
bin/esxi-byoi inspect "$work/ESXi-8.0U3-BareMetal.iso"

url=$(sed -n 's/^ *secure_url: *//p' "$work/ESXi-8.0U3-BareMetal.yml" | tr -d '"')
echo
echo "== published at: $url"
echo "== service YAML ($work/ESXi-8.0U3-BareMetal.yml):"
cat "$work/ESXi-8.0U3-BareMetal.yml"
echo
echo "demo output in $work (the S3 server stops now)"
