// Real pen digits (UNIPEN-style strokes) for training, evaluation, tests and benchmarks.
//
// The data set (../shared/data/unipen-dev/digits.json) is a JSON array of
//   {"label": 0-9, "writer": "SOURCE/ID", "strokes": [[[x, y], ...], ...]}
// with each sample's bounding box scaled so its longer side is 1 (x right, y down).
//
// Accuracy is judged on writers and sources the model never saw, so the split is by source:
// the held-out sources below are never trained on; they choose the model and the calibration,
// and give the figures in the model card.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "digits/digits.h"

namespace pen {

// The box around points (x right, y down): empty (infinite) until a point is added.
struct Bounds {
  float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  Bounds() = default;
  explicit Bounds(const std::vector<digits::Stroke>& strokes) {
    for (const auto& st : strokes)
      for (const auto& p : st) add(p);
  }
  void add(const digits::Point& p) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
};

struct Sample {
  int label = 0;
  std::string writer;  // "SOURCE/ID"
  std::string source;  // the part before '/'
  std::vector<digits::Stroke> strokes;
};

// Where the data lives relative to the repository (CI has it there too).
constexpr const char* kDefaultPath = "../shared/data/unipen-dev/digits.json";

// Sources held out from training: one with many writers (apa: 74) and one of the two hard ones
// (val: 20 writers, 92 % for the MNIST-only model).
const std::vector<std::string>& held_out_sources();
bool is_held_out(const Sample& s);

// Parses the JSON array. Sizes are checked before anything large is allocated (at most
// max_samples samples of at most max_points points each); any malformed entry is an error that
// names its index.
struct Limits {
  std::size_t max_samples = 100000;
  std::size_t max_points = 100000;
};
digits::Result<std::vector<Sample>> parse(const std::uint8_t* data, std::size_t size, const Limits& limits = {});

// The sample as a tablet sampling the pen `every` times more sparsely would record it: every
// `every`-th point of each stroke from its first, and its last (`digits eval --pen --every`, the
// accuracy tests: the sources judged later may sample more sparsely than these).
Sample sparser(const Sample& s, int every);
std::vector<Sample> sparser(const std::vector<Sample>& samples, int every);

// The sample turned `degrees` clockwise as seen (x right, y down) about the centre of its box:
// positive leans it more to the right, as a more italic hand or a tilted tablet would (`digits
// eval --pen --turn`, the accuracy tests: the network must not read only upright writing).
Sample turned(const Sample& s, double degrees);
std::vector<Sample> turned(const std::vector<Sample>& samples, double degrees);

// A known flaw of the ibm and val sources: some "0" samples are several zeros side by side (the
// original segmentation failed). No single written zero is over twice as wide as it is tall.
bool looks_missegmented(const Sample& s);

// ---------------------------------------------------------------------------------------------
// Rendering strokes as a picture (cairo): how the product meets pen digits as uploaded images.
// ---------------------------------------------------------------------------------------------

enum class Ink {
  DarkOnLight,    // black pen on white paper (opaque RGB)
  LightOnDark,    // white chalk on a black board (opaque RGB)
  OnTransparent,  // coloured ink on a fully transparent background (RGBA)
};
const char* ink_name(Ink ink);

struct RenderStyle {
  int side = 280;        // square canvas, pixels
  float pen = 0.06f;     // pen width as a fraction of the side
  float extent = 0.7f;   // the digit's longer side as a fraction of the side
  float dx = 0, dy = 0;  // offset of the digit's centre from the canvas centre, fraction of side
  Ink ink = Ink::DarkOnLight;
};

// Draws the strokes with round caps and joins, anti-aliased, and encodes the canvas as a PNG
// (RGB for opaque styles, RGBA on transparency) — the bytes a user would upload.
digits::Result<std::vector<std::uint8_t>> render_png(const std::vector<digits::Stroke>& strokes,
                                                     const RenderStyle& style);

}  // namespace pen
