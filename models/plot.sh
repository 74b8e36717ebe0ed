#!/usr/bin/env bash
# Draws the model card's figures from the trainer's metrics.json with gnuplot:
#   DIR/training-curve.png   validation accuracy and losses per epoch
#   DIR/confusion.png        confusion matrix on the MNIST test set
set -euo pipefail
dir=${1:-models}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$dir/metrics.json" "$tmp" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
with open(sys.argv[2] + "/curve.tsv", "w") as f:
    for e in m["curve"]:
        f.write(f'{e["epoch"]}\t{e["train_loss"]}\t{e["val_loss"]}\t{100*e["val_accuracy"]}\t{100*e["train_accuracy"]}\n')
with open(sys.argv[2] + "/confusion.tsv", "w") as f:
    for r, row in enumerate(m["confusion"]):
        for c, v in enumerate(row):
            f.write(f"{c}\t{r}\t{v}\n")
        f.write("\n")
PY
gnuplot <<GP
set terminal pngcairo size 900,420 font "sans,11"
set output "$dir/training-curve.png"
set multiplot layout 1,2 title "digits-train: validation split of 5000 MNIST training images"
set xlabel "epoch"; set grid
set ylabel "loss"
set logscale y
plot "$tmp/curve.tsv" u 1:2 w lp t "train (augmented, with label smoothing)", "" u 1:3 w lp t "validation"
unset logscale y
set ylabel "accuracy %"
set key bottom right
plot "$tmp/curve.tsv" u 1:4 w lp t "validation", "" u 1:5 w lp t "train (augmented)"
unset multiplot
set output "$dir/confusion.png"
set terminal pngcairo size 560,520 font "sans,11"
set title "Confusion on MNIST test (rows: label, columns: predicted)"
set xlabel "predicted"; set ylabel "label"
set xrange [-0.5:9.5]; set yrange [9.5:-0.5]
set xtics 1; set ytics 1; unset grid
set cbrange [0:5]; set palette defined (0 "white", 5 "#c0392b")
unset colorbox
plot "$tmp/confusion.tsv" u 1:2:(\$1==\$2?0:\$3) w image notitle, \
     "" u 1:2:(sprintf("%d",\$3)) w labels font ",9" notitle
GP
echo "wrote $dir/training-curve.png $dir/confusion.png"
