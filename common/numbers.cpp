#include "numbers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "digits/png.h"

namespace numbers {

namespace {

struct Bounds {
  float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  void add(const digits::Point& p) {
    x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  }
};

float uniform(std::mt19937& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

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
  std::vector<digits::Stroke> late;
  float cursor = 0;
  for (int d = 0; d < n; ++d) {
    const pen::Sample& s = samples[mine[std::uniform_int_distribution<std::size_t>(0, mine.size() - 1)(rng)]];
    Bounds b;
    for (const auto& st : s.strokes)
      for (const auto& p : st) b.add(p);
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
    if (placed.size() > 1 && uniform(rng, 0, 1) < style.late_stroke_probability) {
      late.push_back(std::move(placed.back()));
      placed.pop_back();
    }
    out.strokes.insert(out.strokes.end(), placed.begin(), placed.end());
    out.text += static_cast<char>('0' + s.label);
    cursor += (b.x1 - b.x0) * k + uniform(rng, style.min_gap, style.max_gap);
  }
  out.strokes.insert(out.strokes.end(), late.begin(), late.end());
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
    const float gap = style.touch ? -std::uniform_int_distribution<int>(1, 3)(rng)
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

void Score::add(const std::string& truth, const digits::Reading& r) {
  ++numbers;
  digits += static_cast<long>(truth.size());
  const int e = edit_distance(truth, r.text);
  digit_errors += e;
  exact += e == 0;
  if (e) {
    bool flagged = false;
    for (const auto& d : r.digits) flagged |= d.prediction.uncertain;
    ++(flagged ? flagged_wrong : unflagged_wrong);
    miscounted += r.digits.size() != truth.size();  // truth: digits only
    if (misses.size() < 40) misses.push_back(truth + "->" + r.text);
  }
}

std::string summary(const Score& s) {
  char line[240];
  std::snprintf(line, sizeof line,
                "%ld numbers: %.2f %% read exactly, %.2f %% of %ld digits right; wrong numbers with an "
                "uncertain digit %ld, without %ld; %ld with another count of digits; %.3f ms per number\n",
                s.numbers, 100 * s.exact_rate(), 100 * s.digit_rate(), s.digits, s.flagged_wrong, s.unflagged_wrong,
                s.miscounted, s.numbers ? 1e3 * s.seconds / s.numbers : 0.0);
  std::string out = line;
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
    score.add(n.text, r.value());
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
