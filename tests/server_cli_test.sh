#!/usr/bin/env bash
# digits-server as a process: flags, environment fallbacks, startup errors, the access log, and
# SIGTERM ending it cleanly (exit 0) while it serves.
set -u
server=$1
root=$2
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=check.sh
source "$(dirname "$0")/check.sh"

"$server" --help >"$tmp/out"; check "--help exits 0" $?
grep -q -- "--max-body" "$tmp/out"; check "--help lists the flags" $?

"$server" --bogus 1 2>"$tmp/err"; [ $? -eq 2 ]; check "unknown flag exits 2" $?
grep -q "unknown option --bogus" "$tmp/err"; check "unknown flag is named" $?

DIGITS_PORT=eighty "$server" 2>"$tmp/err"; [ $? -eq 2 ]; check "bad DIGITS_PORT exits 2" $?
grep -q "DIGITS_PORT must be a port number" "$tmp/err"; check "bad DIGITS_PORT is named" $?

"$server" --model "$tmp/missing.dgt" --port 0 2>"$tmp/err"; [ $? -eq 1 ]; check "missing model exits 1" $?
grep -q "missing.dgt" "$tmp/err"; check "missing model is named" $?

"$server" --site "$tmp/nosite" --port 0 2>"$tmp/err"; [ $? -eq 1 ]; check "missing site exits 1" $?

# A real run: port 0 picks a free port, printed on stderr.
DIGITS_ACCESS_LOG=stdout DIGITS_THREADS=2 "$server" --port 0 --site "$root/tests/fixtures" >"$tmp/log" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/err")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ]; check "prints the port it listens on" $?
code=$(curl -s -o "$tmp/body" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[ "$code" = 200 ]; check "answers /healthz" $?
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H 'Content-Type: image/png' --data-binary @"$root/tests/fixtures/two-light-on-dark.png" "http://127.0.0.1:$port/api/v1/predict")
[ "$code" = 200 ] && grep -q '"digit":2' "$tmp/body"; check "predicts a PNG over curl" $?
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/seven-dark-on-light.png")
[ "$code" = 200 ]; check "serves --site files" $?

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
[ $rc -eq 0 ]; check "SIGTERM exits 0" $?
grep -q "stopped" "$tmp/err"; check "says it stopped" $?
# Read after exit: a request is logged just after its answer is sent.
grep -q '"method":"GET","path":"/healthz","status":200' "$tmp/log"; check "access log: one JSON line per request (DIGITS_ACCESS_LOG=stdout)" $?
[ "$(grep -c '^{.*}$' "$tmp/log")" -eq 3 ]; check "access log has exactly the 3 requests" $?

exit $fail
