#!/usr/bin/env bash
# digits-studio headless (--screenshot) under Xvfb with Mesa's software OpenGL: the frame it
# writes has the asked size and is not blank, and the digit it shows is the CLI's answer for the
# same input (PNG, MNIST idx, a second model). Bad input fails with a message naming the file.
#
#   studio_test.sh STUDIO DIGITS_CLI SOURCE_DIR XVFB_RUN
set -u
studio=$1
cli=$2
root=$3
xvfb_run=$4
fx=$root/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=check.sh
source "$(dirname "$0")/check.sh"
# STUDIO_PRELOAD (set under the asan preset, see tests/CMakeLists.txt): libraries the studio, and
# only the studio, runs with.
run_studio() {  # one frame on a private X server; stdout: the studio's JSON line
  "$xvfb_run" -a -s "-screen 0 1600x1000x24" env ${STUDIO_PRELOAD:+LD_PRELOAD="$STUDIO_PRELOAD"} "$studio" "$@"
}
field() {  # field NAME JSON  -> the value (null for a JSON null)
  python3 -c 'import json,sys; v=json.loads(sys.argv[2]).get(sys.argv[1]); print("null" if v is None else v)' "$1" "$2"
}
# Reads the PNG with the standard library only (zlib + the five PNG row filters) and prints
# "WIDTH HEIGHT DISTINCT_COLOURS INK_FRACTION" (ink = pixels differing from the most common one).
png_facts() {
  python3 - "$1" <<'PY'
import struct, sys, zlib
from collections import Counter
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG format"
        bpp = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, pixels = zlib.decompress(idat), w * bpp, bytearray(w * bpp), Counter()
for y in range(h):
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    pixels.update(bytes(row[x:x + 3]) for x in range(0, stride, bpp))
    prev = row
background = pixels.most_common(1)[0][1]
print(w, h, len(pixels), "%.4f" % (1 - background / (w * h)))
PY
}

# 1. PNG fixtures: the answer shown is the CLI's, the frame is the asked size and not blank.
for f in seven-dark-on-light two-light-on-dark blank; do
  out=$(run_studio --input "$fx/$f.png" --size 1024x720 --screenshot "$tmp/$f.png" 2>"$tmp/err"); rc=$?
  check "$f: studio exits 0" $rc
  [ $rc -eq 0 ] || { cat "$tmp/err"; continue; }
  want=$(field digit "$("$cli" predict "$fx/$f.png")")
  got=$(field digit "$out")
  [ "$got" = "$want" ]; check "$f: studio shows digit $got, the CLI says $want" $?
  read -r w h colours ink < <(png_facts "$tmp/$f.png")
  [ "$w" = 1024 ] && [ "$h" = 720 ]; check "$f: screenshot is 1024x720 (got ${w}x${h})" $?
  [ "$(field width "$out")x$(field height "$out")" = "${w}x${h}" ]; check "$f: JSON line states the screenshot size" $?
  python3 -c "import sys; sys.exit(0 if $colours >= 16 and $ink >= 0.05 else 1)"
  check "$f: screenshot is not blank ($colours colours, $ink of pixels not background)" $?
done
out=$(run_studio --input "$fx/seven-dark-on-light.png" --screenshot "$tmp/seven.png")
[ "$(field layers "$out")" = 8 ]; check "every layer's feature maps are shown (8)" $?
# A picture of a number: the studio reads it as the CLI's `digits read` does.
out=$(run_studio --input "$fx/number-2026.png" --screenshot "$tmp/number.png")
want=$(field text "$("$cli" read "$fx/number-2026.png")")
got=$(field text "$out")
[ "$want" = 2026 ] && [ "$got" = "$want" ]; check "number: studio reads $got, the CLI $want" $?
out=$(run_studio --input "$fx/blank.png" --screenshot "$tmp/blank.png")
[ "$(field empty "$out")" = True ] && [ "$(field layers "$out")" = 0 ]; check "blank: empty, no feature maps" $?

# 2. An MNIST-style idx pair (made from a fixture, so the test needs no download): the image at
#    --index is the one shown, its label is read, and the answer equals the CLI's on that image.
python3 - "$fx/two-light-on-dark.png" "$fx/seven-dark-on-light.png" "$tmp" <<'PY'
import struct, sys, zlib
def gray_png(path, side=28):  # the fixture's 8-bit grey pixels, nearest-sampled to side x side
    data = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR": w, h, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT": idat += body
        pos += 12 + n
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]; assert depth == 8
    raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            if f == 1: row[i] = (row[i] + a) & 255
            elif f == 2: row[i] = (row[i] + b) & 255
            elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(row); prev = row
    return bytes(rows[y * h // side][(x * w // side) * bpp] for y in range(side) for x in range(side))
two, seven = gray_png(sys.argv[1]), bytes(255 - v for v in gray_png(sys.argv[2]))  # ink light, like MNIST
tmp = sys.argv[3]
open(tmp + "/set-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, 2, 28, 28) + two + seven)
open(tmp + "/set-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, 2) + bytes([2, 7]))
def chunk(kind, body): return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(b"\0" + seven[y * 28:(y + 1) * 28] for y in range(28)))) + chunk(b"IEND", b"")
open(tmp + "/set-1.png", "wb").write(png)
PY
out=$(run_studio --input "$tmp/set-images-idx3-ubyte" --index 1 --screenshot "$tmp/idx.png" 2>"$tmp/err"); rc=$?
check "idx: studio exits 0" $rc
[ "$(field index "$out")" = 1 ]; check "idx: shows image 1" $?
[ "$(field label "$out")" = 7 ]; check "idx: label 7 read from the guessed labels file" $?
want=$(field digit "$("$cli" predict "$tmp/set-1.png")")
[ "$(field digit "$out")" = "$want" ]; check "idx: studio shows the CLI's digit for that image ($want)" $?
run_studio --input "$tmp/set-images-idx3-ubyte" --index 2 --screenshot "$tmp/x.png" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q -- "--index 2" "$tmp/err"; check "idx: an index past the end is refused" $?

# 3. A second model: its answer is the CLI's with that model.
out=$(run_studio --input "$fx/two-light-on-dark.png" --compare "$root/models/digits-int8.dgt" --screenshot "$tmp/cmp.png")
want=$(field digit "$("$cli" predict --model "$root/models/digits-int8.dgt" "$fx/two-light-on-dark.png")")
[ -n "$want" ] && [ "$(field compare_digit "$out")" = "$want" ]; check "compare: model B's digit is the CLI's with that model ($want)" $?

# 4. Mistakes a user makes: the message names the file and the problem; nothing is written.
"$studio" --input "$tmp/missing.png" --screenshot "$tmp/m.png" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "missing.png" "$tmp/err" && [ ! -e "$tmp/m.png" ]; check "missing input: non-zero exit naming the file" $?
echo hello > "$tmp/text.png"
"$studio" --input "$tmp/text.png" --screenshot "$tmp/m.png" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "text.png: neither a PNG nor" "$tmp/err"; check "text file: told it is neither PNG nor idx" $?
"$studio" --model "$tmp/text.png" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "text.png" "$tmp/err"; check "bad model blob: non-zero exit naming the file" $?
env -u DISPLAY -u WAYLAND_DISPLAY "$studio" --input "$fx/seven-dark-on-light.png" --screenshot "$tmp/m.png" \
  >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "xvfb-run" "$tmp/err"; check "no display: says to use xvfb-run" $?

exit $fail
