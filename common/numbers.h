// Synthetic handwritten numbers for the reading tests and benchmark: real digits (pen strokes of
// one writer, or MNIST images) placed side by side the way people write numbers — varied gaps
// (down to nearly touching), heights, baselines and slant, and a bar or flag sometimes written
// after the other digits. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/idx.h"
#include "pen_digits.h"

namespace numbers {

// A mark people write in a number (README, "Reading numbers"): a decimal point or a thousands comma
// low in a gap, a colon (a time) or a hyphen (a date, a phone number) in a gap, a minus sign
// before the first digit, or a decimal point there (".75").
enum class Mark { kNone, kPoint, kComma, kColon, kHyphen, kMinus, kLeadingPoint };
inline const char* const kMarkNames[] = {"none", "point", "comma", "colon", "hyphen", "minus", "leading point"};

struct Style {
  int min_digits = 2, max_digits = 8;
  float min_gap = 0.04f, max_gap = 0.5f;  // space between digits, in digit heights
  float height_jitter = 0.15f;            // each digit's height 1 +/- this
  float baseline_jitter = 0.1f;           // each digit's baseline moves up or down by this
  float max_slant = 0.3f;                 // the whole number sheared by up to this (x per y)
  float late_stroke_probability = 0.3f;   // a multi-stroke digit's last stroke written at the end
  bool touch = false;  // images only (compose_images): neighbours overlap by 1-3 pixels instead of a gap
  // Strokes only (compose_strokes): every number gets one mark, of a kind drawn at random, in a
  // gap of its own (0.3-0.7 of a digit) or before the first digit; written in order, or last.
  bool marks = false;
};

// Issue 16's target case: 2-6 digits written with ordinary spacing (a fifth to 0.6 of a digit's
// height between digits), heights, baselines and slant varied as in Style's defaults.
Style ordinary_spacing();
// 2-6 digits a digit's height or more apart, upright, on one baseline, of one height: grouping
// has nothing to get wrong, so what fails is the single digits. The difference between this and
// ordinary_spacing() is what spacing, slant and grouping cost.
Style well_apart();
// Two digits that touch (`touch`; images only): what the network must not read as one confident
// digit.
Style touching_pairs();
// By name, for the command line: one of kSpacings ("all" is Style's defaults; "touching" is
// touching_pairs()).
inline const std::vector<std::string> kSpacings = {"all", "ordinary", "apart", "touching"};
Style spacing(const std::string& name);

struct StrokeNumber {
  std::string text;  // with the mark, if any: "14:07", "-14"
  Mark mark = Mark::kNone;
  std::string writer;
  std::vector<digits::Stroke> strokes;  // y down, digit height about 1
};

// A number from the digits of one writer: `pool` indexes samples; the writer is chosen at random
// among those in the pool with enough digits, then each digit among that writer's samples.
StrokeNumber compose_strokes(const std::vector<pen::Sample>& samples, const std::vector<std::size_t>& pool,
                             std::mt19937& rng, const Style& style = {});

struct ImageNumber {
  std::string text;
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // Gray8, white ink on black like MNIST
  digits::ImageView view() const { return {pixels.data(), width, height, digits::PixelFormat::Gray8, 0}; }
};

// A number from MNIST images chosen from `pool` (cropped to their ink, scaled to the number's
// height, placed with the style's gaps; gaps are at least one pixel so digits do not touch,
// unless style.touch is set: then each pair overlaps by 1-3 pixels).
ImageNumber compose_images(const digits::IdxImages& images, const std::vector<std::uint8_t>& labels,
                           const std::vector<int>& pool, std::mt19937& rng, const Style& style = {});

}  // namespace numbers

namespace numbers {

// How well a model reads synthetic numbers: exactly read, and digits right (1 - edit distance /
// digits, so a missed or split digit costs what it costs a reader).
struct Score {
  long numbers = 0, exact = 0, digits = 0, digit_errors = 0, flagged_wrong = 0, unflagged_wrong = 0;
  long miscounted = 0;  // wrong numbers read with another count of digits (split, joined)
  struct Tally {
    long numbers = 0, exact = 0;
  };
  std::map<std::string, Tally> by_mark;  // numbers with a mark, by its kMarkNames entry (Style::marks)
  std::vector<std::string> misses;       // the first wrong ones, "truth->read"
  double seconds = 0;                    // reading time (segmentation + network), all numbers
  double exact_rate() const { return numbers ? double(exact) / numbers : 0; }
  double digit_rate() const { return digits ? 1 - double(digit_errors) / digits : 0; }
  // `truth` may hold a mark ("14:07"): it counts as a character to get right, like a digit.
  void add(const std::string& truth, const digits::Reading& r, Mark mark = Mark::kNone);
};
int edit_distance(const std::string& a, const std::string& b);
std::string summary(const Score& s);

// Reads `count` numbers made by compose_strokes (seeded), as strokes or as rendered PNG uploads.
digits::Result<Score> score_strokes(digits::Model& model, const std::vector<pen::Sample>& samples,
                                    const std::vector<std::size_t>& pool, int count, unsigned seed, bool as_png,
                                    const Style& style = {});
// Reads `count` numbers made by compose_images from `pool` (seeded).
Score score_images(digits::Model& model, const digits::IdxImages& images, const std::vector<std::uint8_t>& labels,
                   const std::vector<int>& pool, int count, unsigned seed, const Style& style = {});

}  // namespace numbers
