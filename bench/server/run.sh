#!/usr/bin/env bash
# digits-server against two anchors, side by side in one run, under wrk: the reference Flask +
# PyTorch (CPU) app, and what a pragmatic team would build instead (node-peer/: fastify + sharp +
# onnxruntime-node, one worker per core, the same network). The same request for all three (POST a
# 280x280 RGBA canvas PNG of a drawn 7 as image/png), keep-alive, 64 connections, a short warm-up,
# then SECONDS of load each. Prints a markdown table with the ratios. Not a test: numbers on a
# shared 2-core VM are noisy; compare ratios, and run it twice. CPU and RSS are summed over each
# server's processes (the Node peer is a primary and one worker per core).
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
for tool in wrk curl node npm $py; do
  command -v "$tool" >/dev/null || { echo "bench/server: $tool is missing; run scripts/install-deps.sh server-bench" >&2; exit 1; }
done
$py -c 'import flask, torch, PIL, numpy' 2>/dev/null ||
  { echo "bench/server: Flask/PyTorch/Pillow missing; run scripts/install-deps.sh server-bench" >&2; exit 1; }

# The Node peer's packages (pinned by node-peer/package-lock.json) live under build/, installed once;
# onnxruntime-node's install script only fetches GPU binaries, so scripts are skipped.
peer=$out/node-peer
if ! cmp -s bench/server/node-peer/package-lock.json "$peer/package-lock.json" || [ ! -d "$peer/node_modules" ]; then
  mkdir -p "$peer"
  cp bench/server/node-peer/package.json bench/server/node-peer/package-lock.json "$peer/"
  (cd "$peer" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
cp bench/server/node-peer/server.js "$peer/"
onnx=build/bench-browser/models/model.onnx
[ -f "$onnx" ] || node bench/browser/make-models.js

png=$out/digit-280.png
[ -f "$png" ] || $py bench/server/make_png.py "$png"
export BENCH_PNG=$png

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# A server's processes: it and its children (the Node peer's workers).
procs() { echo "$1" $(pgrep -P "$1" || true); }
rss_kb() { local n=0 p; for p in $(procs "$1"); do n=$((n + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo $n; }
# CPU time the processes have used (user + system, all threads), in clock ticks.
cpu_ticks() { local n=0 p; for p in $(procs "$1"); do n=$((n + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $n; }
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

nport=$(free_port)
node "$peer/server.js" "$nport" "$onnx" 2>"$out/node-peer.log" &
pids+=($!)
nodepeer=$!
wait_up "http://127.0.0.1:$nport/predict"
measure node-peer "$nodepeer" "http://127.0.0.1:$nport/predict"
kill "$nodepeer"

$py - "$out/digits-server.json" "$out/reference.json" "$out/node-peer.json" "$secs" "$conns" <<'PY'
import json, sys
ours, ref, peer = (json.load(open(p)) for p in sys.argv[1:4])
secs, conns = sys.argv[4], sys.argv[5]
def cpu_ms(r):  # server CPU time per request: steadier than requests/s on a shared machine
    return 1000 * r['cpu_ticks'] / r['ticks_per_s'] / max(1, r['requests'])
def row(name, r):
    return (f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {cpu_ms(r):.2f} | "
            f"{r['errors'] + r['non2xx']} | {r['rss_before_kb'] / 1024:.1f} → {r['rss_after_kb'] / 1024:.1f} MiB |")
print(f"\nwrk, keep-alive, {conns} connections, {secs} s each after a 2 s warm-up; POST 280x280 PNG (image/png)\n")
print("| server | requests/s | p50 ms | p99 ms | CPU ms/request | errors | RSS before → after |")
print("|---|---|---|---|---|---|---|")
print(row("digits-server (C++, XNNPACK int8)", ours))
print(row("Node peer (fastify + sharp + onnxruntime-node, 1 worker/core)", peer))
print(row("reference (Flask + PyTorch CPU)", ref))
def ratio(name, other):
    return (f"| **digits-server / {name}** | **{ours['rps'] / other['rps']:,.1f}×** | {ours['p50_ms'] / other['p50_ms']:.3f}× | "
            f"{ours['p99_ms'] / other['p99_ms']:.3f}× | {cpu_ms(ours) / cpu_ms(other):.3f}× | | |")
print(ratio("Node peer", peer))
print(ratio("reference", ref))
growth = ours['rss_after_kb'] - ours['rss_before_kb']
checks = [(ours['rps'] >= 10 * peer['rps'], "≥ 10× the Node peer's requests/s"),
          (ours['rps'] >= 30 * ref['rps'], "≥ 30× the reference's requests/s"),
          (cpu_ms(ours) <= 0.3, f"CPU ≤ 0.3 ms/request ({cpu_ms(ours):.2f})"),
          (ours['p99_ms'] <= 20, "p99 ≤ 20 ms"),
          (ours['errors'] + ours['non2xx'] == 0, "0 errors"),
          (abs(growth) <= 1024, f"RSS flat (±1 MiB; {growth / 1024:+.1f} MiB)")]
print("\ntargets: " + ", ".join(("met: " if ok else "MISSED: ") + what for ok, what in checks))
PY
