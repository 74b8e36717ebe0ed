#!/usr/bin/env python3
"""Draws the benchmark's request body: a 280x280 PNG of a hand-drawn-looking 7, dark ink on white,
as a browser canvas would export it (anti-aliased RGBA, round pen)."""
import sys

from PIL import Image, ImageDraw

out = sys.argv[1]
size, scale = 280, 4  # draw at 4x and downsample: anti-aliased edges like a canvas
img = Image.new("RGBA", (size * scale, size * scale), (255, 255, 255, 255))
d = ImageDraw.Draw(img)
pen = 18 * scale
points = [(70, 60), (205, 55), (175, 130), (140, 225)]
pts = [(x * scale, y * scale) for x, y in points]
d.line(pts, fill=(20, 20, 20, 255), width=pen, joint="curve")
for x, y in pts:  # round caps
    d.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=(20, 20, 20, 255))
img.resize((size, size), Image.LANCZOS).save(out, optimize=True)
