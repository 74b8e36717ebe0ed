// Grouping: the marks of a number — a stroke, or a connected part of an image's ink, each with a
// box along the writing line — made into digits, and what stands between the digits found: points,
// commas, colons, hyphens and a minus sign. Used by segment.cpp for strokes and images alike.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace digits {
namespace detail {

struct Mark {
  float x0 = INFINITY, x1 = -INFINITY;  // along the writing line, slant taken out
  float y0 = INFINITY, y1 = -INFINITY;
  float w() const { return x1 - x0; }
  float h() const { return y1 - y0; }

  // Where along the line the mark's ink lies at each height, in kBands bands across the box (none
  // where ink_x0 > ink_x1): a dot under a "7"'s bar, or under a slanted neighbour's overhang,
  // stands clear of that digit's ink though inside its box. Filled by add_ink once y0, y1 are
  // final.
  static constexpr int kBands = 8;
  float ink_x0[kBands] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
  float ink_x1[kBands] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  void add_ink(float x, float y);
  // The ink's extent along the line between heights ya and yb (first > second: none there).
  std::pair<float, float> ink_between(float ya, float yb) const;
};
// Adds a stroke's ink from a to b (x along the line, y down) to `m`'s bands, in steps no longer
// than a band is tall, so that a long straight stroke fills every band it crosses.
void add_segment_ink(Mark& m, float ax, float ay, float bx, float by);

// The height of the writing's digits: the tall marks' (the 75th percentile of those at least
// a third as tall as the tallest, so bars, dots and ticks do not count).
float digit_height(const std::vector<Mark>& marks);

// Whether ink whose foot is at `foot` floats above a digit whose box starts at `top` and is
// `height` tall: the foot above that digit's lowest 30 %, so not on its line. Reading's joins take
// such a part more readily (read.cpp); a hyphen wants no floating neighbour on its left.
inline bool floats(float foot, float top, float height) { return foot < top + 0.7f * height; }

// Whether a mark is too small to be a digit (under 0.3 of the digits' height either way).
bool tiny(const Mark& m, float height);

struct Grouping {
  std::vector<std::vector<int>> digits;  // mark indices, one list per digit
  struct Separator {
    std::vector<int> marks;  // one mark ('.', ',' or '-'), or a colon's two
    char symbol = '.';
  };
  std::vector<Separator> separators;  // left to right
};

// Groups marks (with the slant taken out; `plain`: the same as written) into digits; each group
// lists mark indices. Marks in no group and not a separator are dropped. Groups are in no
// particular order yet (the caller sorts them once their boxes are final); separators come sorted
// along the line. `pen` is a picture's pen width (0 for strokes). Over `max_groups` groups of
// overlapping marks, what stands between them is not looked for (the caller refuses so many
// digits; the search would cost groups x small marks).
Grouping group_marks(const std::vector<Mark>& marks, const std::vector<Mark>& plain, float height, float pen,
                     size_t max_groups = SIZE_MAX);

// The box around marks[which...], and its middle along the writing line.
Mark bounds(const std::vector<Mark>& marks, const std::vector<int>& which);
float middle(const std::vector<Mark>& marks, const std::vector<int>& which);

}  // namespace detail
}  // namespace digits
