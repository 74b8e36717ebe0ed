// Grouping (grouping.h): marks into digits, and what stands between the digits. Marks that
// overlap along the line are one digit (a "4" in two strokes, a "7" and its bar, a "5" and its
// flag, however late they were written); marks too small to be a digit (a dot, a tick) join the
// nearest digit, or are dropped when far from all of them — unless one sits low in the gap between
// two digits, clear of both: a decimal point or a comma ("12.50", "1,000"); or two stand one over
// the other in a gap: a colon ("12:30"); or a flat one is at mid-height in a gap: a hyphen
// ("2026-12-05"), or before the first digit: a minus sign ("-14"); a point low before the first
// digit is a decimal point (".75").
#include "grouping.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <utility>

namespace digits {
namespace detail {

namespace {

constexpr float kTiny = 0.3f;     // a mark smaller than this x the digit height is not a digit
constexpr float kOverlap = 0.4f;  // marks overlapping this much of the narrower one are one digit

}  // namespace

void Mark::add_ink(float x, float y) {
  // Written so that huge, infinite or NaN coordinates (the box's height overflowing) land in a
  // band: a float outside int's range must not be cast.
  const float t = h() > 0 ? (y - y0) / h() : 0;
  const int b = !(t > 0) ? 0 : t >= 1 ? kBands - 1 : static_cast<int>(t * kBands);
  ink_x0[b] = std::min(ink_x0[b], x), ink_x1[b] = std::max(ink_x1[b], x);
}

std::pair<float, float> Mark::ink_between(float ya, float yb) const {
  std::pair<float, float> e{INFINITY, -INFINITY};
  const float step = h() / kBands;
  for (int b = 0; b < kBands; ++b) {
    const float top = y0 + b * step, bottom = y0 + (b + 1) * step;
    if (bottom < ya || top > yb || ink_x0[b] > ink_x1[b]) continue;
    e.first = std::min(e.first, ink_x0[b]), e.second = std::max(e.second, ink_x1[b]);
  }
  return e;
}

void add_segment_ink(Mark& m, float ax, float ay, float bx, float by) {
  const float step = m.h() > 0 ? m.h() / (2 * Mark::kBands) : 1, steps = std::abs(by - ay) / step;
  // NaN or too many steps: the cap.
  const int n = 1 + (steps < 4.0f * Mark::kBands ? static_cast<int>(steps) : 4 * Mark::kBands);
  for (int k = 0; k <= n; ++k) {
    const float t = static_cast<float>(k) / n;
    m.add_ink(ax + t * (bx - ax), ay + t * (by - ay));
  }
}

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

bool tiny(const Mark& m, float height) { return std::max(m.w(), m.h()) < kTiny * height; }

Mark bounds(const std::vector<Mark>& marks, const std::vector<int>& which) {
  Mark b;
  for (int i : which)
    b.x0 = std::min(b.x0, marks[i].x0), b.x1 = std::max(b.x1, marks[i].x1), b.y0 = std::min(b.y0, marks[i].y0),
    b.y1 = std::max(b.y1, marks[i].y1);
  return b;
}

float middle(const std::vector<Mark>& marks, const std::vector<int>& which) {
  const Mark b = bounds(marks, which);
  return (b.x0 + b.x1) / 2;
}

namespace {

Mark widened(Mark m, float min_width) {
  if (m.w() < min_width) {
    const float c = (m.x0 + m.x1) / 2;
    m.x0 = c - min_width / 2, m.x1 = c + min_width / 2;
  }
  return m;
}

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
  size_t left = SIZE_MAX, right = SIZE_MAX;  // the neighbouring groups
  float base = 0, line = 0;
};

// The digits as gap finding sees them, in one frame (with the slant taken out, or as written):
// the marks, the groups of big marks so far, and the groups' boxes.
struct Frame {
  const std::vector<Mark>& marks;
  const std::vector<std::vector<int>>& groups;
  const std::vector<Mark>& boxes;
};

// Whether a mark stands in the gap between two digits (`own`, sorted, are groups that are small
// marks themselves and do not close a gap, the mark's own among them), clear of both boxes by
// `clear` of their height, or of the ink by `clear_tucked` (a mark tucked into a digit's box;
// `pen`, a picture's pen width, less).
// What counts is the digits' ink at about the mark's height, not their boxes: a point under a
// "7"'s bar, or under the overhang of a slanted digit, is in the gap ("3.7"); a mark within a
// digit's ink at its height (in a "0"), or over or under a digit with no ink near it, is not.
bool in_gap(const Mark& m, const Frame& f, float height, const std::vector<size_t>& own, Gap& gap, float clear,
            float clear_tucked, float pen = 0) {
  const float cx = (m.x0 + m.x1) / 2, pad = 0.15f * height;
  size_t left = SIZE_MAX, right = SIZE_MAX;
  float lx = -INFINITY, rx = INFINITY;  // the neighbours' ink edges next to the mark
  for (size_t k = 0; k < f.boxes.size(); ++k) {
    if (std::binary_search(own.begin(), own.end(), k)) continue;
    const Mark& b = f.boxes[k];
    std::pair<float, float> ink{INFINITY, -INFINITY};
    const float ya = m.y0 - pad, yb = m.y1 + pad;
    if (b.y1 >= ya && b.y0 <= yb)  // the group's box reaches the mark's height
      for (int i : f.groups[k]) {
        const Mark& part = f.marks[i];
        if (part.y1 < ya || part.y0 > yb) continue;  // no ink of this mark there: skip its bands
        const auto e = part.ink_between(ya, yb);
        ink.first = std::min(ink.first, e.first), ink.second = std::max(ink.second, e.second);
      }
    if (ink.first > ink.second) {  // no ink at the mark's height: over or under the digit, or beside it
      if (b.x0 < m.x1 && b.x1 > m.x0) return false;
      ink = {b.x0, b.x1};
    }
    if (ink.first < m.x1 && ink.second > m.x0) return false;
    if (b.h() < 0.6f * height) continue;  // a "4"'s bar or hook, grouped with its stem later
    if (ink.second <= cx && ink.second > lx) lx = ink.second, left = k;
    if (ink.first >= cx && ink.first < rx) rx = ink.first, right = k;
  }
  if (left == SIZE_MAX || right == SIZE_MAX) return false;
  const Mark &l = f.boxes[left], &r = f.boxes[right];
  gap.left = left, gap.right = right;
  gap.base = (l.y1 + r.y1) / 2;
  gap.line = std::max(gap.base - (l.y0 + r.y0) / 2, 0.5f * height);
  // Clear of each neighbour's box, or of its ink by more where the mark is tucked into its box.
  // In a picture, less the pen's width: the ink's edges, not the strokes' middles, are a pen
  // apart (PNG numbers with a comma 75.9 -> 82.8 % read, with a point 82.6 -> 85.2 %).
  const float tucked = std::max(clear * gap.line, clear_tucked * gap.line - pen);
  return (m.x0 >= l.x1 + clear * gap.line || m.x0 >= lx + tucked) &&
         (m.x1 <= r.x0 - clear * gap.line || m.x1 <= rx - tucked);
}

// in_gap, looked for with the slant taken out (`upright`) and as written (`plain`): a dot at the
// foot of an upright "7" lies under the 7's bar once an italic neighbour's slant is taken out.
// A dot must stand clear of its neighbours' boxes by 0.03 of a line (specks and the broken-off
// ends of strokes lie at their digit's edge), or of their ink by 0.1 of one: a pen-down tick at a
// "1"'s foot, or the small lower loop of an "8" written as two, lies close under its digit.
bool in_a_gap(size_t i, const Frame& upright, const Frame& plain, float height, const std::vector<size_t>& own,
              Gap& gap, float pen) {
  return in_gap(upright.marks[i], upright, height, own, gap, 0.03f, 0.1f, pen) ||
         in_gap(plain.marks[i], plain, height, own, gap, 0.03f, 0.1f, pen);
}

// Whether a mark is, both ways, at least 0.7 of the pen's thickness (`pen`; 0 for strokes): in a
// picture, thinner is a speck of noise or the broken-off end of a stroke.
bool pen_thick(const Mark& m, float pen) { return std::min(m.w(), m.h()) >= 0.7f * pen; }

// Whether a mark is round enough and, in a picture, about as thick as the pen (`pen`; 0 for
// strokes) to be a point: not flat (a "1"'s foot, a "2"'s base written apart), not a speck of
// noise or the broken-off end of a stroke in a scanned digit (thinner than its strokes).
bool dot_like(const Mark& m, float line, float pen) {
  return m.w() <= 1.5f * m.h() + 0.04f * line && pen_thick(m, pen);
}

// Whether a mark is flat (a quarter of its width tall at most, beside the pen's thickness) and no
// longer than 0.9 of a digit is tall: it may be a dash (`dash` decides once its gap is known).
bool flat(const Mark& m, float height, float pen) { return m.h() <= 0.25f * m.w() + pen && m.w() <= 0.9f * height; }

// What a dash needs of the pen alone, before its gap is known: `pens` pens long, 0.7 of one thick.
bool pen_sized_dash(const Mark& m, float pen, float pens = 3) { return m.w() >= pens * pen && m.h() >= 0.7f * pen; }

// Whether a mark in a gap is a dash: flat, at least 0.08 of the digits' height long (`pens` pens
// in a picture: a broken-off bit of a stroke is shorter), its middle between 0.2 and 0.75 of their
// height above the baseline (a "1"'s flag written apart sits higher, and is steeper) and, in a
// picture, at least about as thick as the pen. Between two digits it is a hyphen ("2026-12-05",
// "555-1234"), which the network alone reads as a "1" ("14-07" read "14107").
bool dash(const Mark& m, const Gap& gap, float pen, float pens = 3) {
  const float line = gap.line, middle = (m.y0 + m.y1) / 2;
  return pen_sized_dash(m, pen, pens) && m.w() >= 0.08f * line && flat(m, line, pen) &&
         middle >= gap.base - 0.75f * line && middle <= gap.base - 0.2f * line;
}

// A small mark low in the gap between two digits is a decimal point or a comma ("12.50",
// "1,000"), not a bit of either digit: '.', or ',' when it is taller than wide and reaches below
// the digits' baseline or is over a tenth of a line long (a short comma that ends on the
// baseline: 86 -> 92 % of synthetic commas read); 0 when it is no separator. The mark must stand
// clear of both digits (specks and the broken-off ends of strokes in scanned digits lie at their
// digit's edge), its top in their lowest third, and be dot_like.
char separator(size_t i, const Frame& upright, const Frame& plain, float height, float pen,
               const std::vector<size_t>& own = {}) {
  Gap gap;
  const Mark& m = plain.marks[i];
  // A hyphen may reach nearly from one digit to the other (a dot may not: specks lie at the edge),
  // but not touch either as written: the bar of a "4" written in three strokes, "|", "-", "|",
  // touches both as written, and may seem not to once the slant is taken out. Nor may the left
  // neighbour float above the right one's line, as the hook of such a "4" does when its bar
  // touches neither ("1-1"). (The right one may: it is the hook of a "4" after a hyphen.)
  // (What `dash` and `dot_like` ask of the pen alone is asked first: the gap search costs the
  // groups times their ink, for each of what may be thousands of specks.)
  if (flat(m, height, pen) && pen_sized_dash(m, pen) && in_gap(m, plain, height, own, gap, 0, 0) && dash(m, gap, pen) &&
      !floats(plain.boxes[gap.left].y1, plain.boxes[gap.right].y0, plain.boxes[gap.right].h()))
    return '-';
  if (!pen_thick(m, pen) || !in_a_gap(i, upright, plain, height, own, gap, pen)) return 0;
  const float base = gap.base, line = gap.line;
  if (m.y0 < base - line / 3 || m.y1 > base + 0.4f * line || !dot_like(m, line, pen)) return 0;
  return m.h() > 1.2f * m.w() && (m.y1 > base + 0.1f * line || m.h() >= 0.12f * line) ? ',' : '.';
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

// Grouping's state while it finds the digits and what stands between them: marks (with the slant
// taken out; `plain`: the same as written), the groups of big marks so far and their boxes, and
// which small marks are spoken for. Each step below takes its marks out of the groups.
class Grouper {
 public:
  Grouper(const std::vector<Mark>& marks, const std::vector<Mark>& plain, float height, float pen)
      : marks_(marks), plain_(plain), height_(height), pen_(pen), used_(marks.size()) {}

  // Groups the marks into digits; each group lists mark indices. Marks in no group and not a
  // separator are dropped. Groups are in no particular order yet (the caller sorts them once their
  // boxes are final); separators are final marks, so they come sorted along the line. Over
  // `max_groups` groups of overlapping marks, no separators are looked for: the caller refuses so
  // many digits, and the search costs groups x small marks (a picture of 1 000 columns of bars and
  // 60 000 specks took 55 s to be refused).
  Grouping run(size_t max_groups) {
    group_overlapping();
    if (groups_.size() > max_groups) {
      out_.digits = std::move(groups_);
      return std::move(out_);
    }
    colons();
    points_commas_and_hyphens();
    sign_or_leading_point();
    rejoin_apart_dashes();
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
        if (overlap < kOverlap * narrow) continue;
        if (const int f = apart_dash(big[a], big[b]); f >= 0) {
          apart_.push_back({f, f == big[a] ? big[b] : big[a]});
          continue;
        }
        parent[find(parent, big[a])] = find(parent, big[b]);
      }
    std::vector<int> slot(n, -1);
    for (int i : big) {
      const int r = find(parent, i);
      if (slot[r] < 0) slot[r] = static_cast<int>(groups_.size()), groups_.emplace_back();
      groups_[slot[r]].push_back(i);
    }
    for (const auto& g : groups_)
      boxes_.upright.push_back(bounds(marks_, g)), boxes_.plain.push_back(bounds(plain_, g));
    // What stands between digits is found among the small marks and the groups of one mark that
    // are small beside the groups (a digit written in several strokes makes `height`, the marks',
    // read low: a comma after a two-stroke "4" can be bigger than 0.3 of it).
    digit_ = digit_height(boxes_.upright);
  }

  // Of two overlapping big marks, the one that may be a hyphen or a minus sign beside the other:
  // flat, at mid-height on the other (its middle 0.2-0.75 of the other's height, or of a digit's,
  // above its foot; a "7"'s bar and a "5"'s flag are higher) and clear of the other's ink at its
  // height, as written (a hyphen under a "5"'s flag, a sign under a "7"'s bar: the boxes overlap,
  // the ink does not come near; a "7"'s crossbar or a "4"'s bar touches or crosses its stem); -1
  // if neither.
  int apart_dash(int a, int b) const {
    for (const auto& [f, o] : {std::pair{a, b}, std::pair{b, a}}) {
      const Mark &m = plain_[f], &other = plain_[o];
      // Its height at least a digit's: a "1"'s base written apart is flat too, and a hyphen after
      // the 1 reaches over it.
      const float middle = (m.y0 + m.y1) / 2, tall = std::max(other.h(), height_);
      if (!flat(m, height_, pen_) || middle < other.y1 - 0.75f * tall || middle > other.y1 - 0.2f * tall) continue;
      const float pad = 0.15f * height_, clear = 0.02f * height_;
      const auto ink = other.ink_between(m.y0 - pad, m.y1 + pad);
      if (ink.first > ink.second || ink.second < m.x0 - clear || ink.first > m.x1 + clear) return f;
    }
    return -1;
  }

  // The dashes kept apart by apart_dash that are no separator rejoin the marks they overlap, as
  // group_overlapping would have had them.
  void rejoin_apart_dashes() {
    auto group_of = [&](int mark) {
      for (size_t g = 0; g < groups_.size(); ++g)
        if (std::find(groups_[g].begin(), groups_[g].end(), mark) != groups_[g].end()) return g;
      return SIZE_MAX;
    };
    for (const auto& [dash_mark, other] : apart_) {
      const size_t g = group_of(dash_mark), h = group_of(other);
      if (g == SIZE_MAX || h == SIZE_MAX || g == h) continue;  // a separator now, or joined already
      groups_[h].insert(groups_[h].end(), groups_[g].begin(), groups_[g].end());
      boxes_.upright[h] = bounds(marks_, groups_[h]), boxes_.plain[h] = bounds(plain_, groups_[h]);
      drop_groups({g});
    }
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
    // A speck thinner than the pen is no dot of a colon (`colon` asks both to be dot_like), and
    // does not count among a gap's marks: noise neither makes nor unmakes a colon (and the gap
    // search is not paid for thousands of specks).
    for (int i : candidates)
      if (pen_thick(plain_[i], pen_) && in_a_gap(i, upright(), plain(), digit_, small_groups, gap_of[i], pen_))
        in_gaps.push_back({gap_of[i].left, i});
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
                              ? separator(i, upright(), plain(), digit_, pen_, {g})
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
  // than it is tall. Alone, the network reads it as a "1" ("-14" read "114"). In a picture it may
  // be 2 pens long, not 3: nothing may stand before it, so a bit of a broken stroke seldom
  // qualifies, and a short sign drawn with a thick pen is common (PNG numbers with a sign 77 ->
  // 88 % read, no MNIST number moved).
  // Or a decimal point there (".75"): a dot low on the first digit's line, clear of its box by
  // 0.03 of a line (as a point between digits must be), no further from it than the digit is
  // tall, as written or with the slant taken out (a point at the foot of a digit leaning back lies
  // under its top as written). It used to join the digit, silently: ".75" read "75".
  void sign_or_leading_point() {
    const FirstDigit plain = first_digit(boxes_.plain), upright = first_digit(boxes_.upright);
    struct Found {
      int mark;
      size_t group;  // SIZE_MAX: a small mark
      char symbol;
    };
    std::vector<Found> found;
    auto point = [&](const Mark& m, const FirstDigit& f) {
      return tiny(m, digit_) && dot_like(m, f.gap.line, pen_) && f.box.x0 - m.x1 >= 0.03f * f.gap.line &&
             m.y0 >= f.gap.base - f.gap.line / 3 && m.y1 <= f.gap.base + 0.2f * f.gap.line;
    };
    auto look = [&](int i, size_t own) {
      const bool as_written = before(plain_[i], own, boxes_.plain, plain);
      if (as_written && flat(plain_[i], digit_, pen_) && dash(plain_[i], plain.gap, pen_, 2))
        found.push_back({i, own, '-'});
      else if ((as_written && point(plain_[i], plain)) ||
               (before(marks_[i], own, boxes_.upright, upright) && point(marks_[i], upright)))
        found.push_back({i, own, '.'});
    };
    for (size_t g = 0; g < groups_.size(); ++g)
      if (groups_[g].size() == 1) look(groups_[g][0], g);
    for (int i : small_)
      if (!used_[i]) look(i, SIZE_MAX);
    if (found.size() != 1) return;
    out_.separators.push_back({{found[0].mark}, found[0].symbol});
    used_[found[0].mark] = true;
    if (found[0].group != SIZE_MAX) drop_groups({found[0].group});
  }

  // The leftmost group at least 0.4 of a digit tall in one frame (the groups' boxes as written, or
  // with the slant taken out), and its line: its parts may still be apart (a "4"'s hook and stem).
  struct FirstDigit {
    size_t group = SIZE_MAX;
    Mark box;
    Gap gap;
  };
  FirstDigit first_digit(const std::vector<Mark>& boxes) const {
    FirstDigit f;
    for (size_t g = 0; g < boxes.size(); ++g)
      if (boxes[g].h() >= 0.4f * digit_ && (f.group == SIZE_MAX || boxes[g].x0 < boxes[f.group].x0)) f.group = g;
    if (f.group == SIZE_MAX) return f;
    f.box = boxes[f.group];
    float top = f.box.y0;
    f.gap.base = f.box.y1;
    for (const Mark& b : boxes)
      if (b.h() >= 0.3f * digit_ && b.x0 < f.box.x0 + digit_)
        top = std::min(top, b.y0), f.gap.base = std::max(f.gap.base, b.y1);
    f.gap.line = std::max(f.gap.base - top, 0.5f * digit_);
    return f;
  }

  // Whether mark `m` (group `own`, or SIZE_MAX) stands before the first digit `f`, not touching it
  // and no further from it than it is tall, with nothing else before it.
  static bool before(const Mark& m, size_t own, const std::vector<Mark>& boxes, const FirstDigit& f) {
    if (f.group == SIZE_MAX || own == f.group || m.x1 > f.box.x0 || f.box.x0 - m.x1 > f.box.h()) return false;
    for (size_t g = 0; g < boxes.size(); ++g)
      if (g != own && boxes[g].x0 < m.x1) return false;
    return true;
  }

  // The other small marks: a point, a comma or a hyphen between two digits, or else part of the
  // digit whose box is nearest, if it is within half a digit (dropped if none is).
  void attach_small_marks() {
    // Joined once all are placed: a separator is looked for among the digits' own ink, not ink
    // that marks before it in this loop joined (which made the answer depend on the marks' order,
    // and the search cost small marks squared: 40 s for a picture of 60 000 specks).
    std::vector<std::pair<size_t, int>> joins;
    for (int i : small_) {
      if (used_[i]) continue;
      const Mark& m = marks_[i];
      if (const char symbol = separator(i, upright(), plain(), digit_, pen_)) {
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
      if (best <= 0.5f * height_) joins.push_back({at, i});
    }
    for (const auto& [g, i] : joins) groups_[g].push_back(i);
  }

  Frame upright() const { return {marks_, groups_, boxes_.upright}; }
  Frame plain() const { return {plain_, groups_, boxes_.plain}; }

  const std::vector<Mark>& marks_;
  const std::vector<Mark>& plain_;
  const float height_, pen_;
  float digit_ = 1;  // the digits' height, once the big marks are grouped
  std::vector<int> small_;
  std::vector<std::pair<int, int>> apart_;  // (a dash, a mark it overlaps but stands clear of)
  std::vector<std::vector<int>> groups_;
  Frames boxes_;
  std::vector<bool> used_;  // small marks that are part of a separator already
  Grouping out_;
};

}  // namespace

Grouping group_marks(const std::vector<Mark>& marks, const std::vector<Mark>& plain, float height, float pen,
                     size_t max_groups) {
  return Grouper(marks, plain, height, pen).run(max_groups);
}

}  // namespace detail
}  // namespace digits
