// Segmentation of a number into digits (see digits.h: segment_strokes, segment_image).
//
// Both inputs become "marks" — a stroke, or a connected part of an image's ink — with a box
// measured along the writing line once its slant is taken out (a slanted "1" next to a "2"
// overlaps it in x, upright it does not); grouping.cpp makes digits of them, and finds what stands
// between the digits. An image part as wide as two digits is cut where its ink is thinnest.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>

#include "grouping.h"
#include "preprocess_internal.h"
#include "segment_internal.h"

namespace digits {

namespace {

using detail::Mark;

constexpr float kInkThreshold = 0.15f;  // as preprocessing's: what counts as ink
constexpr int kMaxParts = 1 << 16;      // connected parts of an image's ink (noise, photos)
constexpr int kMaxMarks = 2048;         // marks big enough to be (part of) a digit
constexpr float kWide = 2.0f;           // an image part wider than this x the height is cut where thin
constexpr float kSuspect = 1.0f;        // one wider than this may be two touching digits (flagged)

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
    const Stroke& st = strokes[s];
    for (size_t i = 0; i < st.size(); ++i) {
      const Point a = st[i], b = st[i + 1 < st.size() ? i + 1 : i];
      add_segment_ink(m, a.x - slant * a.y, a.y, b.x - slant * b.y, b.y);
      add_segment_ink(q, a.x, a.y, b.x, b.y);
    }
    marks.push_back(m), plain.push_back(q);
    stroke_of.push_back(static_cast<int>(s));
  }
  if (marks.size() > static_cast<size_t>(kMaxMarks))
    return Error{"the drawing has " + std::to_string(marks.size()) + " strokes, more than the limit of " +
                 std::to_string(kMaxMarks)};
  out.height = digit_height(marks);
  auto grouping = group_marks(marks, plain, out.height, 0, static_cast<size_t>(4 * read.max_digits));
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
  if (out.one_digit(atoms.size())) {  // the whole input's picture (read_* answers with it)
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
  // The upright boxes' heights first (faint pixels joined to a part count), as add_ink needs them.
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      if (const int l = label[static_cast<size_t>(y) * W + x]; l >= 0)
        upright[l].y0 = std::min(upright[l].y0, float(y)), upright[l].y1 = std::max(upright[l].y1, float(y + 1));
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
      m.add_ink(u, y + 0.5f), m.add_ink(u + 1, y + 0.5f);
      plain[l].add_ink(float(x), y + 0.5f), plain[l].add_ink(float(x + 1), y + 0.5f);
    }
  size_t big = 0;
  for (const Mark& m : upright) big += !tiny(m, height0);
  if (big > static_cast<size_t>(kMaxMarks))
    return Error{"the image has " + std::to_string(big) + " separate marks of ink, more than the limit of " +
                 std::to_string(kMaxMarks) + ": crop it to the number"};
  const float height = digit_height(upright);
  const auto grouping = group_marks(upright, plain, height, pen_width(std::move(runs), upright, height),
                                    static_cast<size_t>(4 * read.max_digits));
  const auto& groups = grouping.digits;
  for (const auto& sep : grouping.separators) {
    const Mark b = bounds(plain, sep.marks);  // the parts' pixels, as written
    result.separators.push_back(
        {sep.symbol, Box{ink.x0 + b.x0, ink.y0 + b.y0, b.w(), b.h()}, middle(upright, sep.marks)});
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
    auto uncut = [&] {
      std::vector<Piece> d;
      for (int i : g) d.push_back({i});
      digits.push_back(d);
      touching.push_back(false);
      may_split.push_back(false);
    };
    if (bigs.size() != 1 || upright[bigs[0]].w() <= kSuspect * height) {
      uncut();
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
    // A part no taller than two of its strokes are thick is one line, not digits in a row: a dash
    // alone (the writing's height is then its thickness) was cut into a dozen "digits" ("11616004116"
    // from an 80x6 dash). Whole, it reads as one digit flagged for its shape (model.cpp).
    if (p.y1 - p.y0 + 1 <= 2 * pen) {
      uncut();
      continue;
    }
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
    // Each piece's own part's box (a pixel wider: faint edge pixels joined the part after its box
    // was taken), not the digit's: a digit with thousands of specks attached scanned its whole box
    // per speck (120 such digits took 8-12 s).
    for (const Piece& pc : pieces) {
      const Part& p = parts[pc.part];
      for (int y = std::max(y0, p.y0 - 1); y <= std::min(y1, p.y1 + 1); ++y)
        for (int x = std::max({x0, pc.from, p.x0 - 1}); x <= std::min({x1, pc.to - 1, p.x1 + 1}); ++x)
          if (label[static_cast<size_t>(y) * W + x] == pc.part) {
            mine.win.at(x - x0, y - y0) = win.at(x, y);
            bx0 = std::min(bx0, float(x)), bx1 = std::max(bx1, float(x + 1));
            by0 = std::min(by0, float(y)), by1 = std::max(by1, float(y + 1));
          }
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
    auto ok = make(digits[d], a.segment, result.one_digit(digits.size()));
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
