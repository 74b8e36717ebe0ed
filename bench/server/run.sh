#!/usr/bin/env bash
# digits-server against a reference Flask + PyTorch (CPU) server, side by side, under wrk: the
# same request (POST a 280x280 PNG of a drawn 7 as image/png), keep-alive, 64 connections, a short
# warm-up, then SECONDS of load each. Prints a markdown table with the ratio. Not a test: numbers
# on a shared 2-core VM are noisy; compare ratios, and run it twice.
#
#   bench/server/run.sh [SECONDS]          (default 10; env CONNECTIONS=64, DIGITS_ARGS="--threads 2")
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
conns=${CONNECTIONS:-64}
out=build/bench-server
server=build/bin/digits-server
mkdir -p "$out"

[ -x "$server" ] || { echo "bench/server: $server is missing; run make build first" >&2; exit 1; }
# Debian's Python, where python3-flask/-torch/-pil live (a python3 earlier on PATH may lack them).
py=/usr/bin/python3
for tool in wrk curl $py; do
  command -v "$tool" >/dev/null || { echo "bench/server: $tool is missing; run scripts/install-deps.sh server-bench" >&2; exit 1; }
done
$py -c 'import flask, torch, PIL, numpy' 2>/dev/null ||
  { echo "bench/server: Flask/PyTorch/Pillow missing; run scripts/install-deps.sh server-bench" >&2; exit 1; }

png=$out/digit-280.png
[ -f "$png" ] || $py bench/server/make_png.py "$png"
export BENCH_PNG=$png

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# CPU time the process has used (user + system, all threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
post() { curl -sf -H 'Content-Type: image/png' --data-binary @"$png" "$1"; }
wait_up() {
  for _ in $(seq 300); do post "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench/server: $1 did not come up" >&2
  return 1
}

# measure NAME PID URL -> one JSON line (wrk's numbers + RSS before/after) in $out/NAME.json
measure() {
  local name=$1 pid=$2 url=$3
  wrk -t1 -c"$conns" -d2s --timeout 10s -s bench/server/post_png.lua "$url" >/dev/null  # warm-up
  local before after line cpu0 cpu1
  before=$(rss_kb "$pid")
  cpu0=$(cpu_ticks "$pid")
  line=$(wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s -s bench/server/post_png.lua "$url" | tail -1)
  cpu1=$(cpu_ticks "$pid")
  after=$(rss_kb "$pid")
  echo "${line%\}}, \"rss_before_kb\": $before, \"rss_after_kb\": $after, \"cpu_ticks\": $((cpu1 - cpu0)), \"ticks_per_s\": $(getconf CLK_TCK)}" |
    tee "$out/$name.json"
}

port=$(free_port)
# shellcheck disable=SC2086
$server --port "$port" --access-log off ${DIGITS_ARGS:-} 2>"$out/digits-server.log" &
pids+=($!)
ours=$!
wait_up "http://127.0.0.1:$port/api/v1/predict"
echo "digits-server answers: $(post "http://127.0.0.1:$port/api/v1/predict")"
measure digits-server "$ours" "http://127.0.0.1:$port/api/v1/predict"
kill "$ours"

rport=$(free_port)
$py bench/server/reference_server.py "$rport" 2>"$out/reference.log" &
pids+=($!)
ref=$!
wait_up "http://127.0.0.1:$rport/predict"
measure reference "$ref" "http://127.0.0.1:$rport/predict"
kill "$ref"

$py - "$out/digits-server.json" "$out/reference.json" "$secs" "$conns" <<'PY'
import json, sys
ours, ref = (json.load(open(p)) for p in sys.argv[1:3])
secs, conns = sys.argv[3], sys.argv[4]
def cpu_ms(r):  # server CPU time per request: steadier than requests/s on a shared machine
    return 1000 * r['cpu_ticks'] / r['ticks_per_s'] / max(1, r['requests'])
def row(name, r):
    return (f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {cpu_ms(r):.2f} | "
            f"{r['errors'] + r['non2xx']} | {r['rss_before_kb'] / 1024:.1f} → {r['rss_after_kb'] / 1024:.1f} MiB |")
print(f"\nwrk, keep-alive, {conns} connections, {secs} s each after a 2 s warm-up; POST 280x280 PNG (image/png)\n")
print("| server | requests/s | p50 ms | p99 ms | CPU ms/request | errors | RSS before → after |")
print("|---|---|---|---|---|---|---|")
print(row("digits-server (C++, XNNPACK int8)", ours))
print(row("reference (Flask + PyTorch CPU)", ref))
print(f"| **digits-server / reference** | **{ours['rps'] / ref['rps']:,.0f}×** | {ours['p50_ms'] / ref['p50_ms']:.3f}× | "
      f"{ours['p99_ms'] / ref['p99_ms']:.3f}× | {cpu_ms(ours) / cpu_ms(ref):.3f}× | | |")
growth = ours['rss_after_kb'] - ours['rss_before_kb']
checks = [(ours['rps'] >= 100 * ref['rps'], "≥ 100× the reference's requests/s"),
          (ours['p99_ms'] <= 20, "p99 ≤ 20 ms"),
          (ours['errors'] + ours['non2xx'] == 0, "0 errors"),
          (abs(growth) <= 1024, f"RSS flat (±1 MiB; {growth / 1024:+.1f} MiB)")]
print("\ntargets: " + ", ".join(("met: " if ok else "MISSED: ") + what for ok, what in checks))
PY
