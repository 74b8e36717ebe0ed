// Augmentation that looks like real drawings: rotation, aspect and scale, shear, translation,
// elastic distortion and stroke-thickness variation; every sample then goes through core's own
// normalisation so training sees exactly what inference sees.
#pragma once

#include <cstdint>
#include <random>

#include "digits/digits.h"

namespace train {

struct AugmentOptions {
  float max_rotation_deg = 14;
  float max_shear = 0.3f;
  float max_aspect = 0.15f;  // each axis scaled by 1 +/- this
  float elastic_probability = 0.5f;
  float elastic_alpha = 2.0f;  // peak displacement in pixels (28x28 scale)
  float elastic_sigma = 3.5f;
  float thicken_probability = 0.2f;
  float thin_probability = 0.2f;
};

// Core's preprocessing of an unaugmented 28x28 MNIST image.
digits::Image28 preprocess_plain(const std::uint8_t* mnist28);

// One random variant of a 28x28 MNIST image, preprocessed by core.
digits::Image28 augment(const std::uint8_t* mnist28, std::mt19937& rng, const AugmentOptions& o);

}  // namespace train
