// Hand-drawn-like digit templates for the browser tests: each digit is a list of strokes, each a
// list of [x, y] points in a unit box (y down), the way a person would draw it with a mouse.
'use strict';

function curve(f, n) {
  const points = [];
  for (let i = 0; i <= n; ++i) points.push(f(i / n));
  return points;
}

const TEMPLATES = {
  0: [curve((t) => [0.5 + 0.28 * Math.sin(2 * Math.PI * t), 0.5 - 0.42 * Math.cos(2 * Math.PI * t)], 28)],
  1: [[[0.42, 0.2], [0.55, 0.1], [0.55, 0.9]]],
  2: [[[0.25, 0.3], [0.35, 0.15], [0.55, 0.1], [0.72, 0.2], [0.72, 0.38], [0.55, 0.55], [0.25, 0.88], [0.78, 0.88]]],
  3: [[[0.25, 0.15], [0.5, 0.1], [0.7, 0.2], [0.68, 0.38], [0.45, 0.48], [0.7, 0.58], [0.72, 0.78], [0.5, 0.9], [0.25, 0.85]]],
  4: [[[0.55, 0.1], [0.2, 0.62], [0.82, 0.62]], [[0.62, 0.3], [0.62, 0.92]]],
  5: [[[0.72, 0.1], [0.32, 0.1], [0.3, 0.45], [0.5, 0.4], [0.7, 0.5], [0.72, 0.72], [0.55, 0.88], [0.28, 0.85]]],
  6: [[[0.65, 0.1], [0.4, 0.3], [0.28, 0.6], [0.32, 0.82], [0.5, 0.9], [0.68, 0.8], [0.7, 0.62], [0.52, 0.52], [0.32, 0.62]]],
  7: [[[0.22, 0.12], [0.78, 0.12], [0.45, 0.9]]],
  8: [curve((t) => [0.5 + 0.22 * Math.sin(4 * Math.PI * t), 0.5 - 0.4 * Math.cos(2 * Math.PI * t)], 40)],
  9: [[[0.7, 0.3], [0.55, 0.12], [0.35, 0.15], [0.3, 0.32], [0.45, 0.45], [0.68, 0.35], [0.7, 0.3], [0.68, 0.6], [0.62, 0.9]]],
};

// Where on the pad to draw, as fractions of its side: {x, y, w, h} of the digit's box.
const PLACEMENTS = [
  { name: 'centre, large', x: 0.15, y: 0.1, w: 0.7, h: 0.8 },
  { name: 'top-left, small', x: 0.05, y: 0.05, w: 0.3, h: 0.35 },
  { name: 'bottom-right, medium', x: 0.45, y: 0.4, w: 0.45, h: 0.55 },
];

function place(strokes, box) {
  return strokes.map((s) => s.map(([x, y]) => [box.x + x * box.w, box.y + y * box.h]));
}

module.exports = { TEMPLATES, PLACEMENTS, place };
