#!/usr/bin/env bash
# Load and soak (issue 6): digits-server on 127.0.0.1 under wrk for a fixed number of requests
# (default 1 000 000) at 64 connections, a rotation of good and bad requests (soak.lua). Then:
# the server still answers, the error answers are exactly the bad requests, RSS grew < 10 %.
# Last, slow clients (slowloris.py) against the same server while a normal client keeps asking.
# Not a test (minutes of load); prints JSON lines and a verdict, exits non-zero if one fails.
#
#   bench/server/soak.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=${1:-1000000}
out=build/bench-server
server=build/bin/digits-server
py=/usr/bin/python3
mkdir -p "$out"
[ -x "$server" ] || { echo "soak: $server is missing; run make build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "soak: wrk is missing; run scripts/install-deps.sh server-bench" >&2; exit 1; }
png=$out/digit-280.png
[ -f "$png" ] || $py bench/server/make_png.py "$png"
export BENCH_PNG=$png

# Every client here, slow or not, is 127.0.0.1: lift the per-address limit (whose job is exactly to
# stop one address's slow clients) so the deadlines and the memory budget are what is measured.
$server --port 0 --access-log off --connections-per-ip 1000 2>"$out/soak-server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out/soak-server.log" && break; sleep 0.1; done
port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out/soak-server.log")
url=http://127.0.0.1:$port
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

chunk() { wrk -t1 -c64 -d"$1" --timeout 10s -s bench/server/soak.lua "$url" | tail -1; }
chunk 5s >/dev/null  # warm-up: pools, allocator, caches
before=$(rss)
# Chunks of 30 s until at least $requests requests were answered; every chunk is checked.
: >"$out/soak-chunks.jsonl"
total=0
while [ "$total" -lt "$requests" ]; do
  line=$(chunk 30s)
  echo "$line" >>"$out/soak-chunks.jsonl"
  total=$((total + $(echo "$line" | sed 's/.*"requests": \([0-9]*\).*/\1/')))
  echo "  $total requests"
done
after=$(rss)
health=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")
result=$($py -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["requests", "socket_errors", "sent_good", "sent_bad", "ok_digit7", "bad_json_400", "bad_pixels_400", "other"]
out = {k: sum(r[k] for r in rows) for k in keys}
out["chunks"] = len(rows)
out["seconds"] = round(sum(r["seconds"] for r in rows), 1)
out["rps"] = round(out["requests"] / out["seconds"])
out["p99_ms_worst_chunk"] = max(r["p99_ms"] for r in rows)
print(json.dumps(out))' "$out/soak-chunks.jsonl")
echo "$result"
echo "{\"rss_before_kb\": $before, \"rss_after_kb\": $after, \"healthz_after\": $health}"
slow=$($py bench/server/slowloris.py "$port" "${SLOW_CLIENTS:-200}" "${SLOW_SECONDS:-20}")
echo "$slow"

$py - "$result" "$before" "$after" "$health" "$slow" <<'PY'
import json, sys
r, before, after, health, slow = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
answered = r["ok_digit7"] + r["bad_json_400"] + r["bad_pixels_400"]
inflight = 64 * r["chunks"]  # per chunk, requests sent but not answered when wrk stopped
checks = {
    "every answer is a right digit or the right 4xx": r["other"] == 0 and r["socket_errors"] == 0,
    "4xx answers are exactly the bad requests": abs(r["sent_bad"] - r["bad_json_400"] - r["bad_pixels_400"]) <= inflight,
    "200 answers are exactly the good requests": abs(r["sent_good"] - r["ok_digit7"]) <= inflight,
    "RSS grew < 10 %": after < before * 1.10,
    "still answers afterwards": health == "200",
    "slow clients do not starve a normal one": slow["normal_failed"] == 0 and slow["normal_worst_s"] < 2,
}
for name, ok in checks.items():
    print(("ok:   " if ok else "FAIL: ") + name)
sys.exit(0 if all(checks.values()) else 1)
PY
