#!/usr/bin/env bash
# Prints the path of the versitygw binary that the S3 tests (internal/s3test)
# and scripts/s3rig.sh use, building it first when the cache outside the
# repository lacks it: `go install` of a pinned version, a few minutes cold
# (seconds with a warm Go build cache). $VERSITYGW overrides the path.
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"
VERSION=v1.8.0
if [ -n "${VERSITYGW:-}" ]; then
  echo "$VERSITYGW"
  exit 0
fi
bindir="${XDG_CACHE_HOME:-$HOME/.cache}/esxi-byoi/bin"
bin="$bindir/versitygw"
if ! go version -m "$bin" 2>/dev/null | grep -q "versitygw[[:space:]]*$VERSION"; then
  echo "building versitygw $VERSION into $bindir (about 3-4 minutes on a cold cache)" >&2
  mkdir -p "$bindir"
  # Outside any module, so the repository's go.mod is not touched.
  (cd / && GOBIN="$bindir" go install "github.com/versity/versitygw/cmd/versitygw@$VERSION") >&2
fi
echo "$bin"
