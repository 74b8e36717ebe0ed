#!/usr/bin/env bash
# Draws the model card's figures from the trainer's metrics.json with gnuplot:
#   DIR/training-curve.png   validation accuracy (MNIST and held-out pen sources) and losses per epoch
#   DIR/confusion.png        confusion matrices: MNIST test, and the held-out pen sources (stroke path)
# (DIR/pen-errors.png, the gallery of pen validation errors, is drawn by the trainer itself.)
set -euo pipefail
dir=${1:-models}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$dir/metrics.json" "$tmp" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
with open(sys.argv[2] + "/curve.tsv", "w") as f:
    for e in m["curve"]:
        pen = 100 * e.get("pen_val_accuracy", float("nan"))
        f.write(f'{e["epoch"]}\t{e["train_loss"]}\t{e["val_loss"]}\t{100*e["val_accuracy"]}\t{100*e["train_accuracy"]}\t{pen}\t{e.get("pen_val_loss", "nan")}\n')
def matrix(rows, name):
    with open(sys.argv[2] + "/" + name, "w") as f:
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                f.write(f"{c}\t{r}\t{v}\n")
            f.write("\n")
matrix(m["confusion"], "confusion.tsv")
pen = m.get("pen")
matrix(pen["strokes"]["f32"]["confusion"] if pen else [[0] * 10] * 10, "pen.tsv")
open(sys.argv[2] + "/has_pen", "w").write("1" if pen else "0")
PY
has_pen=$(cat "$tmp/has_pen")
gnuplot <<GP
set terminal pngcairo size 900,420 font "sans,11"
set output "$dir/training-curve.png"
set multiplot layout 1,2 title "digits-train: validation on 5000 MNIST training images and the held-out pen sources"
set xlabel "epoch"; set grid
set ylabel "loss"
set logscale y
plot "$tmp/curve.tsv" u 1:2 w lp t "train (augmented, label smoothing)", "" u 1:3 w lp t "MNIST validation", \
     "" u 1:7 w lp t "pen validation"
unset logscale y
set ylabel "accuracy %"
set key bottom right
plot "$tmp/curve.tsv" u 1:4 w lp t "MNIST validation", "" u 1:6 w lp t "pen validation (held-out sources)", \
     "" u 1:5 w lp t "train (augmented)"
unset multiplot
set output "$dir/confusion.png"
set terminal pngcairo size $([ "$has_pen" = 1 ] && echo 1060 || echo 540),520 font "sans,11"
set multiplot layout 1,$([ "$has_pen" = 1 ] && echo 2 || echo 1)
set xlabel "predicted"; set ylabel "label"
set xrange [-0.5:9.5]; set yrange [9.5:-0.5]
set xtics 1; set ytics 1; unset grid
set cbrange [0:5]; set palette defined (0 "white", 5 "#c0392b")
unset colorbox
set title "MNIST test (rows: label, columns: predicted)"
plot "$tmp/confusion.tsv" u 1:2:(\$1==\$2?0:\$3) w image notitle, \
     "" u 1:2:(sprintf("%d",\$3)) w labels font ",9" notitle
if ($has_pen) {
  set title "Held-out pen sources, stroke path (f32)"
  plot "$tmp/pen.tsv" u 1:2:(\$1==\$2?0:\$3) w image notitle, \
       "" u 1:2:(sprintf("%d",\$3)) w labels font ",9" notitle
}
unset multiplot
GP
echo "wrote $dir/training-curve.png $dir/confusion.png"
