// Accuracy of a model on real pen digits, the way the product meets them: through the page's
// stroke path (preprocess_strokes) or as uploaded PNG pictures of every style (preprocess_image
// after decode_png). Shared by `digits eval --pen`, the accuracy tests, the benchmark and the
// trainer, so every figure is computed by the same code.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "pen_digits.h"

namespace pen {

enum class Path { Strokes, Png };
const char* path_name(Path path);

// The picture style of the i-th upload in a PNG evaluation: cycles through the three inks,
// canvas sides from 64 to 400 px, thin to thick pens, sizes and offsets, so every style is met
// about equally often and the result is the same on every run.
RenderStyle upload_style(std::size_t i);

struct Tally {
  long n = 0, correct = 0;
  double accuracy() const { return n ? double(correct) / n : 0; }
  void add(bool ok) { ++n, correct += ok; }
};

struct Miss {
  std::size_t index;  // into the samples
  int label, predicted;
  float confidence;
};

struct Report {
  Path path = Path::Strokes;
  Tally all, confident, uncertain;
  std::map<std::string, Tally> by_source, by_style;  // by_style: PNG path only (ink name)
  std::map<int, Tally> by_side;                      // PNG path only: the canvas's side, pixels
  std::array<Tally, 10> by_digit{};
  std::array<std::array<long, 10>, 10> confusion{};  // [label][predicted]; empty counts as wrong
  long empty = 0;                                    // no ink found: counted as errors
  std::vector<Miss> misses;
  std::vector<digits::Prediction> predictions;  // one per evaluated sample, in order
};

// On the PNG path, each sample is drawn in one ink, the inks taking turns (Rotate: each style
// meets a third of the samples), or in all three (Every: each style meets every sample, so a
// style's figure is not a matter of which digits it happened to get; three times the work).
enum class Inks { Rotate, Every };

// Evaluates `which` (indices into samples; empty = all). A sample whose preprocessing fails or
// finds no ink counts as an error (its prediction is empty). With Inks::Every, every tally,
// miss and prediction is per picture (three per sample).
digits::Result<Report> evaluate(digits::Model& model, const std::vector<Sample>& samples,
                                const std::vector<std::size_t>& which, Path path, Inks inks = Inks::Rotate);

// The indices of the samples of the held-out sources (true) or of the others (false), without
// those that looks_missegmented() flags (the data set's known flaw), so that training, tests, the CLI and
// the benchmark all count the same digits.
std::vector<std::size_t> select(const std::vector<Sample>& samples, bool held_out);

// Human-readable summary (per source, per digit, confusion) and a JSON object with the same.
std::string summary(const Report& r);
std::string to_json(const Report& r);

}  // namespace pen
