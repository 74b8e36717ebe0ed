#include "pen_augment.h"

#include <algorithm>
#include <cmath>

namespace train {

namespace {

float length(const digits::Stroke& s) {
  float l = 0;
  for (std::size_t i = 1; i < s.size(); ++i) l += std::hypot(s[i].x - s[i - 1].x, s[i].y - s[i - 1].y);
  return l;
}

// Points every `step` along the stroke (by arc length), keeping both ends.
digits::Stroke resample(const digits::Stroke& s, float step) {
  if (s.size() < 2 || step <= 0) return s;
  digits::Stroke out{s[0]};
  float carry = 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const float dx = s[i].x - s[i - 1].x, dy = s[i].y - s[i - 1].y, d = std::hypot(dx, dy);
    float t = step - carry;
    while (t <= d) {
      out.push_back({s[i - 1].x + dx * t / d, s[i - 1].y + dy * t / d});
      t += step;
    }
    carry = d - (t - step);
  }
  if (out.back().x != s.back().x || out.back().y != s.back().y) out.push_back(s.back());
  return out;
}

// A straight stroke from a to b, one point every 2 % of the digit's size (the re-sampling step may
// change that later, as for real strokes).
digits::Stroke line(digits::Point a, digits::Point b) {
  const int n = std::max(2, static_cast<int>(std::hypot(b.x - a.x, b.y - a.y) / 0.02f) + 1);
  digits::Stroke s;
  for (int i = 0; i < n; ++i) {
    const float t = static_cast<float>(i) / static_cast<float>(n - 1);
    s.push_back({a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t});
  }
  return s;
}

// Writing styles that the training sources show too rarely (the held-out sources' errors were
// mostly flagged ones read as 7), added to digits in normalised coordinates (centre 0, longer side
// 1, y down): a "1" gets a flag — an up-stroke from low on the left, drawn in the same motion as
// the stem, 15-60 degrees below the horizontal, 15-55 % of the height long — and sometimes a base;
// a "0" a slash from bottom left to top right, drawn after it; a "7" a bar across the middle of its
// stem; an "8" its top loop left open on the left (held-out writers' 8s read as 3 so). Only plain
// shapes get one (a "1" narrower than a third of its height), so an added flag never doubles an
// existing one.
void add_style(std::vector<digits::Stroke>& s, int label, std::mt19937& rng) {
  std::uniform_real_distribution<float> p01(0, 1);
  float x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& st : s)
    for (const auto& p : st)
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  const float w = x1 - x0, h = y1 - y0;
  if (label == 1 && s.size() == 1 && w < h / 3) {
    digits::Stroke& stem = s[0];
    if (stem.front().y > stem.back().y) std::reverse(stem.begin(), stem.end());  // top first
    const float len = h * (0.15f + 0.4f * p01(rng)), ang = (15 + 45 * p01(rng)) * float(M_PI) / 180;
    const digits::Point top = stem.front();
    digits::Stroke flag = line({top.x - len * std::cos(ang), top.y + len * std::sin(ang)}, top);
    flag.insert(flag.end(), stem.begin() + 1, stem.end());
    stem = flag;
    if (p01(rng) < 0.3f) {
      const digits::Point bottom = stem.back();
      const float half = h * (0.12f + 0.15f * p01(rng));
      s.push_back(line({bottom.x - half, bottom.y}, {bottom.x + half, bottom.y}));
    }
  } else if (label == 0) {
    // Inset (or overshoot, when negative) along x, overshoot beyond the oval along y.
    const float in_x = -0.05f + 0.2f * p01(rng), out_y = 0.12f * p01(rng);
    s.push_back(line({x0 + w * in_x, y1 + h * out_y}, {x1 - w * in_x, y0 - h * out_y}));
  } else if (label == 8) {
    // The top loop left open on the left (the pen starts there and never closes it, so the
    // top reads like a "3"'s): the ink in a box at the loop's upper left is cut away.
    const float cx = x0 + w * (0.3f + 0.2f * p01(rng)), cy = y0 + h * (0.2f + 0.2f * p01(rng));
    std::vector<digits::Stroke> kept;
    for (const auto& st : s) {
      digits::Stroke piece;
      for (const auto& p : st) {
        if (p.x < cx && p.y < cy) {
          if (piece.size() >= 2) kept.push_back(piece);
          piece.clear();
        } else {
          piece.push_back(p);
        }
      }
      if (piece.size() >= 2) kept.push_back(piece);
    }
    if (!kept.empty()) s = std::move(kept);
  } else if (label == 7) {
    // The stem's x at the bar's height: the ink point nearest that height on the lower half.
    const float y = y0 + h * (0.5f + 0.15f * p01(rng));
    digits::Point at = s[0][0];
    for (const auto& st : s)
      for (const auto& p : st)
        if (std::abs(p.y - y) < std::abs(at.y - y)) at = p;
    const float half = std::max(w, 0.3f) * (0.15f + 0.15f * p01(rng));
    s.push_back(line({at.x - half, y}, {at.x + half, y + h * 0.04f * (p01(rng) - 0.5f)}));
  }
}

// A break in the ink: a piece of `gap` (in the digit's units) cut out of a stroke at a random
// place away from its ends, leaving two strokes — a loop left open at the top of an "8" or a "9",
// a pen that skipped. Strokes shorter than three gaps are left whole.
void cut_gap(std::vector<digits::Stroke>& s, float gap, std::mt19937& rng) {
  std::vector<float> lengths;
  for (const auto& st : s) lengths.push_back(length(st));
  std::discrete_distribution<std::size_t> pick(lengths.begin(), lengths.end());
  const std::size_t k = pick(rng);
  if (lengths[k] < 3 * gap) return;
  const float from = std::uniform_real_distribution<float>(gap, lengths[k] - 2 * gap)(rng), to = from + gap;
  digits::Stroke before, after;
  float at = 0;
  const digits::Stroke& st = s[k];
  for (std::size_t i = 0; i < st.size(); ++i) {
    if (i > 0) at += std::hypot(st[i].x - st[i - 1].x, st[i].y - st[i - 1].y);
    if (at <= from)
      before.push_back(st[i]);
    else if (at >= to)
      after.push_back(st[i]);
  }
  if (before.size() < 2 || after.size() < 2) return;
  s[k] = std::move(before);
  s.push_back(std::move(after));
}

}  // namespace

std::vector<digits::Stroke> augment_strokes(const std::vector<digits::Stroke>& in, int label, std::mt19937& rng,
                                            const PenAugmentOptions& o) {
  std::uniform_real_distribution<float> u(-1, 1), p01(0, 1);
  std::normal_distribution<float> n01(0, 1);
  std::vector<digits::Stroke> s = in;
  s.erase(std::remove_if(s.begin(), s.end(), [](const digits::Stroke& st) { return st.empty(); }), s.end());
  if (s.empty()) return s;

  float x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& st : s)
    for (const auto& p : st)
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  const float size = std::max({x1 - x0, y1 - y0, 1e-6f});
  const float cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  for (auto& st : s)
    for (auto& p : st) p = {(p.x - cx) / size, (p.y - cy) / size};
  if (p01(rng) < o.style_probability) add_style(s, label, rng);

  // A missing short stroke (never the only one, never most of the ink).
  if (s.size() > 1 && p01(rng) < o.drop_stroke_probability) {
    float total = 0;
    for (const auto& st : s) total += length(st);
    auto shortest =
        std::min_element(s.begin(), s.end(), [](const auto& a, const auto& b) { return length(a) < length(b); });
    if (length(*shortest) < 0.15f * total) s.erase(shortest);
  }

  // Off by default, and then no random number is drawn: the other augmentations see the stream
  // they saw before this option existed.
  if (o.gap_probability > 0 && p01(rng) < o.gap_probability) cut_gap(s, 0.1f + 0.12f * p01(rng), rng);

  // Geometry: slant, rotation, aspect — one affine map about the centre.
  const float slant = o.max_slant * u(rng);
  const float a = o.max_rotation_deg * float(M_PI) / 180 * u(rng);
  const float sx = 1 + o.max_aspect * u(rng);
  const float ca = std::cos(a), sa = std::sin(a);
  // Wobble: a smooth field (two random low-frequency sines per axis).
  const float fx = 2 + 3 * p01(rng), fy = 2 + 3 * p01(rng), px = 6.3f * p01(rng), py = 6.3f * p01(rng);
  const float wob = o.wobble * p01(rng);
  const float jit = o.jitter * p01(rng);
  for (auto& st : s)
    for (auto& p : st) {
      float x = p.x, y = p.y;
      x += wob * std::sin(fy * y + px);
      y += wob * std::sin(fx * x + py);
      x = (x + slant * y) * sx;
      const float rx = ca * x - sa * y, ry = sa * x + ca * y;
      p.x = rx + jit * n01(rng);
      p.y = ry + jit * n01(rng);
    }

  // Point density and speed: a fast mouse leaves few, far-apart points; a tablet many.
  if (p01(rng) < o.resample_probability) {
    const float step = std::exp(std::log(0.01f) + p01(rng) * (std::log(0.12f) - std::log(0.01f)));
    for (auto& st : s) st = resample(st, step);
  }

  // An extra short stroke: a tick of 2-6 % of the size near one end of a stroke.
  if (p01(rng) < o.extra_stroke_probability) {
    const auto& host = s[std::uniform_int_distribution<std::size_t>(0, s.size() - 1)(rng)];
    const digits::Point e = p01(rng) < 0.5f ? host.front() : host.back();
    const float ang = 6.2832f * p01(rng), len = 0.02f + 0.04f * p01(rng);
    const digits::Point start{e.x + 0.03f * u(rng), e.y + 0.03f * u(rng)};
    s.push_back({start, {start.x + len * std::cos(ang), start.y + len * std::sin(ang)}});
  }

  // Order and direction.
  if (p01(rng) < o.reorder_probability) {
    std::shuffle(s.begin(), s.end(), rng);
    for (auto& st : s)
      if (p01(rng) < 0.3f) std::reverse(st.begin(), st.end());
  }
  return s;
}

}  // namespace train
