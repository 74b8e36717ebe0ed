#include "numbers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "digits/png.h"

namespace numbers {

namespace {

using pen::Bounds;

float uniform(std::mt19937& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

// The space a writer sees between two digits at heights y +/- near: from the left digit's ink
// there to the right one's (a "2"'s base or a "7"'s bar moves a dot over); the boxes' edges where
// a digit has no ink at those heights.
std::pair<float, float> space_at(const std::vector<digits::Stroke>& left, const std::vector<digits::Stroke>& right,
                                 float y, float near) {
  // The x extent of the strokes' ink within the band, segments clipped to it.
  auto extent = [&](const std::vector<digits::Stroke>& strokes) {
    Bounds b;
    for (const auto& st : strokes)
      for (std::size_t i = 0; i < st.size(); ++i) {
        const digits::Point a = st[i], c = i + 1 < st.size() ? st[i + 1] : st[i];
        const float lo = std::max(std::min(a.y, c.y), y - near), hi = std::min(std::max(a.y, c.y), y + near);
        if (lo > hi) continue;
        for (float yy : {lo, hi}) {
          const float t = c.y == a.y ? 0.0f : (yy - a.y) / (c.y - a.y);
          b.add({a.x + t * (c.x - a.x), yy});
        }
      }
    return b;
  };
  const Bounds l = extent(left), r = extent(right);
  return {std::isfinite(l.x1) ? l.x1 : Bounds(left).x1, std::isfinite(r.x0) ? r.x0 : Bounds(right).x0};
}

// A dot as people make it: a tap (one point) or a tiny loop.
digits::Stroke dot(std::mt19937& rng, float x, float y) {
  if (rng() % 2) return {{x, y}};
  const float r = uniform(rng, 0.015f, 0.04f);
  return {{x, y}, {x + r, y + r / 2}, {x, y + r}, {x - r / 2, y + r / 3}};
}

// A short dash, nearly level: the hyphen and the minus sign.
digits::Stroke dash(std::mt19937& rng, float x0, float x1, float y) {
  const float tilt = uniform(rng, -0.08f, 0.08f);
  digits::Stroke d;
  for (int j = 0; j <= 4; ++j) {
    const float t = j / 4.0f;
    d.push_back({x0 + t * (x1 - x0), y + (t - 0.5f) * (x1 - x0) * tilt + uniform(rng, -0.01f, 0.01f)});
  }
  return d;
}

// The mark's strokes between digits `left` and `right` (or before `right`, the first digit, for a
// minus sign or a leading point). Heights are measured on the line the neighbours make: `bottom`
// is the lower baseline, `height` the line's.
std::vector<digits::Stroke> draw_mark(std::mt19937& rng, Mark mark, const std::vector<digits::Stroke>& left,
                                      const std::vector<digits::Stroke>& right) {
  Bounds line(right);
  if (!left.empty()) {
    const Bounds b(left);
    line.y0 = std::min(line.y0, b.y0), line.y1 = std::max(line.y1, b.y1);
  }
  const float height = line.y1 - line.y0, near = 0.2f * height;
  auto at = [&](float up) { return line.y1 - up * height; };  // `up` of the height above the baseline
  // The middle of the space at height y, give or take a tenth of it.
  auto middle = [&](float y) {
    const auto [l, r] = space_at(left, right, y, near);
    return (l + r) / 2 + uniform(rng, -0.1f, 0.1f) * (r - l);
  };
  switch (mark) {
    case Mark::kPoint: {
      const float y = at(uniform(rng, 0.0f, 0.1f));
      return {dot(rng, middle(y), y)};
    }
    case Mark::kComma: {
      const float y = at(uniform(rng, 0.0f, 0.08f)), x = middle(y), length = uniform(rng, 0.12f, 0.25f);
      return {
          {{x, y}, {x + 0.01f, y + 0.3f * length}, {x - 0.01f, y + 0.65f * length}, {x - 0.3f * length, y + length}}};
    }
    case Mark::kColon: {
      const float upper = at(uniform(rng, 0.55f, 0.8f)), lower = at(uniform(rng, 0.08f, 0.3f));
      const float x_upper = middle(upper);
      return {dot(rng, x_upper, upper), dot(rng, middle(lower), lower)};
    }
    case Mark::kHyphen: {
      const float y = at(uniform(rng, 0.35f, 0.6f));
      const auto [l, r] = space_at(left, right, y, near);
      const float length = uniform(rng, 0.4f, 0.7f) * (r - l), c = (l + r) / 2 + uniform(rng, -0.1f, 0.1f) * (r - l);
      return {dash(rng, c - length / 2, c + length / 2, y)};
    }
    case Mark::kMinus: {
      const float y = at(uniform(rng, 0.35f, 0.6f));
      // Before the number: clear of the first digit's box, not tucked under a 9's loop.
      const float length = uniform(rng, 0.2f, 0.5f), end = Bounds(right).x0 - uniform(rng, 0.1f, 0.5f);
      return {dash(rng, end - length, end, y)};
    }
    case Mark::kLeadingPoint: {
      // On the first digit's baseline, a little before it.
      const float y = at(uniform(rng, 0.0f, 0.1f));
      return {dot(rng, Bounds(right).x0 - uniform(rng, 0.1f, 0.4f) * height, y)};
    }
    case Mark::kNone:
      break;
  }
  return {};
}

constexpr char kMarkChars[] = {0, '.', ',', ':', '-', '-', '.'};

}  // namespace

StrokeNumber compose_strokes(const std::vector<pen::Sample>& samples, const std::vector<std::size_t>& pool,
                             std::mt19937& rng, const Style& style) {
  std::map<std::string, std::vector<std::size_t>> by_writer;
  for (std::size_t i : pool) by_writer[samples[i].writer].push_back(i);
  std::vector<const std::vector<std::size_t>*> writers;
  for (const auto& [w, idx] : by_writer)
    if (idx.size() >= 3) writers.push_back(&idx);
  StrokeNumber out;
  if (writers.empty()) return out;
  const auto& mine = *writers[std::uniform_int_distribution<std::size_t>(0, writers.size() - 1)(rng)];
  out.writer = samples[mine[0]].writer;
  const int n = std::uniform_int_distribution<int>(style.min_digits, style.max_digits)(rng);
  const float slant = uniform(rng, -style.max_slant, style.max_slant);
  // With marks: which, and after which digit (-1: before the first, a minus sign or a leading
  // point). Drawn only then, so that numbers without marks stay the numbers every figure was
  // measured on.
  int mark_after = -1;
  if (style.marks) {
    out.mark = static_cast<Mark>(std::uniform_int_distribution<int>(n >= 2 ? 1 : 5, 6)(rng));
    if (out.mark != Mark::kMinus && out.mark != Mark::kLeadingPoint)
      mark_after = std::uniform_int_distribution<int>(0, n - 2)(rng);
  }
  std::vector<std::vector<digits::Stroke>> ink(static_cast<std::size_t>(n));  // each digit's, as placed
  std::vector<std::size_t> written(static_cast<std::size_t>(n));              // strokes written after each
  std::vector<digits::Stroke> late;
  float cursor = 0;
  for (int d = 0; d < n; ++d) {
    const pen::Sample& s = samples[mine[std::uniform_int_distribution<std::size_t>(0, mine.size() - 1)(rng)]];
    const Bounds b(s.strokes);
    const float h = 1 + uniform(rng, -style.height_jitter, style.height_jitter);
    // By height, as people keep digits of a number one height; a digit far wider than tall (a
    // flat "7" or a dash-like "1" some writers make) by its width instead.
    const float k = h / std::max(b.y1 - b.y0, 0.25f * (b.x1 - b.x0));
    const float base = 1 + uniform(rng, -style.baseline_jitter, style.baseline_jitter);
    std::vector<digits::Stroke> placed;
    for (const auto& st : s.strokes) {
      digits::Stroke q;
      for (const auto& p : st) q.push_back({cursor + (p.x - b.x0) * k, base + (p.y - b.y1) * k});
      placed.push_back(std::move(q));
    }
    ink[static_cast<std::size_t>(d)] = placed;
    if (placed.size() > 1 && uniform(rng, 0, 1) < style.late_stroke_probability) {
      late.push_back(std::move(placed.back()));
      placed.pop_back();
    }
    out.strokes.insert(out.strokes.end(), placed.begin(), placed.end());
    written[static_cast<std::size_t>(d)] = out.strokes.size();
    out.text += static_cast<char>('0' + s.label);
    // A mark gets a gap of its own: people leave room for it.
    cursor +=
        (b.x1 - b.x0) * k + (d == mark_after ? uniform(rng, 0.3f, 0.7f) : uniform(rng, style.min_gap, style.max_gap));
  }
  out.strokes.insert(out.strokes.end(), late.begin(), late.end());
  if (out.mark != Mark::kNone) {
    const std::size_t next = static_cast<std::size_t>(mark_after + 1);
    const auto mark =
        draw_mark(rng, out.mark, mark_after >= 0 ? ink[next - 1] : std::vector<digits::Stroke>{}, ink[next]);
    // In writing order (after the digit before it; a minus sign first), or once the digits are done.
    const bool last = uniform(rng, 0, 1) < style.late_stroke_probability;
    const std::size_t at = last ? out.strokes.size() : mark_after >= 0 ? written[next - 1] : 0;
    out.strokes.insert(out.strokes.begin() + static_cast<std::ptrdiff_t>(at), mark.begin(), mark.end());
    out.text.insert(next, 1, kMarkChars[static_cast<int>(out.mark)]);
  }
  for (auto& st : out.strokes)
    for (auto& p : st) p.x += slant * (1 - p.y);  // lean: > 0 leans right
  return out;
}

ImageNumber compose_images(const digits::IdxImages& images, const std::vector<std::uint8_t>& labels,
                           const std::vector<int>& pool, std::mt19937& rng, const Style& style) {
  constexpr float kHeight = 20;  // MNIST's digits are 20 px tall
  const int n = std::uniform_int_distribution<int>(style.min_digits, style.max_digits)(rng);
  const float slant = uniform(rng, -style.max_slant, style.max_slant);
  struct Placed {
    int index;
    int bx0, by0, bx1, by1;  // the digit's ink in its 28x28
    float k, x, y;           // scale and the placed box's top-left corner
  };
  std::vector<Placed> placed;
  float cursor = 4 + kHeight * std::max(0.0f, -slant) * 1.3f;
  ImageNumber out;
  for (int d = 0; d < n; ++d) {
    const int i = pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)];
    const std::uint8_t* px = images.pixels.data() + static_cast<std::size_t>(i) * images.rows * images.cols;
    Placed p{i, images.cols, images.rows, -1, -1, 1, 0, 0};
    for (int y = 0; y < images.rows; ++y)
      for (int x = 0; x < images.cols; ++x)
        if (px[y * images.cols + x])
          p.bx0 = std::min(p.bx0, x), p.bx1 = std::max(p.bx1, x), p.by0 = std::min(p.by0, y),
          p.by1 = std::max(p.by1, y);
    if (p.bx1 < 0) continue;
    const int w = p.bx1 - p.bx0 + 1, h = p.by1 - p.by0 + 1;
    p.k = kHeight * (1 + uniform(rng, -style.height_jitter, style.height_jitter)) / std::max(h, 4);
    const float base = kHeight * (1.5f + uniform(rng, -style.baseline_jitter, style.baseline_jitter));
    p.x = cursor;
    p.y = base - h * p.k;
    placed.push_back(p);
    out.text += static_cast<char>('0' + labels[i]);
    const float gap = style.touch
                          ? -std::uniform_int_distribution<int>(1, 3)(rng)
                          : std::max(1.0f + std::abs(slant), kHeight * uniform(rng, style.min_gap, style.max_gap));
    cursor += w * p.k + gap;
  }
  out.width = static_cast<int>(std::ceil(cursor + 4 + kHeight * std::max(0.0f, slant) * 1.3f));
  out.height = static_cast<int>(kHeight * 2);
  out.pixels.assign(static_cast<std::size_t>(out.width) * out.height, 0);
  const float foot = kHeight * 1.5f;  // the shear leaves the baseline where it is
  for (const Placed& p : placed) {
    const std::uint8_t* px = images.pixels.data() + static_cast<std::size_t>(p.index) * images.rows * images.cols;
    auto src = [&](int x, int y) -> float {
      return x < 0 || y < 0 || x >= images.cols || y >= images.rows ? 0.0f : px[y * images.cols + x];
    };
    for (int y = 0; y < out.height; ++y)
      for (int x = 0; x < out.width; ++x) {
        // Inverse map: destination pixel centre -> source coordinates (bilinear).
        const float ux = (x + 0.5f - p.x - slant * (foot - (y + 0.5f))) / p.k + p.bx0 - 0.5f;
        const float uy = (y + 0.5f - p.y) / p.k + p.by0 - 0.5f;
        if (ux < p.bx0 - 1 || uy < p.by0 - 1 || ux > p.bx1 + 1 || uy > p.by1 + 1) continue;
        const int x0 = static_cast<int>(std::floor(ux)), y0 = static_cast<int>(std::floor(uy));
        const float fx = ux - x0, fy = uy - y0;
        const float v = (1 - fy) * ((1 - fx) * src(x0, y0) + fx * src(x0 + 1, y0)) +
                        fy * ((1 - fx) * src(x0, y0 + 1) + fx * src(x0 + 1, y0 + 1));
        std::uint8_t& o = out.pixels[static_cast<std::size_t>(y) * out.width + x];
        o = std::max(o, static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f))));
      }
  }
  return out;
}

}  // namespace numbers

namespace numbers {

Style ordinary_spacing() {
  Style s;
  s.max_digits = 6;
  s.min_gap = 0.2f;
  s.max_gap = 0.6f;
  return s;
}

Style well_apart() {
  Style s;
  s.max_digits = 6;
  s.min_gap = 1.0f;
  s.max_gap = 1.5f;
  s.height_jitter = s.baseline_jitter = s.max_slant = 0;
  s.late_stroke_probability = 0;
  return s;
}

Style touching_pairs() {
  Style s;
  s.min_digits = s.max_digits = 2;
  s.touch = true;
  return s;
}

Style spacing(const std::string& name) {
  if (name == "ordinary") return ordinary_spacing();
  if (name == "apart") return well_apart();
  if (name == "touching") return touching_pairs();
  return {};
}

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

void Score::add(const std::string& truth, const digits::Reading& r, Mark mark) {
  ++numbers;
  if (mark != Mark::kNone) {
    Tally& t = by_mark[kMarkNames[static_cast<int>(mark)]];
    ++t.numbers;
    t.exact += r.text == truth;
  }
  digits += static_cast<long>(truth.size());
  const int e = edit_distance(truth, r.text);
  digit_errors += e;
  exact += e == 0;
  if (e) {
    bool flagged = false;
    for (const auto& d : r.digits) flagged |= d.prediction.uncertain;
    ++(flagged ? flagged_wrong : unflagged_wrong);
    miscounted += static_cast<long>(r.digits.size()) !=
                  std::count_if(truth.begin(), truth.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (misses.size() < 40) misses.push_back(truth + "->" + r.text);
  }
}

namespace {
std::string percent(long part, long whole) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2f %%", whole ? 100.0 * double(part) / double(whole) : 0.0);
  return text;
}
}  // namespace

std::string summary(const Score& s) {
  char line[260];
  std::snprintf(line, sizeof line,
                "%ld numbers: %.2f %% read exactly, %.2f %% of %ld %s right; wrong numbers with an "
                "uncertain digit %ld, without %ld; %ld with another count of digits; %.3f ms per number\n",
                s.numbers, 100 * s.exact_rate(), 100 * s.digit_rate(), s.digits,
                s.by_mark.empty() ? "digits" : "characters (digits and marks)", s.flagged_wrong, s.unflagged_wrong,
                s.miscounted, s.numbers ? 1e3 * s.seconds / s.numbers : 0.0);
  std::string out = line;
  if (!s.by_mark.empty()) {
    out += "  with a mark, read exactly:";
    for (const auto& [name, t] : s.by_mark)
      out += " " + name + " " + percent(t.exact, t.numbers) + " of " + std::to_string(t.numbers) + ";";
    out.back() = '\n';
  }
  if (!s.misses.empty()) {
    out += "  misread:";
    for (const auto& m : s.misses) out += " " + m;
    out += "\n";
  }
  return out;
}

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

digits::Result<Score> score_strokes(digits::Model& model, const std::vector<pen::Sample>& samples,
                                    const std::vector<std::size_t>& pool, int count, unsigned seed, bool as_png,
                                    const Style& style) {
  std::mt19937 rng(seed);
  Score score;
  for (int k = 0; k < count; ++k) {
    const StrokeNumber n = compose_strokes(samples, pool, rng, style);
    if (n.text.empty()) return digits::Error{"score_strokes: no writer in the pool has 3 digits"};
    digits::Result<digits::Reading> r = digits::Error{""};
    if (as_png) {
      // A wide number on a square upload: the pen in proportion to the digits, not the canvas.
      pen::RenderStyle look;
      look.side = 400;
      look.extent = 0.9f;
      look.pen = 0.008f + 0.012f * static_cast<float>(k % 5) / 4;
      look.ink = static_cast<pen::Ink>(k % 3);
      auto png = pen::render_png(n.strokes, look);
      if (!png) return digits::Error{png.error()};
      auto img = digits::decode_png(png.value().data(), png.value().size());
      if (!img) return digits::Error{"score_strokes: decode_png of a rendered number: " + img.error()};
      const double t0 = now();
      r = model.read_image(img.value().view());
      score.seconds += now() - t0;
    } else {
      const double t0 = now();
      r = model.read_strokes(n.strokes);
      score.seconds += now() - t0;
    }
    if (!r) return digits::Error{"reading \"" + n.text + "\": " + r.error()};
    score.add(n.text, r.value(), n.mark);
  }
  return score;
}

Score score_images(digits::Model& model, const digits::IdxImages& images, const std::vector<std::uint8_t>& labels,
                   const std::vector<int>& pool, int count, unsigned seed, const Style& style) {
  std::mt19937 rng(seed);
  Score score;
  for (int k = 0; k < count; ++k) {
    const ImageNumber n = compose_images(images, labels, pool, rng, style);
    const double t0 = now();
    auto r = model.read_image(n.view());
    score.seconds += now() - t0;
    if (r)
      score.add(n.text, r.value());
    else
      score.add(n.text, digits::Reading{});
  }
  return score;
}

}  // namespace numbers
