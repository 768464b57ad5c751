#!/usr/bin/env bash
# The whole test suite, as the README names it and .ci/run calls it:
# installs the test tools and builds versitygw (the S3 test peer), vets, builds
# the same static binary as the Dockerfile, runs every test against real peers
# (versitygw over TLS included), then fuzzes each target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
FUZZTIME="${FUZZTIME:-10s}"

scripts/deps.sh
# The S3 tests run against a real server: versitygw, built once into a cache
# outside the repository (a few minutes cold, then instant).
echo "== versitygw"; VERSITYGW="$(scripts/versitygw.sh)"; export VERSITYGW
echo "== go vet"; go vet ./...
# staticcheck, pinned; the module proxy serves it and the build cache keeps it.
echo "== staticcheck"; go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== gofmt"; test -z "$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
echo "== build (static, as in the Dockerfile)"
VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/esxi-byoi/esxi-byoi/internal/version.Version=${VERSION}" -o bin/esxi-byoi ./cmd/esxi-byoi
echo "== go test"; go test -count=1 -timeout 40m ./...
echo "== fuzz ($FUZZTIME each)"
grep -rl --include='*_test.go' '^func Fuzz' internal | while read -r f; do
  pkg="./$(dirname "$f")"
  for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do
    echo "-- $pkg $fn"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/esxi-byoi-fuzz.log 2>&1 || { cat /tmp/esxi-byoi-fuzz.log; exit 1; }
  done
done
echo "== all green"
