#!/usr/bin/env bash
# Start mka1-mock on a free port, run the Node tests in this folder against it, stop it.
# Needs `mka1-mock` on PATH (activate the virtualenv it is installed in) and Node 20 or newer.
# Exits with the tests' status; extra arguments go to `node --test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log="$(mktemp "${TMPDIR:-/tmp}/mka1-mock-node.XXXXXX")"
pid=""    # the mock
tests=""  # node --test

stop() {  # on every exit, failures and signals included
  local each
  for each in $tests $pid; do
    if kill -0 "$each" 2>/dev/null; then
      kill "$each" 2>/dev/null || true
      wait "$each" 2>/dev/null || true
    fi
  done
  rm -f "$log"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mka1-mock --port 0 --log-level warning 2>"$log" &
pid=$!

# The URL it prints on stderr: "mka1-mock 0.2.0 listening on http://127.0.0.1:PORT".
url=""
for _ in $(seq 100); do
  url="$(sed -n 's/^mka1-mock .* listening on \(http:[^ ]*\)$/\1/p' "$log")"
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: mka1-mock exited during start-up:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "run.sh: mka1-mock printed no URL within 10 s:" >&2
  cat "$log" >&2
  exit 1
fi

# Ready when its health check answers 200 (Node's fetch, so no curl is needed).
ready=""
for _ in $(seq 100); do
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1),
                                      () => process.exit(1))' "$url/__mock/health"; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "run.sh: $url/__mock/health did not answer 200 within 10 s" >&2
  exit 1
fi

echo "run.sh: mka1-mock at $url (pid $pid)" >&2
status=0
# In the background, so that a signal to this script stops the tests at once (see stop).
(cd "$here" && MKA1_MOCK_URL="$url" exec node --test "$@") &
tests=$!
wait "$tests" || status=$?
tests=""
if [ "$status" -ne 0 ]; then
  echo "run.sh: the tests failed (status $status); mka1-mock's log:" >&2
  cat "$log" >&2
fi
exit "$status"
