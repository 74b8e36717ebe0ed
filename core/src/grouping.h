// Grouping: the marks of a number — a stroke, or a connected part of an image's ink, each with a
// box along the writing line — made into digits, and what stands between the digits found: points,
// commas, colons, hyphens and a minus sign. Used by segment.cpp for strokes and images alike.
#pragma once

#include <cmath>
#include <vector>

namespace digits {
namespace detail {

struct Mark {
  float x0 = INFINITY, x1 = -INFINITY;  // along the writing line, slant taken out
  float y0 = INFINITY, y1 = -INFINITY;
  float w() const { return x1 - x0; }
  float h() const { return y1 - y0; }
};

// The height of the writing's digits: the tall marks' (the 75th percentile of those at least
// a third as tall as the tallest, so bars, dots and ticks do not count).
float digit_height(const std::vector<Mark>& marks);

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
// along the line. `pen` is a picture's pen width (0 for strokes).
Grouping group_marks(const std::vector<Mark>& marks, const std::vector<Mark>& plain, float height, float pen);

// The box around marks[which...], and its middle along the writing line.
Mark bounds(const std::vector<Mark>& marks, const std::vector<int>& which);
float middle(const std::vector<Mark>& marks, const std::vector<int>& which);

}  // namespace detail
}  // namespace digits
