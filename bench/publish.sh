#!/usr/bin/env bash
# Benchmark: publishing and verifying a 600 MiB ISO against a local versitygw
# over TLS (scripts/s3rig.sh), in the same run as the baselines:
#
#   upload  ours: esxi-byoi publish ISO -x true    (sha256 read + multipart upload)
#           base: rclone copyto ISO rig:bucket/key (Debian's rclone 1.60), with
#                 its defaults and with --expect-continue-timeout 0s: its
#                 S3 SDK sends "Expect: 100-continue" with every part and
#                 versitygw never answers it, so by default each part waits 1 s
#   verify  ours: esxi-byoi verify SERVICE.yml     (anonymous GET + size + sha256)
#           base: curl -s --cacert CA URL | openssl dgst -sha256
#
# Each side runs RUNS times (best kept), each upload to a new key. Reports
# seconds, MB/s and the throughput ratio ours/baseline (target >= 1.0), and
# our peak RSS. Client and server share this machine's cores, so absolute
# numbers say little; the ratios are the point.
#
# rclone 1.60 fails when AWS_CA_BUNDLE is set ("unable to load custom CA
# bundle ... transport unsupported type"): it runs with AWS_CA_BUNDLE unset
# and --ca-cert instead. esxi-byoi runs with the environment as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
RUNS="${RUNS:-3}"
SIZE="${SIZE:-600MiB}"
work="${BENCH_DIR:-/var/tmp/esxi-byoi-bench}"
mkdir -p "$work"
export S3RIG_DIR="$work/s3rig"
trap 'scripts/s3rig.sh stop' EXIT

scripts/deps.sh
CGO_ENABLED=0 go build -trimpath -o bin/esxi-byoi ./cmd/esxi-byoi
bin=bin/esxi-byoi
eval "$(scripts/s3rig.sh start)"
s3=(--s3-bucket "$S3RIG_BUCKET" --s3-endpoint "$S3RIG_ENDPOINT" --s3-path-style --ca-file "$S3RIG_CA")

sample="$work/sample-$SIZE.iso"
[ -f "$sample" ] || $bin sample-iso -o "$sample" --size "$SIZE" >/dev/null 2>&1
# One build makes the ISO and the YAML that verify reads (published once here).
ESXI_ROOT_PASSWORD="$(openssl rand -hex 12)" $bin build -i "$sample" -o "$work/ESXi-bench.iso" -s "$work/ESXi-bench.yml" \
  "${s3[@]}" --s3-prefix public/bench/build -x true >/dev/null 2>&1
iso="$work/ESXi-bench.iso"
bytes=$(stat -c %s "$iso")
url=$(sed -n 's/^ *secure_url: *//p' "$work/ESXi-bench.yml" | tr -d '"')

export RCLONE_CONFIG_RIG_TYPE=s3 RCLONE_CONFIG_RIG_PROVIDER=Other RCLONE_CONFIG_RIG_ENV_AUTH=false \
  RCLONE_CONFIG_RIG_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_RIG_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
  RCLONE_CONFIG_RIG_ENDPOINT="$S3RIG_ENDPOINT" RCLONE_CONFIG_RIG_REGION="$AWS_REGION" RCLONE_CONFIG_RIG_FORCE_PATH_STYLE=true

now() { date +%s.%N; }
best() { sort -g | head -1; }
mbps() { echo "$bytes / $1 / 1000000" | bc -l; }
cat "$iso" >/dev/null # warm the page cache for both sides

up_ours=(); up_base=(); up_tuned=(); ver_ours=(); ver_base=(); rss=()
for i in $(seq "$RUNS"); do
  t0=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" $bin publish "$iso" "${s3[@]}" --s3-prefix "public/bench/ours-$i" -x true >/dev/null 2>"$work/publish.log" ||
    { cat "$work/publish.log" >&2; exit 1; }
  t1=$(now); up_ours+=("$(echo "$t1 - $t0" | bc -l)"); rss+=("$(cat "$work/rss")")
  t0=$(now)
  env -u AWS_CA_BUNDLE rclone --ca-cert "$S3RIG_CA" copyto "$iso" "rig:$S3RIG_BUCKET/public/bench/rclone-$i.iso"
  t1=$(now); up_base+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now)
  env -u AWS_CA_BUNDLE rclone --ca-cert "$S3RIG_CA" --expect-continue-timeout 0s copyto "$iso" "rig:$S3RIG_BUCKET/public/bench/rclone-tuned-$i.iso"
  t1=$(now); up_tuned+=("$(echo "$t1 - $t0" | bc -l)")

  t0=$(now)
  $bin verify --ca-file "$S3RIG_CA" "$work/ESXi-bench.yml" >/dev/null 2>&1
  t1=$(now); ver_ours+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now)
  curl -s --fail --cacert "$S3RIG_CA" "$url" | openssl dgst -sha256 >/dev/null
  t1=$(now); ver_base+=("$(echo "$t1 - $t0" | bc -l)")
done

uo=$(printf '%s\n' "${up_ours[@]}" | best); ub=$(printf '%s\n' "${up_base[@]}" | best); ut=$(printf '%s\n' "${up_tuned[@]}" | best)
vo=$(printf '%s\n' "${ver_ours[@]}" | best); vb=$(printf '%s\n' "${ver_base[@]}" | best)
r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
echo "ISO: $bytes bytes; best of $RUNS; versitygw $(go version -m "$(scripts/versitygw.sh)" | awk '$1=="mod"{print $3}') on $S3RIG_ENDPOINT"
printf '%-8s %-34s %8s %9s   %-40s %8s %9s %7s\n' step ours s MB/s baseline s MB/s ratio
printf '%-8s %-34s %8.2f %9.0f   %-40s %8.2f %9.0f %7.2f\n' upload "esxi-byoi publish (sha256+upload)" "$uo" "$(mbps "$uo")" \
  "rclone copyto" "$ub" "$(mbps "$ub")" "$(echo "$ub / $uo" | bc -l)"
printf '%-8s %-34s %8.2f %9.0f   %-40s %8.2f %9.0f %7.2f\n' upload "esxi-byoi publish (sha256+upload)" "$uo" "$(mbps "$uo")" \
  "rclone copyto --expect-continue-timeout 0s" "$ut" "$(mbps "$ut")" "$(echo "$ut / $uo" | bc -l)"
printf '%-8s %-34s %8.2f %9.0f   %-40s %8.2f %9.0f %7.2f\n' verify "esxi-byoi verify" "$vo" "$(mbps "$vo")" \
  "curl | openssl dgst -sha256" "$vb" "$(mbps "$vb")" "$(echo "$vb / $vo" | bc -l)"
echo "peak RSS of esxi-byoi publish: $((r / 1024)) MB"
