#!/usr/bin/env bash
# A local S3-compatible server over TLS for developers, the demo and the
# benchmark: versitygw (posix backend on a temp directory) with a throwaway CA
# and server certificate for 127.0.0.1/localhost, one bucket, and a bucket
# policy that lets anyone GET objects under public/ (nothing else is public).
# Path-style addressing. The Go tests start their own (internal/s3test).
#
#   eval "$(scripts/s3rig.sh start)"   # start (or reuse) it; prints the env below
#   eval "$(scripts/s3rig.sh env)"     # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#                                      # S3RIG_ENDPOINT, S3RIG_BUCKET, S3RIG_CA, S3RIG_PUBLIC_PREFIX
#   scripts/s3rig.sh stop              # stop it and delete its data
#
#   esxi-byoi publish my.iso --s3-bucket "$S3RIG_BUCKET" --s3-prefix public/ \
#     --s3-endpoint "$S3RIG_ENDPOINT" --s3-path-style --ca-file "$S3RIG_CA"
#
# S3RIG_DIR (default /tmp/esxi-byoi-s3rig) holds the certificates, data, log
# and pid; S3RIG_PORT picks the port (default: the first free from 17443).
# The keys are random per start and only for this throwaway server.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${S3RIG_DIR:-/tmp/esxi-byoi-s3rig}"
bucket=esxi-byoi
region=us-east-1

running() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

env_out() {
  cat "$dir/env"
}

# s3 METHOD PATH [BODY_FILE]: a SigV4-signed request with curl (the keys go
# through a config file, not the process list).
s3() {
  local method=$1 path=$2 body=${3:-} sha
  if [ -n "$body" ]; then sha=$(openssl dgst -sha256 -r "$body" | cut -d' ' -f1)
  else sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855; fi
  curl -sS --fail-with-body -K "$dir/curl.cfg" --cacert "$dir/ca.pem" --aws-sigv4 "aws:amz:$region:s3" \
    -X "$method" -H "x-amz-content-sha256: $sha" ${body:+--data-binary "@$body"} "$endpoint$path" >/dev/null
}

start() {
  if running; then
    echo "s3rig: already running ($(grep S3RIG_ENDPOINT "$dir/env" | cut -d= -f2))" >&2
    env_out
    return
  fi
  local bin
  bin=$(scripts/versitygw.sh)
  rm -rf "$dir"
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd) # versitygw chdirs: every path it gets must be absolute
  # Throwaway CA and a server certificate for 127.0.0.1 and localhost.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=esxi-byoi s3rig CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 7 \
    -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
  local access secret port
  access="rig$(openssl rand -hex 6)"
  secret="$(openssl rand -hex 20)"
  (umask 077 && printf 'user = "%s:%s"\n' "$access" "$secret" >"$dir/curl.cfg")
  port="${S3RIG_PORT:-17443}"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  endpoint="https://127.0.0.1:$port"
  # --keep-alive: without it every part opens a new TLS connection (~30 % slower uploads).
  ROOT_ACCESS_KEY="$access" ROOT_SECRET_KEY="$secret" setsid "$bin" --port "127.0.0.1:$port" \
    --cert "$dir/server.pem" --key "$dir/server.key" --keep-alive --health /health --quiet \
    --access-log "$dir/access.log" posix "$dir/data" >"$dir/versitygw.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 100); do
    curl -sf --cacert "$dir/ca.pem" "$endpoint/health" >/dev/null 2>&1 && break
    running || { cat "$dir/versitygw.log" >&2; echo "s3rig: versitygw exited" >&2; exit 1; }
    sleep 0.1
  done
  s3 PUT "/$bucket"
  printf '{"Version":"2012-10-17","Statement":[{"Sid":"PublicReadISOs","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/public/*"}]}' \
    "$bucket" >"$dir/policy.json"
  s3 PUT "/$bucket?policy=" "$dir/policy.json"
  cat >"$dir/env" <<ENV
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=$region
export S3RIG_ENDPOINT=$endpoint
export S3RIG_BUCKET=$bucket
export S3RIG_CA=$dir/ca.pem
export S3RIG_PUBLIC_PREFIX=public/
ENV
  chmod 600 "$dir/env"
  echo "s3rig: versitygw on $endpoint, bucket $bucket (anonymous GET under public/), CA $dir/ca.pem" >&2
  env_out
}

stop() {
  if running; then
    local pid
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env)
  running || { echo "s3rig: not running (scripts/s3rig.sh start)" >&2; exit 1; }
  env_out
  ;;
*)
  echo "usage: scripts/s3rig.sh start|stop|env" >&2
  exit 2
  ;;
esac
