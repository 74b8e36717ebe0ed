#!/usr/bin/env bash
# Accuracy of the shipped models, MNIST and real pen digits side by side, so that a regression in
# either shows in one run (make bench). Pen digits: the held-out sources (pen::held_out_sources),
# through the page's stroke path and as PNG uploads of every style; then whole numbers made of the
# held-out writers' digits (issue 16's target case, ordinary spacing; and the same digits well
# apart: what the single digits allow) with the time per number, and numbers with marks (a point,
# comma, colon, hyphen, minus sign or leading point). 20 000 numbers: a draw of 2 000
# moves by ±0.4 points with the seed (76 writers, one sample per digit for most).
#   bench/accuracy.sh DIGITS_CLI MNIST_DIR PEN_JSON
set -euo pipefail
cli=$1 mnist=$2 pen=$3
root=$(cd "$(dirname "$0")/.." && pwd)
printf '%-34s %-8s %s\n' "data" "blob" "accuracy"
for blob in f32 int8; do
  precision=$([ $blob = int8 ] && echo int8 || echo f32)
  model="$root/models/digits-$blob.dgt"
  acc=$("$cli" eval --model "$model" --precision "$precision" --images "$mnist/t10k-images-idx3-ubyte" \
          --labels "$mnist/t10k-labels-idx1-ubyte" | sed -n 's/^accuracy: \([0-9.]*%\).*/\1/p')
  printf '%-34s %-8s %s\n' "MNIST test (10 000)" "$blob" "$acc"
  if [ ! -f "$pen" ]; then
    echo "pen digits: skipped, no data at $pen"
    continue
  fi
  for as in strokes png; do
    line=$("$cli" eval --model "$model" --precision "$precision" --pen "$pen" --as $as | head -1)
    printf '%-34s %-8s %s\n' "pen, held-out sources, $as" "$blob" "${line#*: }"
  done
  for spacing in ordinary apart; do
    line=$("$cli" eval --model "$model" --precision "$precision" --pen "$pen" --numbers 20000 --spacing $spacing | head -1)
    printf '%-34s %-8s %s\n' "pen numbers, $spacing" "$blob" "$line"
  done
  # The same writers' numbers, each with a point, comma, colon, hyphen or minus sign, and how
  # many of each kind read exactly.
  out=$("$cli" eval --model "$model" --precision "$precision" --pen "$pen" --numbers 20000 --spacing ordinary --marks)
  printf '%-34s %-8s %s\n' "pen numbers with marks" "$blob" "$(sed -n 1p <<<"$out")"
  printf '%-34s %-8s %s\n' "" "" "$(sed -n 2p <<<"$out" | sed 's/^ *//')"
done
