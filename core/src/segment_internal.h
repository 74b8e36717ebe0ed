// Segmentation's internals, shared by segment.cpp (geometry) and read.cpp (reading): an input
// cut into atoms — the smallest pieces surely within one digit — that reading may join.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "digits/digits.h"

namespace digits {
namespace detail {

// A piece of a number and what the network will see of it.
struct Segment {
  Box box;
  std::vector<int> strokes;  // stroke input: indices, in writing order
  Image28 image{};
  bool touching = false;
};

struct Atoms {
  struct Atom {
    Segment segment;                      // preprocessed, with its box
    float x0 = INFINITY, x1 = -INFINITY;  // extent along the writing line (slant taken out)
    int pieces = -1;                      // images: a handle to its pixels
    bool may_split = false;               // images: one ink part too wide for a digit, not cut
  };
  std::vector<Atom> atoms;  // left to right
  // Points and commas written between digits ("12.50"): not ink of any atom, never joined. x is
  // the mark's middle along the writing line (the atoms' x0/x1 units).
  struct Separator {
    char symbol = '.';
    Box box;
    float x = 0;
  };
  std::vector<Separator> separators;  // left to right
  float height = 1;                   // the writing's digit height, along the line's units
  Preprocessed whole;                 // the whole input as one digit (empty: no ink)
  // Whether `count` atoms are the whole input read as one digit, as predict_* reads it: one atom
  // and nothing between or before digits ("-7" is no single digit: the sign is no part of the 7).
  bool one_digit(std::size_t count) const { return count == 1 && separators.empty(); }
  // Two neighbouring atoms preprocessed as one digit. For strokes it reads the caller's strokes
  // (not copied): use join and split only while the input given to stroke_atoms lives.
  std::function<Result<Atom>(const Atom&, const Atom&)> join;
  // An atom with may_split cut in two, each way worth trying: at up to kSplitCuts columns of its
  // middle half crossed by the least ink, at least 3 pixels apart (both halves `touching`); empty
  // when it cannot be cut (strokes: never set).
  static constexpr int kSplitCuts = 5;
  std::function<Result<std::vector<std::pair<Atom, Atom>>>(const Atom&)> split;
};

// The error for more than ReadOptions::max_digits digits (one message wherever it is found).
Error too_many_digits(std::size_t found, int limit);

Result<Atoms> stroke_atoms(const std::vector<Stroke>& strokes, const PreprocessOptions& options,
                           const ReadOptions& read);
Result<Atoms> image_atoms(const ImageView& image, const PreprocessOptions& options, const ReadOptions& read);

// Atoms to a Reading: the network decides which neighbours are one digit (read.cpp). `strokes` is
// the number of input strokes (0 for an image): a reading of one digit lists them all.
Result<Reading> read_atoms(Model& model, Result<Atoms> made, const ReadOptions& read, std::size_t strokes);

}  // namespace detail
}  // namespace digits
