// Stroke-level augmentation of real pen digits: what really varies between people and devices.
//   slant and rotation, aspect           how people hold the pen and the paper
//   jitter and wobble                    tremor, tablet noise
//   point density and speed              a mouse or a finger samples points unlike a tablet
//   a missing or an extra short stroke   a bar left off, a stray touch of the pen
//   a break in a stroke                  a loop left open, a pen that skipped
//   stroke order and direction           a bar added last, a stroke drawn backwards
//   writing styles the sources rarely show a flag or a base on a "1", a slashed zero "Ø", a barred "7"
// The pen width and the picture path are chosen by the trainer (pen::RenderStyle).
#pragma once

#include <random>
#include <vector>

#include "digits/digits.h"

namespace train {

struct PenAugmentOptions {
  float max_slant = 0.35f;  // x += slant * y (italic to back-slanted)
  float max_rotation_deg = 12;
  float max_aspect = 0.25f;                // x scaled by 1 +/- this relative to y
  float jitter = 0.012f;                   // per-point noise, fraction of the digit's size (sd)
  float wobble = 0.025f;                   // smooth displacement field amplitude
  float resample_probability = 0.6f;       // re-sample strokes at a new point spacing
  float drop_stroke_probability = 0.08f;   // drop a short stroke (< 15 % of the ink)
  float extra_stroke_probability = 0.08f;  // add a short tick near a stroke's end
  float reorder_probability = 0.5f;        // shuffle stroke order, reverse some strokes
  float gap_probability = 0.0f;            // cut a 10-22 % piece out of a stroke
  float style_probability = 0.35f;         // give a 1 a flag or base, a 0 a slash, a 7 a bar
};

// `label` picks the writing styles that may be added (see add_style); any other value adds none.
std::vector<digits::Stroke> augment_strokes(const std::vector<digits::Stroke>& strokes, int label, std::mt19937& rng,
                                            const PenAugmentOptions& o = {});

}  // namespace train
