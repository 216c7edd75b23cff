#!/usr/bin/env bash
# Fuzz a real `mka1-mock` process over HTTP with the Schemathesis command line: uvicorn, headers
# and content types included. First the MKA1 API exactly as a new user runs it (default
# settings, no config file), then both documents with the project's settings and more examples.
# Bounded in time; exits non-zero on any finding.
# Usage: tests/contract/live_fuzz.sh [MAX_EXAMPLES] [MAX_SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
examples="${1:-50}"
seconds="${2:-300}"
log="$(mktemp)"
cd "$(mktemp -d)"  # no schemathesis.toml is picked up from the working directory

mka1-mock --port 0 --api-key fuzz-token --log-level warning 2>"$log" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

url=""
for _ in $(seq 100); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "mka1-mock did not start" >&2; exit 1; }

echo "fuzzing $url/openapi.json (pid $pid) with Schemathesis's defaults, no config file"
timeout "$seconds" schemathesis run "$url/openapi.json" --checks all --mode all \
  -H 'Authorization: Bearer fuzz-token'

for schema in openapi.json __mock/openapi.json; do
  echo "fuzzing $url/$schema (pid $pid), up to $examples examples per operation, $seconds s"
  timeout "$seconds" schemathesis --config-file "$here/schemathesis.toml" run "$url/$schema" \
    --max-examples "$examples" --seed 20261125 --no-color
done
