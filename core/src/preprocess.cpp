// Preprocessing: any image or set of strokes -> the 28x28 MNIST-style network input.
//
// Both paths meet in normalize(), which works on an "ink plane" (0 = paper, 1 = full ink):
//   1. bounding box of the ink, near-empty check;
//   2. resample the box so its larger side is kWorkBox pixels (3x the final 20), centred on its
//      centre of mass, with area averaging when shrinking and bilinear when enlarging;
//   3. bring the stroke width into MNIST's range (grey dilation / erosion) so that a hairline
//      and a marker give the same picture;
//   4. shrink 3x to 28x28, placing the centre of mass exactly at the centre (14, 14).
#include <algorithm>
#include <cmath>
#include <string>

#include "digits/digits.h"
#include "preprocess_internal.h"

namespace digits {
namespace detail {

namespace {

constexpr int kOversample = 3;                       // work resolution relative to 28x28
constexpr int kBox = 20;                             // MNIST: digit fits a 20x20 box
constexpr int kWorkBox = kBox * kOversample;         // 60
constexpr int kWorkSide = 48 * kOversample;          // 144: room for dilation around any COM
constexpr float kInkThreshold = 0.15f;               // what counts as ink for the bounding box
constexpr float kMinContrast = 0.15f;                // less contrast than this is a blank image

struct Box {
  int x0, y0, x1, y1;  // inclusive
  int w() const { return x1 - x0 + 1; }
  int h() const { return y1 - y0 + 1; }
};

bool ink_box(const Plane& p, float threshold, Box& box) {
  box = {p.w, p.h, -1, -1};
  for (int y = 0; y < p.h; ++y)
    for (int x = 0; x < p.w; ++x)
      if (p.at(x, y) > threshold) {
        box.x0 = std::min(box.x0, x);
        box.x1 = std::max(box.x1, x);
        box.y0 = std::min(box.y0, y);
        box.y1 = std::max(box.y1, y);
      }
  return box.x1 >= 0;
}

// Centre of mass in continuous coordinates (pixel i spans [i, i+1)).
void centre_of_mass(const Plane& p, const Box& b, float& cx, float& cy) {
  double m = 0, sx = 0, sy = 0;
  for (int y = b.y0; y <= b.y1; ++y)
    for (int x = b.x0; x <= b.x1; ++x) {
      double v = p.at(x, y);
      m += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  cx = static_cast<float>(sx / m);
  cy = static_cast<float>(sy / m);
}

// 1-D resampling weights: output sample at source position u covers [u-h, u+h] with
// h = max(0.5, 0.5/scale); each source pixel weighs its overlap. This is area averaging when
// shrinking and exactly bilinear interpolation when enlarging.
struct Taps {
  int first = 0;
  std::vector<float> w;
};

Taps taps_for(float u, float scale, int lo, int hi) {
  const float h = std::max(0.5f, 0.5f / scale);
  Taps t;
  int k0 = static_cast<int>(std::floor(u - h));
  int k1 = static_cast<int>(std::ceil(u + h));
  k0 = std::max(k0, lo);
  k1 = std::min(k1, hi);
  t.first = k0;
  for (int k = k0; k <= k1; ++k) {
    float overlap = std::min(u + h, k + 1.0f) - std::max(u - h, float(k));
    t.w.push_back(std::max(0.0f, overlap) / (2 * h));
  }
  return t;
}

// Maps source point (scx, scy) to destination point (dcx, dcy), scaling by `scale`; only the
// source pixels inside `box` contribute (everything else is paper).
Plane resample(const Plane& src, const Box& box, float scale, float scx, float scy, int dw, int dh, float dcx,
               float dcy) {
  // Horizontal pass: box rows x dw columns, row by row so the source is read in order.
  std::vector<Taps> columns(dw);
  for (int ox = 0; ox < dw; ++ox) columns[ox] = taps_for((ox + 0.5f - dcx) / scale + scx, scale, box.x0, box.x1);
  Plane tmp(dw, box.h());
  for (int y = 0; y < box.h(); ++y) {
    const float* row = &src.v[static_cast<size_t>(box.y0 + y) * src.w];
    for (int ox = 0; ox < dw; ++ox) {
      const Taps& t = columns[ox];
      float acc = 0;
      for (size_t i = 0; i < t.w.size(); ++i) acc += t.w[i] * row[t.first + int(i)];
      tmp.at(ox, y) = acc;
    }
  }
  Plane out(dw, dh);
  for (int oy = 0; oy < dh; ++oy) {
    float v = (oy + 0.5f - dcy) / scale + scy;
    Taps t = taps_for(v, scale, box.y0, box.y1);
    for (int ox = 0; ox < dw; ++ox) {
      float acc = 0;
      for (size_t i = 0; i < t.w.size(); ++i) acc += t.w[i] * tmp.at(ox, t.first - box.y0 + int(i));
      out.at(ox, oy) = std::min(1.0f, acc);
    }
  }
  return out;
}

// Mean stroke width of the ink (pixels > 0.5): for a stroke of length L and width w,
// area = L*w and perimeter ~ 2L, so w ~ 2*area/perimeter. The perimeter is counted along pixel
// edges, which overestimates the Euclidean length by ~4/pi on average.
float stroke_width(const Plane& p) {
  long area = 0, edges = 0;
  for (int y = 0; y < p.h; ++y)
    for (int x = 0; x < p.w; ++x) {
      bool in = p.at(x, y) > 0.5f;
      area += in;
      bool right = x + 1 < p.w && p.at(x + 1, y) > 0.5f;
      bool down = y + 1 < p.h && p.at(x, y + 1) > 0.5f;
      if (in != right) ++edges;
      if (in != down) ++edges;
      if (x == 0 && in) ++edges;
      if (y == 0 && in) ++edges;
    }
  if (edges == 0) return 0;
  return 2.0f * area / (edges * 0.7853982f);
}

}  // namespace

Plane::Plane(int w_, int h_) : w(w_), h(h_), v(static_cast<size_t>(w_) * h_, 0.0f) {}

// One step of grey-scale dilation (grow = true) or erosion with a 3x3 neighbourhood; alternating
// a cross and a square approximates a disc over several steps.
Plane morph_step(const Plane& p, bool grow, bool square) {
  Plane out(p.w, p.h);
  for (int y = 0; y < p.h; ++y)
    for (int x = 0; x < p.w; ++x) {
      float v = p.at(x, y);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          if (!square && dx != 0 && dy != 0) continue;
          int xx = x + dx, yy = y + dy;
          float n = (xx >= 0 && yy >= 0 && xx < p.w && yy < p.h) ? p.at(xx, yy) : 0.0f;
          v = grow ? std::max(v, n) : std::min(v, n);
        }
      out.at(x, y) = v;
    }
  return out;
}

namespace {

GrayPlane to_gray(const Plane& p) { return {p.w, p.h, p.v}; }

GrayPlane crop(const Plane& p, const Box& b) {
  GrayPlane out{b.w(), b.h(), {}};
  out.values.reserve(static_cast<size_t>(b.w()) * b.h());
  for (int y = b.y0; y <= b.y1; ++y)
    out.values.insert(out.values.end(), &p.v[static_cast<size_t>(y) * p.w + b.x0],
                      &p.v[static_cast<size_t>(y) * p.w + b.x1] + 1);
  return out;
}

// Steps 1-4 (see the top of this file). `stages`, when given, receives copies of the pictures
// along the way; nothing computed for it feeds back into the result.
Preprocessed normalize_steps(const Plane& ink, const PreprocessOptions& options, PreprocessStages* stages) {
  Preprocessed out;
  if (stages) {
    stages->raw_ink = to_gray(ink);
    stages->scaled20 = {kBox, kBox, std::vector<float>(kBox * kBox, 0.0f)};
  }
  Box box;
  if (!ink_box(ink, kInkThreshold, box)) return out;  // empty
  if (stages) stages->cropped = crop(ink, box);

  // Near-empty: a speck is not a digit. Require some ink mass and a box that is not a dot
  // relative to the picture.
  double mass = 0;
  for (int y = box.y0; y <= box.y1; ++y)
    for (int x = box.x0; x <= box.x1; ++x) mass += ink.at(x, y);
  const int side = std::max(box.w(), box.h());
  const float min_side = std::max(3.0f, 0.03f * std::max(ink.w, ink.h));
  if (mass < 3.0 || side < min_side) return out;

  // 2. Work resolution, centre of mass at the work plane's centre.
  float cx, cy;
  centre_of_mass(ink, box, cx, cy);
  const float scale = float(kWorkBox) / side;
  // Only the part of the kWorkSide x kWorkSide plane the digit can reach (its box plus room
  // for dilation) is computed, at the same pixel positions, so the result is the same.
  const float mid = kWorkSide / 2.0f;
  constexpr int kMargin = 16;
  auto reach = [&](int lo, int hi, float c, int& a, int& b) {
    a = std::max(0, static_cast<int>(std::floor((lo - c) * scale + mid)) - kMargin);
    b = std::min(kWorkSide, static_cast<int>(std::ceil((hi + 1 - c) * scale + mid)) + kMargin);
  };
  int wx0, wx1, wy0, wy1;
  reach(box.x0, box.x1, cx, wx0, wx1);
  reach(box.y0, box.y1, cy, wy0, wy1);
  Plane work = resample(ink, box, scale, cx, cy, wx1 - wx0, wy1 - wy0, mid - wx0, mid - wy0);

  // MNIST's 20x20 step, for inspection only: the work plane is 3x that box, centred on the
  // ink's centre of mass, so shrink it 3x around the box's centre (in work coordinates). Taken
  // before the pen width changes, which can grow the ink past the box.
  if (stages) {
    const float bx = (0.5f * (box.x0 + box.x1 + 1) - cx) * scale + mid - wx0;
    const float by = (0.5f * (box.y0 + box.y1 + 1) - cy) * scale + mid - wy0;
    const Box all{0, 0, work.w - 1, work.h - 1};
    stages->scaled20 = to_gray(resample(work, all, 1.0f / kOversample, bx, by, kBox, kBox, kBox / 2.0f, kBox / 2.0f));
  }

  // 3. Stroke width into MNIST's range.
  const float target = options.stroke_width * kWorkBox;
  const float width = stroke_width(work);
  if (width > 0 && width < 0.7f * target) {
    int steps = std::min(12, static_cast<int>(std::lround((target - width) / 2)));
    for (int i = 0; i < steps; ++i) work = morph_step(work, true, i % 2 == 1);
  } else if (width > 1.6f * target) {
    int steps = std::min(static_cast<int>(width / 4), static_cast<int>(std::lround((width - target) / 2)));
    for (int i = 0; i < steps; ++i) work = morph_step(work, false, i % 2 == 1);
  }

  // 4. Down to 28x28 with the centre of mass at (14, 14).
  Box wbox;
  if (!ink_box(work, 0.0f, wbox)) return out;
  centre_of_mass(work, wbox, cx, cy);
  Plane small = resample(work, wbox, 1.0f / kOversample, cx, cy, kImageSide, kImageSide, kImageSide / 2.0f,
                         kImageSide / 2.0f);
  std::copy(small.v.begin(), small.v.end(), out.image.begin());
  out.empty = false;
  return out;
}

}  // namespace

Result<Preprocessed> normalize(const Plane& ink, const PreprocessOptions& options, PreprocessStages* stages) {
  Preprocessed out = normalize_steps(ink, options, stages);
  if (stages) {
    stages->centred = out.image;
    stages->empty = out.empty;
  }
  return out;
}

Result<Plane> ink_plane(const ImageView& img, const PreprocessOptions& options) {
  if (img.data == nullptr) return Error{"image has no pixel data"};
  if (img.width <= 0 || img.height <= 0)
    return Error{"image size " + std::to_string(img.width) + "x" + std::to_string(img.height) + " is not valid"};
  if (static_cast<std::int64_t>(img.width) * img.height > options.max_pixels)
    return Error{"image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                 " pixels, more than the limit of " + std::to_string(options.max_pixels) + "; scale it down"};
  const int channels = img.format == PixelFormat::Gray8 ? 1 : img.format == PixelFormat::RGB8 ? 3 : 4;
  const int stride = img.stride ? img.stride : img.width * channels;
  if (stride < img.width * channels) return Error{"image row stride is smaller than its width"};

  Plane p(img.width, img.height);
  // Opaque-on-transparent: if the picture has both transparent and opaque parts, alpha is the ink.
  bool use_alpha = false;
  if (channels == 4) {
    int lo = 255, hi = 0;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        int a = img.data[y * static_cast<size_t>(stride) + x * 4 + 3];
        lo = std::min(lo, a);
        hi = std::max(hi, a);
      }
    if (hi < 128) return p;  // fully transparent: nothing drawn
    use_alpha = lo < 128;
  }
  for (int y = 0; y < img.height; ++y) {
    const std::uint8_t* row = img.data + y * static_cast<size_t>(stride);
    for (int x = 0; x < img.width; ++x) {
      const std::uint8_t* px = row + x * channels;
      float v;
      if (use_alpha)
        v = px[3] / 255.0f;
      else if (channels == 1)
        v = px[0] / 255.0f;
      else
        v = (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f;
      p.at(x, y) = v;
    }
  }
  // Paper colour: the median of the border. Ink is whatever differs from it, in the direction
  // away from the paper (dark on light paper, light on dark paper).
  std::vector<float> border;
  for (int x = 0; x < p.w; ++x) {
    border.push_back(p.at(x, 0));
    border.push_back(p.at(x, p.h - 1));
  }
  for (int y = 0; y < p.h; ++y) {
    border.push_back(p.at(0, y));
    border.push_back(p.at(p.w - 1, y));
  }
  std::nth_element(border.begin(), border.begin() + border.size() / 2, border.end());
  const float paper = border[border.size() / 2];
  const float sign = paper > 0.5f ? -1.0f : 1.0f;
  float peak = 0;
  for (float& v : p.v) {
    v = std::max(0.0f, sign * (v - paper));
    peak = std::max(peak, v);
  }
  if (peak < kMinContrast) {
    std::fill(p.v.begin(), p.v.end(), 0.0f);
    return p;
  }
  for (float& v : p.v) v = std::min(1.0f, v / peak);
  return p;
}

Result<Plane> stroke_plane(const std::vector<Stroke>& strokes, const PreprocessOptions& options) {
  std::size_t points = 0;
  float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (std::size_t s = 0; s < strokes.size(); ++s)
    for (std::size_t i = 0; i < strokes[s].size(); ++i) {
      const Point& pt = strokes[s][i];
      if (!std::isfinite(pt.x) || !std::isfinite(pt.y))
        return Error{"stroke " + std::to_string(s) + ", point " + std::to_string(i) + " is not a finite number"};
      x0 = std::min(x0, pt.x);
      x1 = std::max(x1, pt.x);
      y0 = std::min(y0, pt.y);
      y1 = std::max(y1, pt.y);
      if (++points > options.max_points)
        return Error{"too many stroke points (limit " + std::to_string(options.max_points) + ")"};
    }
  const float extent = std::max(x1 - x0, y1 - y0);
  // Draw at the work resolution so that the digit's larger side spans kWorkBox pixels including
  // the pen, and the pen is options.stroke_width of that.
  const float pen = options.stroke_width * kWorkBox;
  const float r = pen / 2;
  const float k = (kWorkBox - pen) / extent;
  // Nothing, a dot, or an extent so small (e.g. 1e-40) that the scale overflows: no digit.
  if (points == 0 || !(extent > 0) || !std::isfinite(extent) || !std::isfinite(k)) return Plane(1, 1);
  double length = 0;  // in units of the extent; double: the sum of many tiny steps
  for (const Stroke& s : strokes)
    for (std::size_t i = 1; i < s.size(); ++i)
      length += std::hypot(double(s[i].x) - s[i - 1].x, double(s[i].y) - s[i - 1].y) / extent;
  if (length > options.max_stroke_length)
    return Error{"the strokes are " + std::to_string(static_cast<long long>(length)) +
                 " times as long as the digit is large (limit " +
                 std::to_string(static_cast<long long>(options.max_stroke_length)) + "): a scribble, not a digit"};
  const float margin = r + 2;
  Plane p(static_cast<int>(std::ceil((x1 - x0) * k + 2 * margin)), static_cast<int>(std::ceil((y1 - y0) * k + 2 * margin)));
  auto draw_segment = [&](float ax, float ay, float bx, float by) {
    const float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    const int px0 = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - r - 1)));
    const int px1 = std::min(p.w - 1, static_cast<int>(std::ceil(std::max(ax, bx) + r + 1)));
    const int py0 = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - r - 1)));
    const int py1 = std::min(p.h - 1, static_cast<int>(std::ceil(std::max(ay, by) + r + 1)));
    for (int y = py0; y <= py1; ++y)
      for (int x = px0; x <= px1; ++x) {
        const float qx = x + 0.5f - ax, qy = y + 0.5f - ay;
        float t = len2 > 0 ? std::clamp((qx * dx + qy * dy) / len2, 0.0f, 1.0f) : 0.0f;
        const float ex = qx - t * dx, ey = qy - t * dy;
        const float d = std::sqrt(ex * ex + ey * ey);
        const float cover = std::clamp(r + 0.5f - d, 0.0f, 1.0f);
        float& v = p.at(x, y);
        v = std::max(v, cover);
      }
  };
  for (const Stroke& s : strokes) {
    if (s.empty()) continue;
    auto map = [&](const Point& q, float& X, float& Y) {
      X = (q.x - x0) * k + margin;
      Y = (q.y - y0) * k + margin;
    };
    float ax, ay, bx, by;
    map(s[0], ax, ay);
    if (s.size() == 1) draw_segment(ax, ay, ax, ay);
    for (std::size_t i = 1; i < s.size(); ++i) {
      map(s[i], bx, by);
      draw_segment(ax, ay, bx, by);
      ax = bx;
      ay = by;
    }
  }
  return p;
}

}  // namespace detail

Result<Preprocessed> preprocess_image(const ImageView& image, const PreprocessOptions& options) {
  auto ink = detail::ink_plane(image, options);
  if (!ink) return Error{ink.error()};
  return detail::normalize(ink.value(), options);
}

Result<Preprocessed> preprocess_strokes(const std::vector<Stroke>& strokes, const PreprocessOptions& options) {
  auto ink = detail::stroke_plane(strokes, options);
  if (!ink) return Error{ink.error()};
  return detail::normalize(ink.value(), options);
}

Result<PreprocessStages> preprocess_image_stages(const ImageView& image, const PreprocessOptions& options) {
  auto ink = detail::ink_plane(image, options);
  if (!ink) return Error{ink.error()};
  PreprocessStages stages;
  auto r = detail::normalize(ink.value(), options, &stages);
  if (!r) return Error{r.error()};
  return stages;
}

Result<PreprocessStages> preprocess_strokes_stages(const std::vector<Stroke>& strokes,
                                                   const PreprocessOptions& options) {
  auto ink = detail::stroke_plane(strokes, options);
  if (!ink) return Error{ink.error()};
  PreprocessStages stages;
  auto r = detail::normalize(ink.value(), options, &stages);
  if (!r) return Error{r.error()};
  return stages;
}

}  // namespace digits
