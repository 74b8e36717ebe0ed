#!/usr/bin/python3
"""Prints the model card's tables (markdown) from the trainer's metrics.json.

    models/tables.py models/metrics.json
"""
import json
import sys

m = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "models/metrics.json"))
pct = lambda x: f"{100 * x:.2f} %"

print("| | MNIST test | held-out pen, stroke path | held-out pen, PNG uploads |")
print("|---|---|---|---|")
pen = m.get("pen")
for name, label, mn in (("f32", "f32 blob", m["test_accuracy_core_f32"]),
                        ("int8", "int8 blob (dequantised at load)", m["test_accuracy_core_int8"]),
                        ("int8_compute", "int8 blob, Int8 compute", m["test_accuracy_core_int8_compute"])):
    s = pen["strokes"][name]["all"]["accuracy"] if pen else None
    p = pen["png"][name]["all"]["accuracy"] if pen else None
    print(f"| {label} | {pct(mn)} | {pct(s) if pen else '–'} | {pct(p) if pen else '–'} |")
if not pen:
    sys.exit(0)

print("\nPer held-out source (digits; f32 / int8 compute):\n")
print("| source | digits | stroke path | PNG uploads |")
print("|---|---|---|---|")
for src, t in pen["strokes"]["f32"]["sources"].items():
    si = pen["strokes"]["int8_compute"]["sources"][src]["accuracy"]
    pf = pen["png"]["f32"]["sources"][src]["accuracy"]
    pi = pen["png"]["int8_compute"]["sources"][src]["accuracy"]
    print(f"| {src} | {t['n']} | {pct(t['accuracy'])} / {pct(si)} | {pct(pf)} / {pct(pi)} |")

print("\nPNG uploads per style (f32):\n")
print("| style | digits | accuracy |")
print("|---|---|---|")
for st, t in pen["png"]["f32"]["styles"].items():
    print(f"| {st} | {t['n']} | {pct(t['accuracy'])} |")

print("\nPer digit, held-out pen sources (f32 / int8 compute):\n")
print("| digit | " + " | ".join(str(d) for d in range(10)) + " |")
print("|---" * 11 + "|")
for path in ("strokes", "png"):
    f = pen[path]["f32"]["digits"]
    i = pen[path]["int8_compute"]["digits"]
    print(f"| {path} | " + " | ".join(f"{100*a['accuracy']:.1f} / {100*b['accuracy']:.1f}" for a, b in zip(f, i)) + " |")

print("\nCalibration (core's calibrated probabilities; ECE with 15 bins):\n")
print(f"- MNIST test: ECE {pct(m['ece_core_mnist_test'])}")
print(f"- held-out pen, stroke path: ECE {pct(pen['strokes']['f32']['ece'])}")
print(f"- held-out pen, PNG uploads: ECE {pct(pen['png']['f32']['ece'])}")
print(f"- `uncertain` below {m['uncertain_below']:.2f} (fitted on pen validation)\n")
print("| confidence | MNIST test: n | right | pen strokes: n | right | pen PNG: n | right |")
print("|---|---|---|---|---|---|---|")
for a, b, c in zip(m["reliability_mnist_test"], pen["strokes"]["f32"]["reliability"], pen["png"]["f32"]["reliability"]):
    row = f"| {a['from']:.2f}–{a['to']:.2f} |"
    for r in (a, b, c):
        row += f" {r['n']} | {pct(r['accuracy']) if r['n'] else '–'} |"
    print(row)
for path in ("strokes", "png"):
    r = pen[path]["f32"]
    print(f"\n{path}: confident answers right {pct(r['confident']['accuracy'])} of {r['confident']['n']}, "
          f"uncertain right {pct(r['uncertain']['accuracy'])} of {r['uncertain']['n']}", end="")
print()
