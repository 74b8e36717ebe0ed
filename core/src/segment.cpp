// Segmentation of a number into digits (see digits.h: segment_strokes, segment_image).
//
// Both inputs become "marks" — a stroke, or a connected part of an image's ink — with a box
// measured along the writing line once its slant is taken out (a slanted "1" next to a "2"
// overlaps it in x, upright it does not). Marks that overlap along the line are one digit (a "4"
// in two strokes, a "7" and its bar, a "5" and its flag, however late they were written); marks
// too small to be a digit (a dot, a tick) join the nearest digit, or are dropped when far from
// all of them — unless one sits low in the gap between two digits, clear of both: a decimal point
// or a comma ("12.50", "1,000"); or two stand one over the other in a gap: a colon ("12:30"); or a
// flat one is at mid-height in a gap: a hyphen ("2026-12-05"). An image part as wide as two digits
// is cut where its ink is thinnest.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>

#include "preprocess_internal.h"
#include "segment_internal.h"

namespace digits {

namespace {

constexpr float kInkThreshold = 0.15f;  // as preprocessing's: what counts as ink
constexpr int kMaxParts = 1 << 16;      // connected parts of an image's ink (noise, photos)
constexpr int kMaxMarks = 2048;         // marks big enough to be (part of) a digit
constexpr float kTiny = 0.3f;           // a mark smaller than this x the digit height is not a digit
constexpr float kOverlap = 0.4f;        // marks overlapping this much of the narrower one are one digit
constexpr float kWide = 2.0f;           // an image part wider than this x the height is cut where thin
constexpr float kSuspect = 1.0f;        // one wider than this may be two touching digits (flagged)

struct Mark {
  float x0 = INFINITY, x1 = -INFINITY;  // along the writing line, slant taken out
  float y0 = INFINITY, y1 = -INFINITY;
  float w() const { return x1 - x0; }
  float h() const { return y1 - y0; }
};

// The height of the writing's digits: the tall marks' (the 75th percentile of those at least
// a third as tall as the tallest, so bars, dots and ticks do not count).
float digit_height(const std::vector<Mark>& marks) {
  std::vector<float> h;
  float tallest = 0;
  for (const Mark& m : marks) tallest = std::max(tallest, m.h());
  for (const Mark& m : marks)
    if (m.h() >= tallest / 3) h.push_back(m.h());
  if (h.empty()) return 1;
  std::sort(h.begin(), h.end());
  return std::max(h[(h.size() * 3) / 4 == h.size() ? h.size() - 1 : (h.size() * 3) / 4], 1e-6f);
}

Mark widened(Mark m, float min_width) {
  if (m.w() < min_width) {
    const float c = (m.x0 + m.x1) / 2;
    m.x0 = c - min_width / 2, m.x1 = c + min_width / 2;
  }
  return m;
}

bool tiny(const Mark& m, float height) { return std::max(m.w(), m.h()) < kTiny * height; }

int find(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

// The digits' boxes with the writing's slant taken out and as written.
struct Frames {
  std::vector<Mark> upright, plain;
};

// The gap between two digits a mark stands in: `left` indexes the digit before it, `base` and
// `line` are the two digits' baseline and height.
struct Gap {
  size_t left = SIZE_MAX;
  float base = 0, line = 0;
};

// Whether a mark stands in the gap between two digits (`boxes`, the big marks' groups, in the
// mark's frame; `own` are groups that are small marks themselves and do not close a gap, the
// mark's own among them), clear of both by `clear` of their height.
bool in_gap(const Mark& m, const std::vector<Mark>& boxes, float height, const std::vector<size_t>& own, Gap& gap,
            float clear) {
  const float cx = (m.x0 + m.x1) / 2;
  size_t left = SIZE_MAX, right = SIZE_MAX;
  for (size_t k = 0; k < boxes.size(); ++k) {
    const Mark& b = boxes[k];
    if (b.h() < 0.6f * height) continue;  // a "4"'s bar or hook, grouped with its stem later (or m)
    if (b.x1 <= cx && (left == SIZE_MAX || b.x1 > boxes[left].x1)) left = k;
    if (b.x0 >= cx && (right == SIZE_MAX || b.x0 < boxes[right].x0)) right = k;
  }
  if (left == SIZE_MAX || right == SIZE_MAX) return false;
  for (size_t k = 0; k < boxes.size(); ++k)  // over or under a digit: no gap there
    if (std::find(own.begin(), own.end(), k) == own.end() && boxes[k].x0 < m.x1 && boxes[k].x1 > m.x0) return false;
  const Mark &l = boxes[left], &r = boxes[right];
  gap.left = left;
  gap.base = (l.y1 + r.y1) / 2;
  gap.line = std::max(gap.base - (l.y0 + r.y0) / 2, 0.5f * height);
  return m.x0 >= l.x1 + clear * gap.line && m.x1 <= r.x0 - clear * gap.line;
}

// in_gap, looked for with the slant taken out (`upright`) and as written (`plain`): a dot at the
// foot of an upright "7" lies under the 7's bar once an italic neighbour's slant is taken out.
bool in_a_gap(size_t i, const std::vector<Mark>& upright, const std::vector<Mark>& plain, const Frames& boxes,
              float height, const std::vector<size_t>& own, Gap& gap, float clear = 0.03f) {
  return in_gap(upright[i], boxes.upright, height, own, gap, clear) ||
         in_gap(plain[i], boxes.plain, height, own, gap, clear);
}

// Whether a mark is round enough and, in a picture, about as thick as the pen (`pen`; 0 for
// strokes) to be a point: not flat (a "1"'s foot, a "2"'s base written apart), not a speck of
// noise or the broken-off end of a stroke in a scanned digit (thinner than its strokes).
bool dot_like(const Mark& m, float line, float pen) {
  return m.w() <= 1.5f * m.h() + 0.04f * line && std::min(m.w(), m.h()) >= 0.7f * pen;
}

// Whether a mark is flat (a quarter of its width tall at most, beside the pen's thickness) and no
// longer than 0.9 of a digit is tall: it may be a dash (`dash` decides once its gap is known).
bool flat(const Mark& m, float height, float pen) { return m.h() <= 0.25f * m.w() + pen && m.w() <= 0.9f * height; }

// Whether a mark in a gap is a dash: flat, at least 0.08 of the digits' height long (3 pens in a
// picture: a broken-off bit of a stroke is shorter), its middle between 0.2 and 0.75 of their
// height above the baseline (a "1"'s flag written apart sits higher, and is steeper) and, in a
// picture, at least about as thick as the pen. Between two digits it is a hyphen ("2026-12-05",
// "555-1234"), which the network alone reads as a "1" ("14-07" read "14107").
bool dash(const Mark& m, const Gap& gap, float pen) {
  const float line = gap.line, middle = (m.y0 + m.y1) / 2;
  return m.w() >= std::max(0.08f * line, 3 * pen) && flat(m, line, pen) && m.h() >= 0.7f * pen &&
         middle >= gap.base - 0.75f * line && middle <= gap.base - 0.2f * line;
}

// A small mark low in the gap between two digits is a decimal point or a comma ("12.50",
// "1,000"), not a bit of either digit: '.', or ',' when it reaches below the digits' baseline and
// is taller than wide; 0 when it is no separator. The mark must stand clear of both digits (specks
// and the broken-off ends of strokes in scanned digits lie at their digit's edge), its top in their
// lowest third, and be dot_like.
char separator(size_t i, const std::vector<Mark>& upright, const std::vector<Mark>& plain, const Frames& boxes,
               float height, float pen, const std::vector<size_t>& own = {}) {
  Gap gap;
  const Mark& m = plain[i];
  // A hyphen may reach nearly from one digit to the other (a dot may not: specks lie at the edge),
  // but not touch either as written: the bar of a "4" written in three strokes, "|", "-", "|",
  // touches both as written, and may seem not to once the slant is taken out.
  if (flat(m, height, pen) && in_gap(m, boxes.plain, height, own, gap, 0) && dash(m, gap, pen)) return '-';
  if (!in_a_gap(i, upright, plain, boxes, height, own, gap)) return 0;
  const float base = gap.base, line = gap.line;
  if (m.y0 < base - line / 3 || m.y1 > base + 0.4f * line || !dot_like(m, line, pen)) return 0;
  return m.y1 > base + 0.1f * line && m.h() > 1.2f * m.w() ? ',' : '.';
}

// Two small marks that are the only ones in a gap make a colon ("12:30") when they stand one over
// the other: both dot_like, the upper one's middle in the upper 60 % of the digits' height, the
// lower one's in their lower half, a clear space between them. Otherwise the lower dot of a time
// would be read as a decimal point ("12.30").
bool colon(const Mark& a, const Mark& b, const Gap& gap, float pen) {
  const bool a_up = a.y0 + a.y1 < b.y0 + b.y1;
  const Mark &up = a_up ? a : b, &low = a_up ? b : a;
  const float base = gap.base, line = gap.line;
  if (!dot_like(up, line, pen) || !dot_like(low, line, pen)) return false;
  if ((up.y0 + up.y1) / 2 > base - 0.4f * line || up.y0 < base - 1.05f * line) return false;
  if ((low.y0 + low.y1) / 2 < base - 0.5f * line || low.y1 > base + 0.2f * line) return false;
  return low.y0 - up.y1 >= 0.15f * line;
}

struct Grouping {
  std::vector<std::vector<int>> digits;  // mark indices, one list per digit
  struct Separator {
    std::vector<int> marks;  // one mark ('.', ',' or '-'), or a colon's two
    char symbol = '.';
  };
  std::vector<Separator> separators;  // left to right
};

// The middle of marks[which...] along the writing line.
float middle(const std::vector<Mark>& marks, const std::vector<int>& which) {
  float x0 = INFINITY, x1 = -INFINITY;
  for (int i : which) x0 = std::min(x0, marks[i].x0), x1 = std::max(x1, marks[i].x1);
  return (x0 + x1) / 2;
}

// Grouping's state while it finds the digits and what stands between them: marks (with the slant
// taken out; `plain`: the same as written), the groups of big marks so far and their boxes, and
// which small marks are spoken for. Each step below takes its marks out of the groups.
class Grouper {
 public:
  Grouper(const std::vector<Mark>& marks, const std::vector<Mark>& plain, float height, float pen)
      : marks_(marks), plain_(plain), height_(height), pen_(pen), used_(marks.size()) {}

  // Groups the marks into digits; each group lists mark indices. Marks in no group and not a
  // separator are dropped. Groups are in no particular order yet (the caller sorts them once their
  // boxes are final); separators are final marks, so they come sorted along the line.
  Grouping run() {
    group_overlapping();
    colons();
    points_commas_and_hyphens();
    minus_sign();
    attach_small_marks();
    out_.digits = std::move(groups_);
    std::sort(out_.separators.begin(), out_.separators.end(),
              [&](const auto& l, const auto& r) { return middle(marks_, l.marks) < middle(marks_, r.marks); });
    return std::move(out_);
  }

 private:
  // Big marks that overlap along the line are one digit; small ones wait for the steps below.
  void group_overlapping() {
    const int n = static_cast<int>(marks_.size());
    std::vector<int> parent(n), big;
    std::iota(parent.begin(), parent.end(), 0);
    for (int i = 0; i < n; ++i) (tiny(marks_[i], height_) ? small_ : big).push_back(i);
    if (big.empty()) std::swap(big, small_);  // only small marks: they are all one (tiny) digit
    for (size_t a = 0; a < big.size(); ++a)
      for (size_t b = a + 1; b < big.size(); ++b) {
        // Each at least a tenth of a digit wide, so a straight vertical stem (width 0) inside
        // another mark overlaps it.
        const Mark p = widened(marks_[big[a]], 0.1f * height_), q = widened(marks_[big[b]], 0.1f * height_);
        const float overlap = std::min(p.x1, q.x1) - std::max(p.x0, q.x0);
        const float narrow = std::min(p.w(), q.w());
        if (overlap >= kOverlap * narrow) parent[find(parent, big[a])] = find(parent, big[b]);
      }
    std::vector<int> slot(n, -1);
    for (int i : big) {
      const int r = find(parent, i);
      if (slot[r] < 0) slot[r] = static_cast<int>(groups_.size()), groups_.emplace_back();
      groups_[slot[r]].push_back(i);
    }
    auto box_of = [](const std::vector<Mark>& frame, const std::vector<int>& group) {
      Mark b;
      for (int i : group)
        b.x0 = std::min(b.x0, frame[i].x0), b.x1 = std::max(b.x1, frame[i].x1), b.y0 = std::min(b.y0, frame[i].y0),
        b.y1 = std::max(b.y1, frame[i].y1);
      return b;
    };
    for (const auto& g : groups_)
      boxes_.upright.push_back(box_of(marks_, g)), boxes_.plain.push_back(box_of(plain_, g));
    // What stands between digits is found among the small marks and the groups of one mark that
    // are small beside the groups (a digit written in several strokes makes `height`, the marks',
    // read low: a comma after a two-stroke "4" can be bigger than 0.3 of it).
    digit_ = digit_height(boxes_.upright);
  }

  void drop_groups(std::vector<size_t> which) {  // erased from the back, so indices hold
    std::sort(which.rbegin(), which.rend());
    for (size_t g : which) {
      groups_.erase(groups_.begin() + static_cast<long>(g));
      boxes_.upright.erase(boxes_.upright.begin() + static_cast<long>(g));
      boxes_.plain.erase(boxes_.plain.begin() + static_cast<long>(g));
    }
  }

  // Colons: the small marks in gaps, by gap. A gap that holds exactly two may hold a colon; one
  // that holds one, one of its dots, the other over or under it but not clear of a neighbour's box
  // (a "2"'s base or a "7"'s bar reaching under or over it).
  void colons() {
    std::vector<size_t> small_groups;
    for (size_t g = 0; g < groups_.size(); ++g)
      if (groups_[g].size() == 1 && tiny(marks_[groups_[g][0]], digit_)) small_groups.push_back(g);
    std::vector<int> candidates;
    for (size_t g : small_groups) candidates.push_back(groups_[g][0]);
    candidates.insert(candidates.end(), small_.begin(), small_.end());
    std::vector<std::pair<size_t, int>> in_gaps;  // (gap's left digit, mark)
    std::vector<Gap> gap_of(marks_.size());
    for (int i : candidates)
      if (in_a_gap(i, marks_, plain_, boxes_, digit_, small_groups, gap_of[i])) in_gaps.push_back({gap_of[i].left, i});
    std::sort(in_gaps.begin(), in_gaps.end());
    auto over = [&](int other, int in) {  // roughly one over the other, as written or upright
      const float line = gap_of[in].line;
      auto mid = [](const Mark& m) { return (m.x0 + m.x1) / 2; };
      return std::abs(mid(marks_[other]) - mid(marks_[in])) <= 0.3f * line ||
             std::abs(mid(plain_[other]) - mid(plain_[in])) <= 0.3f * line;
    };
    std::vector<size_t> colon_groups;
    for (size_t k = 0; k < in_gaps.size();) {
      size_t end = k;
      while (end < in_gaps.size() && in_gaps[end].first == in_gaps[k].first) ++end;
      int a = in_gaps[k].second, b = -1;
      if (end - k == 2) {
        b = in_gaps[k + 1].second;
      } else if (end - k == 1) {
        for (int c : candidates)
          if (c != a && !used_[c] && (plain_[c].y1 < plain_[a].y0 || plain_[c].y0 > plain_[a].y1) && over(c, a) &&
              colon(plain_[c], plain_[a], gap_of[a], pen_))
            b = b == -1 ? c : -2;  // two such marks: no colon
      }
      k = end;
      if (b < 0 || !colon(plain_[a], plain_[b], gap_of[a], pen_)) continue;
      out_.separators.push_back({{a, b}, ':'});
      used_[a] = used_[b] = true;
      for (size_t g : small_groups)
        if (groups_[g][0] == a || groups_[g][0] == b) colon_groups.push_back(g);
    }
    drop_groups(colon_groups);
  }

  // Groups of one mark, small or flat, that stand between two digits as a point, a comma or a
  // hyphen (`separator`).
  void points_commas_and_hyphens() {
    for (size_t g = 0; g < groups_.size();) {
      const int i = groups_[g][0];
      const char symbol = groups_[g].size() == 1 && (tiny(marks_[i], digit_) || flat(plain_[i], digit_, pen_))
                              ? separator(i, marks_, plain_, boxes_, digit_, pen_, {g})
                              : 0;
      if (!symbol) {
        ++g;
        continue;
      }
      out_.separators.push_back({{i}, symbol});
      drop_groups({g});
    }
  }

  // A minus sign: a dash before the first digit ("-12"), not touching it and no further from it
  // than it is tall. Alone, the network reads it as a "1" ("-14" read "114").
  void minus_sign() {
    size_t first = SIZE_MAX;
    for (size_t g = 0; g < boxes_.plain.size(); ++g)
      if (boxes_.plain[g].h() >= 0.4f * digit_ && (first == SIZE_MAX || boxes_.plain[g].x0 < boxes_.plain[first].x0))
        first = g;
    if (first == SIZE_MAX) return;
    const Mark& f = boxes_.plain[first];
    // The first digit's line: its parts may still be apart (a "4"'s hook and stem).
    Gap gap;
    float top = f.y0;
    gap.base = f.y1;
    for (const Mark& b : boxes_.plain)
      if (b.h() >= 0.3f * digit_ && b.x0 < f.x0 + digit_)
        top = std::min(top, b.y0), gap.base = std::max(gap.base, b.y1);
    gap.line = std::max(gap.base - top, 0.5f * digit_);
    std::vector<std::pair<int, size_t>> minus;  // a mark, and its group (SIZE_MAX: a small mark)
    auto look = [&](int i, size_t own) {
      const Mark& m = plain_[i];
      if (own == first || !flat(m, digit_, pen_) || m.x1 > f.x0 || f.x0 - m.x1 > f.h()) return;
      for (size_t g = 0; g < boxes_.plain.size(); ++g)  // nothing but the sign before the first digit
        if (g != own && boxes_.plain[g].x0 < m.x1) return;
      if (dash(m, gap, pen_)) minus.push_back({i, own});
    };
    for (size_t g = 0; g < groups_.size(); ++g)
      if (groups_[g].size() == 1) look(groups_[g][0], g);
    for (int i : small_)
      if (!used_[i]) look(i, SIZE_MAX);
    if (minus.size() != 1) return;
    out_.separators.push_back({{minus[0].first}, '-'});
    used_[minus[0].first] = true;
    if (minus[0].second != SIZE_MAX) drop_groups({minus[0].second});
  }

  // The other small marks: a point, a comma or a hyphen between two digits, or else part of the
  // digit whose box is nearest, if it is within half a digit (dropped if none is).
  void attach_small_marks() {
    for (int i : small_) {
      if (used_[i]) continue;
      const Mark& m = marks_[i];
      if (const char symbol = separator(i, marks_, plain_, boxes_, digit_, pen_)) {
        out_.separators.push_back({{i}, symbol});
        continue;
      }
      float best = INFINITY;
      size_t at = 0;
      for (size_t g = 0; g < boxes_.upright.size(); ++g) {
        const Mark& b = boxes_.upright[g];
        const float dx = std::max({0.0f, b.x0 - m.x1, m.x0 - b.x1});
        const float dy = std::max({0.0f, b.y0 - m.y1, m.y0 - b.y1});
        const float d = std::hypot(dx, dy);
        if (d < best) best = d, at = g;
      }
      if (best <= 0.5f * height_) groups_[at].push_back(i);
    }
  }

  const std::vector<Mark>& marks_;
  const std::vector<Mark>& plain_;
  const float height_, pen_;
  float digit_ = 1;  // the digits' height, once the big marks are grouped
  std::vector<int> small_;
  std::vector<std::vector<int>> groups_;
  Frames boxes_;
  std::vector<bool> used_;  // small marks that are part of a separator already
  Grouping out_;
};

Grouping group_marks(const std::vector<Mark>& marks, const std::vector<Mark>& plain, float height, float pen) {
  return Grouper(marks, plain, height, pen).run();
}

// The box around the points of strokes[which...], in the strokes' own units.
Box stroke_box(const std::vector<Stroke>& strokes, const std::vector<int>& which) {
  float x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (int s : which)
    for (const Point& p : strokes[s])
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  return {x0, y0, x1 - x0, y1 - y0};
}

// ---------------------------------------------------------------------------------------------
// Strokes
// ---------------------------------------------------------------------------------------------

// The writing's slant, as x change per unit of y down, from its near-vertical pieces (length
// weighted): 0 for upright writing, < 0 for writing that leans right (italic), > 0 leaning back.
float stroke_slant(const std::vector<Stroke>& strokes) {
  double dx = 0, dy = 0;
  for (const Stroke& s : strokes)
    for (size_t i = 1; i < s.size(); ++i) {
      const double ex = s[i].x - s[i - 1].x, ey = s[i].y - s[i - 1].y;
      if (std::abs(ey) > 2 * std::abs(ex)) dx += ey > 0 ? ex : -ex, dy += std::abs(ey);
    }
  return dy > 0 ? static_cast<float>(std::clamp(dx / dy, -1.0, 1.0)) : 0.0f;
}

}  // namespace

namespace detail {

Error too_many_digits(std::size_t found, int limit) {
  return Error{"found " + std::to_string(found) + " separate digits, more than the limit of " + std::to_string(limit) +
               "; write at most " + std::to_string(limit)};
}

Result<Atoms> stroke_atoms(const std::vector<Stroke>& strokes, const PreprocessOptions& options,
                           const ReadOptions& read) {
  // The whole input first: it checks every limit, and it is the answer when there is one digit.
  auto whole = preprocess_strokes(strokes, options);
  if (!whole) return Error{whole.error()};
  Atoms out;
  out.whole = whole.value();
  if (whole.value().empty) return out;

  const float slant = stroke_slant(strokes);
  std::vector<Mark> marks, plain;  // with the slant taken out, and as written
  std::vector<int> stroke_of;      // mark -> stroke index (empty strokes make no mark)
  for (size_t s = 0; s < strokes.size(); ++s) {
    if (strokes[s].empty()) continue;
    Mark m, q;
    for (const Point& p : strokes[s]) {
      const float x = p.x - slant * p.y;
      m.x0 = std::min(m.x0, x), m.x1 = std::max(m.x1, x), m.y0 = std::min(m.y0, p.y), m.y1 = std::max(m.y1, p.y);
      q.x0 = std::min(q.x0, p.x), q.x1 = std::max(q.x1, p.x);
    }
    q.y0 = m.y0, q.y1 = m.y1;
    marks.push_back(m), plain.push_back(q);
    stroke_of.push_back(static_cast<int>(s));
  }
  if (marks.size() > static_cast<size_t>(kMaxMarks))
    return Error{"the drawing has " + std::to_string(marks.size()) + " strokes, more than the limit of " +
                 std::to_string(kMaxMarks)};
  out.height = digit_height(marks);
  auto grouping = group_marks(marks, plain, out.height, 0);
  auto& groups = grouping.digits;
  for (const auto& sep : grouping.separators) {
    std::vector<int> which;
    for (int i : sep.marks) which.push_back(stroke_of[i]);
    out.separators.push_back({sep.symbol, stroke_box(strokes, which), middle(marks, sep.marks)});
  }
  if (groups.size() > static_cast<size_t>(4 * read.max_digits)) return too_many_digits(groups.size(), read.max_digits);

  // Each group's strokes (writing order), box, and extent along the writing line.
  std::vector<Atoms::Atom> atoms;
  for (auto& g : groups) {
    Atoms::Atom a;
    std::sort(g.begin(), g.end());
    for (int i : g) {
      a.segment.strokes.push_back(stroke_of[i]);
      a.x0 = std::min(a.x0, marks[i].x0), a.x1 = std::max(a.x1, marks[i].x1);
    }
    // One stroke as wide as two digits: written joined up; it cannot be cut here, so say so.
    a.segment.touching = g.size() == 1 && a.x1 - a.x0 > 1.6f * out.height;
    atoms.push_back(std::move(a));
  }
  std::sort(atoms.begin(), atoms.end(),
            [](const Atoms::Atom& a, const Atoms::Atom& b) { return a.x0 + a.x1 < b.x0 + b.x1; });
  // Refers to `strokes`: the caller uses join while the input lives (segment_internal.h).
  auto make = [&strokes, options](const std::vector<int>& which, Segment& seg) -> Result<bool> {
    std::vector<Stroke> mine;
    for (int s : which) mine.push_back(strokes[s]);
    auto pre = preprocess_strokes(mine, options);
    if (!pre) return Error{pre.error()};
    seg.box = stroke_box(strokes, which);
    seg.image = pre.value().image;
    return !pre.value().empty;
  };
  if (atoms.size() == 1 && out.separators.empty()) {  // one digit: the whole input's picture (read_* answers with it)
    Atoms::Atom& a = atoms[0];
    a.segment.box = stroke_box(strokes, a.segment.strokes);
    a.segment.image = out.whole.image;
    out.atoms.push_back(std::move(a));
  } else {
    for (auto& a : atoms) {
      auto ok = make(a.segment.strokes, a.segment);
      if (!ok) return Error{ok.error()};
      if (ok.value()) out.atoms.push_back(std::move(a));  // else a dot on its own
    }
  }
  out.join = [make](const Atoms::Atom& a, const Atoms::Atom& b) -> Result<Atoms::Atom> {
    Atoms::Atom j;
    j.x0 = std::min(a.x0, b.x0), j.x1 = std::max(a.x1, b.x1);
    j.segment.strokes = a.segment.strokes;
    j.segment.strokes.insert(j.segment.strokes.end(), b.segment.strokes.begin(), b.segment.strokes.end());
    std::sort(j.segment.strokes.begin(), j.segment.strokes.end());
    auto ok = make(j.segment.strokes, j.segment);
    if (!ok) return Error{ok.error()};
    return j;
  };
  return out;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

namespace {

// A connected part of the ink (8-connected pixels above the ink threshold), in window coordinates.
struct Part {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  double m = 0, mx = 0, my = 0, mxy = 0, myy = 0;  // moments, for the slant
};

// A digit of an image: parts, each maybe only between two cut columns.
struct Piece {
  int part;
  int from = -(1 << 30), to = 1 << 30;  // window columns [from, to)
};

// A vertical run of ink pixels in one part: the part's label and the run's length.
struct Run {
  int part, length;
};

// The pen's width in a picture: the median vertical run of ink through the parts big enough to
// be (part of) a digit.
float pen_width(std::vector<Run> runs, const std::vector<Mark>& parts, float height) {
  runs.erase(std::remove_if(runs.begin(), runs.end(), [&](const Run& r) { return tiny(parts[r.part], height); }),
             runs.end());
  if (runs.empty()) return 0;
  auto mid = runs.begin() + runs.size() / 2;
  std::nth_element(runs.begin(), mid, runs.end(), [](const Run& a, const Run& b) { return a.length < b.length; });
  return float(mid->length);
}

}  // namespace

namespace detail {

Result<Atoms> image_atoms(const ImageView& image, const PreprocessOptions& options, const ReadOptions& read) {
  auto ink_r = detail::ink_plane(image, options);
  if (!ink_r) return Error{ink_r.error()};
  auto ink_p = std::make_shared<const detail::InkPlane>(std::move(ink_r.value()));
  const detail::InkPlane& ink = *ink_p;
  auto whole = detail::normalize(ink, options);
  if (!whole) return Error{whole.error()};
  Atoms result;
  result.whole = whole.value();
  if (whole.value().empty) return result;

  // Label the parts. Pixels fainter than the threshold (anti-aliased edges) then join a part
  // they touch, so a digit cut out of the picture keeps its soft edges.
  const detail::Plane& win = ink.win;
  const int W = win.w, H = win.h;
  auto label_p = std::make_shared<std::vector<int>>(static_cast<size_t>(W) * H, -1);
  std::vector<int>& label = *label_p;
  auto parts_p = std::make_shared<std::vector<Part>>();
  std::vector<Part>& parts = *parts_p;
  std::vector<int> stack;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      if (label[static_cast<size_t>(y) * W + x] >= 0 || win.at(x, y) <= kInkThreshold) continue;
      if (parts.size() >= static_cast<size_t>(kMaxParts))
        return Error{"the image has more than " + std::to_string(kMaxParts) +
                     " separate specks of ink: is it a photo or noise? Crop it to the number"};
      const int id = static_cast<int>(parts.size());
      parts.emplace_back();
      Part& p = parts.back();
      stack.assign(1, y * W + x);
      label[static_cast<size_t>(y) * W + x] = id;
      while (!stack.empty()) {
        const int at = stack.back();
        stack.pop_back();
        const int px = at % W, py = at / W;
        const double v = win.at(px, py);
        p.x0 = std::min(p.x0, px), p.x1 = std::max(p.x1, px), p.y0 = std::min(p.y0, py), p.y1 = std::max(p.y1, py);
        p.m += v, p.mx += v * px, p.my += v * py, p.mxy += v * px * py, p.myy += v * py * py;
        for (int ny = std::max(0, py - 1); ny <= std::min(H - 1, py + 1); ++ny)
          for (int nx = std::max(0, px - 1); nx <= std::min(W - 1, px + 1); ++nx) {
            int& l = label[static_cast<size_t>(ny) * W + nx];
            if (l < 0 && win.at(nx, ny) > kInkThreshold) l = id, stack.push_back(ny * W + nx);
          }
      }
    }
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      int& l = label[static_cast<size_t>(y) * W + x];
      if (l >= 0 || win.at(x, y) <= 0) continue;
      for (int ny = std::max(0, y - 1); ny <= std::min(H - 1, y + 1) && l < 0; ++ny)
        for (int nx = std::max(0, x - 1); nx <= std::min(W - 1, x + 1) && l < 0; ++nx) {
          const int n = label[static_cast<size_t>(ny) * W + nx];
          if (n >= 0 && win.at(nx, ny) > kInkThreshold) l = n;
        }
    }

  // Boxes of the parts, upright (the slant from their second moments) and as they are.
  std::vector<Mark> upright(parts.size()), plain(parts.size());
  for (size_t i = 0; i < parts.size(); ++i)
    plain[i] = {float(parts[i].x0), float(parts[i].x1 + 1), float(parts[i].y0), float(parts[i].y1 + 1)};
  const float height0 = digit_height(plain);
  double mu11 = 0, mu02 = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    if (tiny(plain[i], height0) || p.m <= 0) continue;
    mu11 += p.mxy - p.mx * p.my / p.m;
    mu02 += p.myy - p.my * p.my / p.m;
  }
  const float slant = mu02 > 0 ? static_cast<float>(std::clamp(mu11 / mu02, -1.0, 1.0)) : 0.0f;
  // The same pass collects the vertical runs of ink for the pen's width (two ink pixels one above
  // the other are always in one part).
  std::vector<Run> runs;
  std::vector<Run> open(static_cast<size_t>(W), Run{-1, 0});  // each column's run so far
  for (int y = 0; y <= H; ++y)
    for (int x = 0; x < W; ++x) {
      const int l = y < H ? label[static_cast<size_t>(y) * W + x] : -1;
      Run& run = open[static_cast<size_t>(x)];
      if (l >= 0 && win.at(x, y) > kInkThreshold)
        run.part = l, ++run.length;
      else if (run.length)
        runs.push_back(run), run.length = 0;
      if (l < 0) continue;
      Mark& m = upright[l];
      const float u = x - slant * y;
      m.x0 = std::min(m.x0, u), m.x1 = std::max(m.x1, u + 1);
      m.y0 = std::min(m.y0, float(y)), m.y1 = std::max(m.y1, float(y + 1));
    }
  size_t big = 0;
  for (const Mark& m : upright) big += !tiny(m, height0);
  if (big > static_cast<size_t>(kMaxMarks))
    return Error{"the image has " + std::to_string(big) + " separate marks of ink, more than the limit of " +
                 std::to_string(kMaxMarks) + ": crop it to the number"};
  const float height = digit_height(upright);
  const auto grouping = group_marks(upright, plain, height, pen_width(std::move(runs), upright, height));
  const auto& groups = grouping.digits;
  for (const auto& sep : grouping.separators) {
    int x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (int i : sep.marks) {
      const Part& p = parts[i];
      x0 = std::min(x0, p.x0), y0 = std::min(y0, p.y0), x1 = std::max(x1, p.x1), y1 = std::max(y1, p.y1);
    }
    const Box box{float(ink.x0 + x0), float(ink.y0 + y0), float(x1 + 1 - x0), float(y1 + 1 - y0)};
    result.separators.push_back({sep.symbol, box, middle(upright, sep.marks)});
  }

  // A group that is one part as wide as two digits is cut where the part's ink is thinnest: at
  // the column, in its middle half, crossed by the least ink, if that is no more than about one
  // stroke — 1.5 pens: a flat "0" is crossed by two strokes everywhere (at 2 pens, flat zeros
  // of a writer who makes them wider than tall were cut in two). Cuts repeat while a piece is too
  // wide. A narrower wide part is left whole, for reading to split if the network is unsure of it
  // (read_atoms): one wide digit — a "5" with a long flag, a "6", a "7" — is far more common than
  // two touching ones: cutting every part over 1.3 heights here gave 77 of 2 000 synthetic MNIST
  // numbers a digit too many (docs/reading-numbers.md).
  std::vector<std::vector<Piece>> digits;
  std::vector<bool> touching, may_split;
  for (const auto& g : groups) {
    std::vector<int> bigs;
    for (int i : g)
      if (!tiny(upright[i], height)) bigs.push_back(i);
    if (bigs.size() != 1 || upright[bigs[0]].w() <= kSuspect * height) {
      std::vector<Piece> d;
      for (int i : g) d.push_back({i});
      digits.push_back(d);
      touching.push_back(false);
      may_split.push_back(false);
      continue;
    }
    const Part& p = parts[bigs[0]];
    std::vector<int> column(p.x1 - p.x0 + 1, 0), runs;
    for (int x = p.x0; x <= p.x1; ++x) {
      int run = 0;
      for (int y = p.y0; y <= p.y1 + 1; ++y) {
        const bool in = y <= p.y1 && label[static_cast<size_t>(y) * W + x] == bigs[0] && win.at(x, y) > kInkThreshold;
        column[x - p.x0] += in;
        if (in)
          ++run;
        else if (run)
          runs.push_back(run), run = 0;
      }
    }
    std::nth_element(runs.begin(), runs.begin() + runs.size() / 2, runs.end());
    const float pen = runs.empty() ? 1.0f : float(runs[runs.size() / 2]);
    std::vector<std::pair<int, int>> spans{{p.x0, p.x1 + 1}}, done;
    while (!spans.empty() && spans.size() + done.size() <= static_cast<size_t>(read.max_digits)) {
      auto [a, b] = spans.back();
      spans.pop_back();
      int cut = -1;
      if (b - a > kWide * height) {
        int best = 1 << 30;
        for (int x = a + (b - a) / 4; x < b - (b - a) / 4; ++x)
          if (column[x - p.x0] < best) best = column[x - p.x0], cut = x;
        if (best > 1.5f * pen) cut = -1;
      }
      if (cut < 0)
        done.push_back({a, b});
      else
        spans.push_back({cut, b}), spans.push_back({a, cut});
    }
    done.insert(done.end(), spans.begin(), spans.end());
    std::sort(done.begin(), done.end());
    for (size_t k = 0; k < done.size(); ++k) {
      std::vector<Piece> d{{bigs[0], done[k].first, done[k].second}};
      if (k == 0)  // the small marks go with the first piece; the grouping put them near the part
        for (int i : g)
          if (i != bigs[0]) d.push_back({i});
      digits.push_back(d);
      // Cut, or too wide and no place to cut it: either way the answer may be wrong.
      touching.push_back(done.size() > 1 || done[k].second - done[k].first > kSuspect * height);
      may_split.push_back(done.size() == 1);
    }
  }
  if (digits.size() > static_cast<size_t>(4 * read.max_digits)) return too_many_digits(digits.size(), read.max_digits);
  result.height = height;

  // A digit's own pixels, in a window of the same picture, so it is normalised as if it had
  // been drawn alone (the same size rules as for a whole picture).
  // `alone`: the picture has only this digit, so its 28x28 is the whole picture's (not redone).
  auto make = [ink_p, label_p, parts_p, options, whole_image = whole.value().image](
                  const std::vector<Piece>& pieces, Segment& seg, bool alone) -> Result<bool> {
    const detail::InkPlane& ink = *ink_p;
    const std::vector<int>& label = *label_p;
    const std::vector<Part>& parts = *parts_p;
    const detail::Plane& win = ink.win;
    const int W = win.w, H = win.h;
    int x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (const Piece& pc : pieces) {
      const Part& p = parts[pc.part];
      x0 = std::min(x0, std::max(p.x0, pc.from)), x1 = std::max(x1, std::min(p.x1, pc.to - 1));
      y0 = std::min(y0, p.y0), y1 = std::max(y1, p.y1);
    }
    x0 = std::max(0, x0 - 1), y0 = std::max(0, y0 - 1), x1 = std::min(W - 1, x1 + 1), y1 = std::min(H - 1, y1 + 1);
    detail::InkPlane mine;
    mine.w = ink.w, mine.h = ink.h, mine.x0 = ink.x0 + x0, mine.y0 = ink.y0 + y0;
    mine.win = detail::Plane(x1 - x0 + 1, y1 - y0 + 1);
    float bx0 = INFINITY, by0 = INFINITY, bx1 = -INFINITY, by1 = -INFINITY;
    for (const Piece& pc : pieces)
      for (int y = y0; y <= y1; ++y)
        for (int x = std::max(x0, pc.from); x <= std::min(x1, pc.to - 1); ++x)
          if (label[static_cast<size_t>(y) * W + x] == pc.part) {
            mine.win.at(x - x0, y - y0) = win.at(x, y);
            bx0 = std::min(bx0, float(x)), bx1 = std::max(bx1, float(x + 1));
            by0 = std::min(by0, float(y)), by1 = std::max(by1, float(y + 1));
          }
    seg.box = {ink.x0 + bx0, ink.y0 + by0, bx1 - bx0, by1 - by0};
    if (alone) {
      seg.image = whole_image;
      return true;
    }
    auto pre = detail::normalize(mine, options);
    if (!pre) return Error{pre.error()};
    seg.image = pre.value().image;
    return !pre.value().empty;
  };
  auto pieces_p = std::make_shared<std::vector<std::vector<Piece>>>();  // per atom, by Segment::strokes[0]
  std::vector<Atoms::Atom> atoms;
  for (size_t d = 0; d < digits.size(); ++d) {
    Atoms::Atom a;
    a.segment.touching = touching[d];
    a.may_split = may_split[d];
    for (const Piece& pc : digits[d]) {
      const Mark& m = upright[pc.part];
      const float cut_lo = pc.from > -(1 << 29) ? pc.from - slant * m.y1 : m.x0;
      const float cut_hi = pc.to < (1 << 29) ? pc.to - slant * m.y0 : m.x1;
      a.x0 = std::min(a.x0, std::max(m.x0, cut_lo)), a.x1 = std::max(a.x1, std::min(m.x1, cut_hi));
    }
    auto ok = make(digits[d], a.segment, digits.size() == 1 && result.separators.empty());
    if (!ok) return Error{ok.error()};
    if (!ok.value()) continue;  // a speck on its own
    pieces_p->push_back(digits[d]);
    a.pieces = static_cast<int>(pieces_p->size()) - 1;
    atoms.push_back(std::move(a));
  }
  std::sort(atoms.begin(), atoms.end(),
            [](const Atoms::Atom& a, const Atoms::Atom& b) { return a.x0 + a.x1 < b.x0 + b.x1; });
  result.atoms = std::move(atoms);
  result.join = [make, pieces_p](const Atoms::Atom& a, const Atoms::Atom& b) -> Result<Atoms::Atom> {
    std::vector<Piece> both = (*pieces_p)[a.pieces];
    both.insert(both.end(), (*pieces_p)[b.pieces].begin(), (*pieces_p)[b.pieces].end());
    Atoms::Atom j;
    j.x0 = std::min(a.x0, b.x0), j.x1 = std::max(a.x1, b.x1);
    auto ok = make(both, j.segment, false);
    if (!ok) return Error{ok.error()};
    pieces_p->push_back(both);
    j.pieces = static_cast<int>(pieces_p->size()) - 1;
    return j;
  };
  result.split = [make, pieces_p, parts_p, label_p,
                  ink_p](const Atoms::Atom& a) -> Result<std::vector<std::pair<Atoms::Atom, Atoms::Atom>>> {
    std::vector<std::pair<Atoms::Atom, Atoms::Atom>> out;
    const std::vector<Piece> mine = (*pieces_p)[a.pieces];  // a copy: pieces_p grows below
    const Piece big = mine[0];                              // the wide part (small marks follow it)
    const Part& p = (*parts_p)[big.part];
    const int lo = std::max(p.x0, big.from), hi = std::min(p.x1 + 1, big.to), W = ink_p->win.w;
    if (hi - lo < 8) return out;
    std::vector<std::pair<int, int>> columns;  // (ink, x) across the middle half, least ink first
    for (int x = lo + (hi - lo) / 4; x < hi - (hi - lo) / 4; ++x) {
      int n = 0;
      for (int y = p.y0; y <= p.y1; ++y) n += (*label_p)[static_cast<size_t>(y) * W + x] == big.part;
      columns.push_back({n, x});
    }
    std::stable_sort(columns.begin(), columns.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
    std::vector<int> cuts;
    for (const auto& [n, x] : columns) {
      if (cuts.size() == static_cast<size_t>(Atoms::kSplitCuts)) break;
      if (std::all_of(cuts.begin(), cuts.end(), [x = x](int c) { return std::abs(c - x) >= 3; })) cuts.push_back(x);
    }
    // One side of a cut, columns [from, to) of the wide part; false when it has no ink.
    auto half = [&](int from, int to, Atoms::Atom& h) -> Result<bool> {
      std::vector<Piece> pieces{{big.part, from, to}};
      if (from == lo) pieces.insert(pieces.end(), mine.begin() + 1, mine.end());
      h.segment.touching = true;
      const float share0 = float(from - lo) / float(hi - lo), share1 = float(to - lo) / float(hi - lo);
      h.x0 = a.x0 + (a.x1 - a.x0) * share0, h.x1 = a.x0 + (a.x1 - a.x0) * share1;
      auto ok = make(pieces, h.segment, false);
      if (!ok || !ok.value()) return ok;
      pieces_p->push_back(pieces);
      h.pieces = static_cast<int>(pieces_p->size()) - 1;
      return true;
    };
    for (int cut : cuts) {
      Atoms::Atom l, r;
      auto lok = half(lo, cut, l);
      if (!lok) return Error{lok.error()};
      auto rok = lok.value() ? half(cut, hi, r) : Result<bool>{false};
      if (!rok) return Error{rok.error()};
      if (rok.value()) out.push_back({std::move(l), std::move(r)});
    }
    return out;
  };
  return result;
}

}  // namespace detail

}  // namespace digits
