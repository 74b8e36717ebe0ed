// Internal pieces of preprocessing, shared by preprocess.cpp and the tests.
#pragma once

#include <vector>

#include "digits/digits.h"

namespace digits {
namespace detail {

// A float image: 0 = paper, 1 = full ink.
struct Plane {
  Plane(int w, int h);
  float& at(int x, int y) { return v[static_cast<size_t>(y) * w + x]; }
  float at(int x, int y) const { return v[static_cast<size_t>(y) * w + x]; }
  int w, h;
  std::vector<float> v;
};

// One step of grey-scale dilation (grow) or erosion over a 3x3 square or, if !square, a cross.
Plane morph_step(const Plane& p, bool grow, bool square);

Result<Plane> ink_plane(const ImageView& image, const PreprocessOptions& options);
Result<Plane> stroke_plane(const std::vector<Stroke>& strokes, const PreprocessOptions& options);
// When `stages` is given, also copies each intermediate picture into it (for the studio); the
// result is the same either way.
Result<Preprocessed> normalize(const Plane& ink, const PreprocessOptions& options,
                               PreprocessStages* stages = nullptr);

}  // namespace detail
}  // namespace digits
