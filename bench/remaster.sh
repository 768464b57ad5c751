#!/usr/bin/env bash
# Benchmark: remaster + sha256 (one streaming pass, write and hash overlapped)
# against the sequential baseline `cp` + `openssl dgst -sha256` of the same
# file, in the same run, on 600 MiB and 1.2 GiB samples. Reports wall time,
# the ratio ours/baseline (target <= 1.0) and our peak RSS (target <= 64 MB,
# flat as the ISO grows). Both sides start from a warm page cache; both sides
# end with the output on disk (we fsync; the baseline gets `sync FILE`), so
# durability is like for like. Runs each side RUNS times and keeps the best.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
RUNS="${RUNS:-3}"
SIZES="${SIZES:-600MiB 1.2GiB}"
work="${BENCH_DIR:-/var/tmp/esxi-byoi-bench}"
mkdir -p "$work"
CGO_ENABLED=0 go build -trimpath -o bin/esxi-byoi ./cmd/esxi-byoi
bin=bin/esxi-byoi

now() { date +%s.%N; }
best() { sort -g | head -1; }

printf '%-8s %10s %12s %12s %7s %10s\n' size bytes "ours(s)" "cp+openssl(s)" ratio "peak RSS"
for size in $SIZES; do
  in="$work/sample-$size.iso"
  [ -f "$in" ] || $bin sample-iso -o "$in" --size "$size" >/dev/null 2>&1
  cat "$in" >/dev/null # warm the page cache for both sides
  ours=(); base=(); rss=()
  for _ in $(seq "$RUNS"); do
    rm -f "$work/out.iso" "$work/copy.iso"
    t0=$(now)
    /usr/bin/time -f '%M' -o "$work/rss" $bin remaster -i "$in" -o "$work/out.iso" >/dev/null 2>&1
    t1=$(now)
    ours+=("$(echo "$t1 - $t0" | bc -l)"); rss+=("$(cat "$work/rss")")
    t0=$(now)
    cp "$in" "$work/copy.iso" && sync "$work/copy.iso" && openssl dgst -sha256 "$work/copy.iso" >/dev/null
    t1=$(now)
    base+=("$(echo "$t1 - $t0" | bc -l)")
  done
  o=$(printf '%s\n' "${ours[@]}" | best); b=$(printf '%s\n' "${base[@]}" | best)
  r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  printf '%-8s %10s %12.3f %12.3f %7.2f %7d MB\n' "$size" "$(stat -c %s "$in")" "$o" "$b" "$(echo "$o / $b" | bc -l)" "$((r / 1024))"
  rm -f "$work/out.iso" "$work/copy.iso"
done
