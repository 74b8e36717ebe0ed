#!/usr/bin/env bash
# A long fuzzing run, outside make test: TARGET for at least RUNS executions, in sessions of
# 1 M (a fresh process each, so the sanitizer allocator's slow RSS creep under ASan never reaches
# the RSS ceiling), over the same growing corpus as make fuzz. Prints each session's libFuzzer
# stats and the total; stops at the first finding (its input is in build/fuzz/crash-TARGET-*).
#
#   tests/fuzz/long.sh TARGET [RUNS]        (default 10000000; needs make fuzz's build first)
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tests/fuzz/long.sh TARGET [RUNS]}
total=${2:-10000000}
bin=build/fuzz/bin/fuzz_$target
[ -x "$bin" ] || { echo "long.sh: $bin is missing; run make fuzz first" >&2; exit 1; }
extra=()
case $target in
  weights) extra=(-malloc_limit_mb=64) ;;
  png) extra=(-malloc_limit_mb=2048) ;;
esac
mkdir -p "build/fuzz/corpus/$target"
done_runs=0
session=0
start=$(date +%s)
while [ "$done_runs" -lt "$total" ]; do
  session=$((session + 1))
  runs=$(( total - done_runs < 1000000 ? total - done_runs : 1000000 ))
  log=build/fuzz/long-$target-$session.log
  "$bin" -runs="$runs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "${extra[@]}" \
    -artifact_prefix="build/fuzz/crash-$target-" "build/fuzz/corpus/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1 ||
    { echo "long.sh: session $session of $target failed; see $log" >&2; tail -30 "$log" >&2; exit 1; }
  n=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  done_runs=$((done_runs + n))
  echo "fuzz_$target session $session: $n executions ($(grep -o 'cov: [0-9]*' "$log" | tail -1)), $done_runs in all, $(( $(date +%s) - start )) s"
done
echo "fuzz_$target: $done_runs executions in $session sessions, $(( $(date +%s) - start )) s, no finding"
