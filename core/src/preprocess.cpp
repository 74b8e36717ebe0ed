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
#include <cstdint>
#include <cstring>
#include <string>

#include "digits/digits.h"
#include "preprocess_internal.h"

namespace digits {
namespace detail {

namespace {

constexpr int kOversample = 3;                // work resolution relative to 28x28
constexpr int kBox = 20;                      // MNIST: digit fits a 20x20 box
constexpr int kWorkBox = kBox * kOversample;  // 60
constexpr int kWorkSide = 48 * kOversample;   // 144: room for dilation around any COM
constexpr float kInkThreshold = 0.15f;        // what counts as ink for the bounding box
constexpr float kMinContrast = 0.15f;         // less contrast than this is a blank image

struct Box {
  int x0, y0, x1, y1;  // inclusive
  int w() const { return x1 - x0 + 1; }
  int h() const { return y1 - y0 + 1; }
};

// Read access to a w x h picture of which only the window [x0, x0 + ww) x [y0, y0 + wh) is
// stored (the rest is paper). Only pixels inside the window may be read.
struct View {
  const float* d;
  int stride;
  int x0, y0, ww, wh;  // the stored window
  int w, h;            // the picture
  View(const Plane& p) : d(p.v.data()), stride(p.w), x0(0), y0(0), ww(p.w), wh(p.h), w(p.w), h(p.h) {}
  View(const InkPlane& p)
      : d(p.win.v.data()), stride(p.win.w), x0(p.x0), y0(p.y0), ww(p.win.w), wh(p.win.h), w(p.w), h(p.h) {}
  // Row y of the window: element i is pixel (x0 + i, y).
  const float* row(int y) const { return d + static_cast<size_t>(y - y0) * stride; }
  float at(int x, int y) const { return row(y)[x - x0]; }
};

// Bounding box [x0, x1] x [y0, y1] of the pixels for which ink(row, i) is nonzero, in an
// n x rows grid. Row by row with branch-free tests of whole runs (which vectorise): the part
// left of the box so far, the part inside it, the part right of it; a pixel-by-pixel search
// only where the box grows.
template <class Ink>
bool grid_box(int n, int rows, const Ink& ink, int& x0, int& y0, int& x1, int& y1) {
  x0 = n, y0 = rows, x1 = -1, y1 = -1;
  auto any = [&](int y, int a, int b) {
    int r = 0;
    for (int i = a; i < b; ++i) r |= ink(y, i);
    return r;
  };
  for (int y = 0; y < rows; ++y) {
    int left, right;
    if (x1 < 0) {
      left = right = any(y, 0, n);
      if (!left) continue;
    } else {
      left = any(y, 0, x0);
      right = any(y, x1 + 1, n);
      if (!left && !right && !any(y, x0, x1 + 1)) continue;
    }
    if (!left && !right) {
      y1 = y;
      continue;
    }
    if (x1 < 0) y0 = y;
    y1 = y;
    if (left) {
      int i = 0;
      while (!ink(y, i)) ++i;
      x0 = i;
    }
    if (right) {
      int j = n - 1;
      while (!ink(y, j)) --j;
      x1 = j;
    }
  }
  return x1 >= 0;
}

// Bounding box of the pixels above `threshold`.
bool ink_box(const View& p, float threshold, Box& box) {
  auto ink = [&](int y, int i) -> int { return p.row(p.y0 + y)[i] > threshold; };
  int x0, y0, x1, y1;
  if (!grid_box(p.ww, p.wh, ink, x0, y0, x1, y1)) {
    box = {p.w, p.h, -1, -1};
    return false;
  }
  box = {p.x0 + x0, p.y0 + y0, p.x0 + x1, p.y0 + y1};
  return true;
}

// Mass and centre of mass in continuous coordinates (pixel i spans [i, i+1)). Summed pixel by
// pixel in the same order as ever (double sums in another order could move the centre by an
// ulp). Paper pixels add exactly +0, so runs of 8 that are all paper (no bits set: planes hold
// no -0) are skipped, and the others are summed without a branch per pixel.
double centre_of_mass(const View& p, const Box& b, float& cx, float& cy) {
  constexpr int kRun = 8;
  double m = 0, sx = 0, sy = 0;
  for (int y = b.y0; y <= b.y1; ++y) {
    const float* row = p.row(y) - p.x0;
    const double yc = y + 0.5;
    for (int x = b.x0; x <= b.x1; x += kRun) {
      const int end = std::min(x + kRun, b.x1 + 1);
      std::uint32_t any = 0;
      for (int i = x; i < end; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &row[i], sizeof bits);
        any |= bits;
      }
      if (any == 0) continue;
      for (int i = x; i < end; ++i) {
        const double v = row[i];
        m += v;
        sx += v * (i + 0.5);
        sy += v * yc;
      }
    }
  }
  cx = static_cast<float>(sx / m);
  cy = static_cast<float>(sy / m);
  return m;
}

// 1-D resampling weights: output sample at source position u covers [u-h, u+h] with
// h = max(0.5, 0.5/scale); each source pixel weighs its overlap. This is area averaging when
// shrinking and exactly bilinear interpolation when enlarging.
// The taps of several output samples in one table: sample s reads source pixels first[s]...
// with weights w[start[s]] ... w[start[s + 1] - 1].
struct Taps {
  std::vector<int> first, start{0};
  std::vector<float> w;
  int count(size_t s) const { return start[s + 1] - start[s]; }
  const float* weights(size_t s) const { return w.data() + start[s]; }
};

void add_taps(Taps& t, float u, float scale, int lo, int hi) {
  const float h = std::max(0.5f, 0.5f / scale);
  int k0 = static_cast<int>(std::floor(u - h));
  int k1 = static_cast<int>(std::ceil(u + h));
  k0 = std::max(k0, lo);
  k1 = std::min(k1, hi);
  t.first.push_back(k0);
  for (int k = k0; k <= k1; ++k) {
    float overlap = std::min(u + h, k + 1.0f) - std::max(u - h, float(k));
    t.w.push_back(std::max(0.0f, overlap) / (2 * h));
  }
  t.start.push_back(static_cast<int>(t.w.size()));
}

// The same taps with every sample's count made the largest one, n: the extra taps have weight 0
// and go after the real ones, or before them where the row ends (n never exceeds the box's
// width, so they stay inside it). A sum from +0 is unchanged by +0 terms before or after (the
// pixels are finite and >= +0), so the values are the same, and the loop over the taps has a
// fixed length.
struct EvenTaps {
  int n = 0;
  std::vector<int> first;  // first[s]: the first source pixel of sample s, from the box's left
  std::vector<float> w;    // w[s * n + i]: the weight of pixel first[s] + i
};

EvenTaps even_taps(const Taps& t, int lo, int hi) {
  EvenTaps e;
  const size_t samples = t.first.size();
  for (size_t s = 0; s < samples; ++s) e.n = std::max(e.n, t.count(s));
  e.first.resize(samples);
  e.w.assign(samples * e.n, 0.0f);
  for (size_t s = 0; s < samples; ++s) {
    const int count = t.count(s), before = std::max(0, t.first[s] + e.n - 1 - hi);
    e.first[s] = t.first[s] - before - lo;
    std::copy(t.weights(s), t.weights(s) + count, e.w.data() + s * e.n + before);
  }
  return e;
}

// Four source rows, interleaved pixel by pixel, resampled at once: lane r of every 4-wide
// multiply and add is exactly row r's own sum, in the same order, so the values are the same
// as row by row (GCC and Clang vector extensions: SSE2 natively, SIMD128 in WebAssembly).
typedef float Lanes4 __attribute__((vector_size(16)));

template <int kTaps>
void resample_4rows(const EvenTaps& t, const Lanes4* px, float* const out[4]) {
  const int n = kTaps > 0 ? kTaps : t.n;
  for (size_t s = 0; s < t.first.size(); ++s) {
    const float* w = t.w.data() + s * n;
    const Lanes4* in = px + t.first[s];
    Lanes4 acc = {0, 0, 0, 0};
    for (int i = 0; i < n; ++i) acc += Lanes4{w[i], w[i], w[i], w[i]} * in[i];
    for (int r = 0; r < 4; ++r) out[r][s] = acc[r];
  }
}

// Maps source point (scx, scy) to destination point (dcx, dcy), scaling by `scale`; only the
// source pixels inside `box` contribute (everything else is paper).
Plane resample(const View& src, const Box& box, float scale, float scx, float scy, int dw, int dh, float dcx,
               float dcy) {
  // Horizontal pass: box rows x dw columns, four rows at a time (a last group of fewer fills
  // the missing lanes with its first row and throws their results away). The usual tap counts (shrinking
  // by up to 4x) get a loop the compiler unrolls.
  Taps columns;
  for (int ox = 0; ox < dw; ++ox) add_taps(columns, (ox + 0.5f - dcx) / scale + scx, scale, box.x0, box.x1);
  const EvenTaps even = even_taps(columns, box.x0, box.x1);
  using Pass = void (*)(const EvenTaps&, const Lanes4*, float* const[4]);
  static constexpr Pass kPasses[] = {resample_4rows<0>, resample_4rows<0>, resample_4rows<2>,
                                     resample_4rows<3>, resample_4rows<4>, resample_4rows<5>,
                                     resample_4rows<6>, resample_4rows<7>, resample_4rows<8>};
  const Pass pass = even.n < 9 ? kPasses[even.n] : resample_4rows<0>;
  Plane tmp(dw, box.h(), Plane::Uninitialised{});
  std::vector<float> discard(dw);
  std::vector<Lanes4> px(box.w());
  for (int y = 0; y < box.h(); y += 4) {
    const float* in[4];
    float* out[4];
    for (int r = 0; r < 4; ++r) {
      const bool real = y + r < box.h();
      in[r] = real ? src.row(box.y0 + y + r) + (box.x0 - src.x0) : in[0];
      out[r] = real ? tmp.v.data() + static_cast<size_t>(y + r) * dw : discard.data();
    }
    for (int x = 0; x < box.w(); ++x) px[x] = Lanes4{in[0][x], in[1][x], in[2][x], in[3][x]};
    pass(even, px.data(), out);
  }
  // Vertical pass: each output row accumulates whole tmp rows, tap by tap (every pixel still
  // sums its taps in order, from 0, so the values are the same as pixel by pixel).
  Taps rows;
  for (int oy = 0; oy < dh; ++oy) add_taps(rows, (oy + 0.5f - dcy) / scale + scy, scale, box.y0, box.y1);
  Plane out(dw, dh, Plane::Uninitialised{});
  for (int oy = 0; oy < dh; ++oy) {
    float* acc = &out.v[static_cast<size_t>(oy) * dw];
    std::fill(acc, acc + dw, 0.0f);
    for (int i = 0; i < rows.count(oy); ++i) {
      const float wi = rows.weights(oy)[i];
      const float* in = &tmp.v[static_cast<size_t>(rows.first[oy] - box.y0 + i) * dw];
      for (int ox = 0; ox < dw; ++ox) acc[ox] += wi * in[ox];
    }
    for (int ox = 0; ox < dw; ++ox) acc[ox] = std::min(1.0f, acc[ox]);
  }
  return out;
}

// Mean stroke width of the ink (pixels > 0.5): for a stroke of length L and width w,
// area = L*w and perimeter ~ 2L, so w ~ 2*area/perimeter. The perimeter is counted along pixel
// edges, which overestimates the Euclidean length by ~4/pi on average.
// Counted row by row with branch-free loops (integer counts: the order does not matter).
float stroke_width(const Plane& p) {
  if (p.w <= 0 || p.h <= 0) return 0;
  long area = 0, edges = 0;
  for (int y = 0; y < p.h; ++y) {
    const float* row = &p.v[static_cast<size_t>(y) * p.w];
    const float* below = y + 1 < p.h ? row + p.w : nullptr;
    int a = 0, e = 0;
    for (int x = 0; x < p.w; ++x) a += row[x] > 0.5f;
    for (int x = 0; x + 1 < p.w; ++x) e += (row[x] > 0.5f) != (row[x + 1] > 0.5f);
    e += (row[0] > 0.5f) + (row[p.w - 1] > 0.5f);  // the left and right edges of the plane
    if (below)
      for (int x = 0; x < p.w; ++x) e += (row[x] > 0.5f) != (below[x] > 0.5f);
    else
      e += a;            // the bottom edge
    if (y == 0) e += a;  // the top edge
    area += a;
    edges += e;
  }
  if (edges == 0) return 0;
  return 2.0f * area / (edges * 0.7853982f);
}

}  // namespace

Plane::Plane(int w_, int h_) : w(w_), h(h_), v(static_cast<size_t>(w_) * h_, 0.0f) {}
Plane::Plane(int w_, int h_, Uninitialised) : w(w_), h(h_), v(static_cast<size_t>(w_) * h_) {}

Plane InkPlane::full() const {
  Plane p(w, h);
  for (int y = 0; y < win.h; ++y)
    std::copy(win.v.begin() + static_cast<std::ptrdiff_t>(y) * win.w,
              win.v.begin() + static_cast<std::ptrdiff_t>(y + 1) * win.w, &p.at(x0, y0 + y));
  return p;
}

// One step of grey-scale dilation (grow = true) or erosion with a 3x3 neighbourhood; alternating
// a cross and a square approximates a disc over several steps.
// The plane is copied into one with a border of paper, so every pixel has all its neighbours and
// each row is one branch-free (vectorised) loop. Planes hold no NaN and no -0, so the maximum or
// minimum of the neighbourhood does not depend on the order it is taken in.
namespace {

template <bool kGrow, bool kSquare>
void morph_rows(const Plane& p, Plane& out) {
  const int pw = p.w + 2;
  std::vector<float> pad(static_cast<size_t>(pw) * (p.h + 2), 0.0f);
  for (int y = 0; y < p.h; ++y)
    std::copy(p.v.data() + static_cast<size_t>(y) * p.w, p.v.data() + static_cast<size_t>(y + 1) * p.w,
              &pad[static_cast<size_t>(y + 1) * pw + 1]);
  auto op = [](float a, float b) { return kGrow ? std::max(a, b) : std::min(a, b); };
  for (int y = 0; y < p.h; ++y) {
    const float* up = &pad[static_cast<size_t>(y) * pw + 1];
    const float* mid = up + pw;
    const float* down = mid + pw;
    float* o = &out.v[static_cast<size_t>(y) * p.w];
    for (int x = 0; x < p.w; ++x) {
      float v = op(op(mid[x], mid[x - 1]), op(mid[x + 1], op(up[x], down[x])));
      if (kSquare) v = op(v, op(op(up[x - 1], up[x + 1]), op(down[x - 1], down[x + 1])));
      o[x] = v;
    }
  }
}

}  // namespace

Plane morph_step(const Plane& p, bool grow, bool square) {
  Plane out(p.w, p.h, Plane::Uninitialised{});
  if (grow)
    square ? morph_rows<true, true>(p, out) : morph_rows<true, false>(p, out);
  else
    square ? morph_rows<false, true>(p, out) : morph_rows<false, false>(p, out);
  return out;
}

namespace {

GrayPlane to_gray(const Plane& p) { return {p.w, p.h, {p.v.begin(), p.v.end()}}; }

GrayPlane to_gray(const View& p) {
  GrayPlane out{p.w, p.h, std::vector<float>(static_cast<size_t>(p.w) * p.h, 0.0f)};
  for (int y = p.y0; y < p.y0 + p.wh; ++y)
    std::copy(p.row(y), p.row(y) + p.ww, &out.values[static_cast<size_t>(y) * p.w + p.x0]);
  return out;
}

GrayPlane crop(const View& p, const Box& b) {
  GrayPlane out{b.w(), b.h(), {}};
  out.values.reserve(static_cast<size_t>(b.w()) * b.h());
  for (int y = b.y0; y <= b.y1; ++y) {
    const float* row = p.row(y) + (b.x0 - p.x0);
    out.values.insert(out.values.end(), row, row + b.w());
  }
  return out;
}

// Steps 1-4 (see the top of this file). `stages`, when given, receives copies of the pictures
// along the way; nothing computed for it feeds back into the result.
Preprocessed normalize_steps(const View& ink, const PreprocessOptions& options, PreprocessStages* stages) {
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
  float cx, cy;
  const double mass = centre_of_mass(ink, box, cx, cy);
  const int side = std::max(box.w(), box.h());
  const float min_side = std::max(3.0f, 0.03f * std::max(ink.w, ink.h));
  if (mass < 3.0 || side < min_side) return out;

  // 2. Work resolution, centre of mass at the work plane's centre.
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
  if (!ink_box(View(work), 0.0f, wbox)) return out;
  centre_of_mass(work, wbox, cx, cy);
  Plane small =
      resample(work, wbox, 1.0f / kOversample, cx, cy, kImageSide, kImageSide, kImageSide / 2.0f, kImageSide / 2.0f);
  std::copy(small.v.begin(), small.v.end(), out.image.begin());
  out.empty = false;
  return out;
}

}  // namespace

namespace {

Result<Preprocessed> normalize_view(const View& ink, const PreprocessOptions& options, PreprocessStages* stages) {
  Preprocessed out = normalize_steps(ink, options, stages);
  if (stages) {
    stages->centred = out.image;
    stages->empty = out.empty;
  }
  return out;
}

}  // namespace

Result<Preprocessed> normalize(const Plane& ink, const PreprocessOptions& options, PreprocessStages* stages) {
  return normalize_view(View(ink), options, stages);
}

Result<Preprocessed> normalize(const InkPlane& ink, const PreprocessOptions& options, PreprocessStages* stages) {
  return normalize_view(View(ink), options, stages);
}

namespace {

// On x86-64 Linux, ink_plane is compiled twice, for AVX2 and for any x86-64, and the loader picks
// one (an ifunc); ink_window and max_bits are inlined into each. AVX2 does not bring FMA, so each
// float operation is the same IEEE one in both copies and the answers are the same bit for bit
// (preprocess_golden_test). Why: turning a 280x280 canvas into ink is the largest preprocessing
// step of a PNG request, and the AVX2 copy does it in ~35 us instead of ~57 (bench_core --preprocess).
// Not under ThreadSanitizer: the clones' resolver runs while the program is being loaded, before
// TSan's runtime is initialised, and its instrumented code crashes there.
#if defined(__x86_64__) && defined(__linux__) && !defined(__EMSCRIPTEN__) && !defined(__SANITIZE_THREAD__)
#define DIGITS_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define DIGITS_AVX2_CLONE
#endif

// How a pixel becomes a grey value in [0, 1], one instance per pixel format: the byte at kOff
// (grey, or alpha when alpha is the ink) or the luma of the first three bytes. Each loop below
// is compiled once per instance, so it has no per-pixel branches on the format.
template <int kChannels, int kOff, bool kLuma>
struct Pixel {
  static float value(const std::uint8_t* px) {
    if constexpr (kLuma)
      return (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f;
    else
      return px[kOff] / 255.0f;
  }
  // Whether a pixel's bytes that decide its value differ from ref's (4-byte pixels are compared
  // whole, as one word); pixels with the same such bytes have the same value.
  static int differs(const std::uint8_t* px, const std::uint8_t* ref) {
    if constexpr (kLuma && kChannels == 4) {
      std::uint32_t a, b;
      std::memcpy(&a, px, 4);
      std::memcpy(&b, ref, 4);
      return a != b;
    } else if constexpr (kLuma) {
      int d = 0;
      for (int c = 0; c < kChannels; ++c) d |= px[c] != ref[c];
      return d;
    } else {
      return px[kOff] != ref[kOff];
    }
  }
};

// Largest of n floats >= 0, compared as integers (the same order for such floats): an integer
// maximum vectorises without -ffast-math.
[[gnu::always_inline]] inline std::uint32_t max_bits(const float* v, int n) {
  std::uint32_t m = 0;
  for (int i = 0; i < n; ++i) {
    std::uint32_t u;
    std::memcpy(&u, v + i, sizeof u);
    m = std::max(m, u);
  }
  return m;
}

template <class Px, int kChannels>
[[gnu::always_inline]] inline InkPlane ink_window(const ImageView& img, int stride) {
  const int w = img.width, h = img.height;
  auto pixel = [&](int x, int y) { return img.data + y * static_cast<size_t>(stride) + x * kChannels; };
  InkPlane ink;
  ink.w = w;
  ink.h = h;
  // Paper colour: the median of the border (corners twice, as they are on two sides). Ink is
  // whatever differs from it, in the direction away from the paper (dark on light paper, light
  // on dark paper).
  std::vector<float> border;
  border.reserve(2 * static_cast<size_t>(w) + 2 * static_cast<size_t>(h));
  for (int x = 0; x < w; ++x) {
    border.push_back(Px::value(pixel(x, 0)));
    border.push_back(Px::value(pixel(x, h - 1)));
  }
  for (int y = 0; y < h; ++y) {
    border.push_back(Px::value(pixel(0, y)));
    border.push_back(Px::value(pixel(w - 1, y)));
  }
  std::nth_element(border.begin(), border.begin() + border.size() / 2, border.end());
  const float paper = border[border.size() / 2];
  const float sign = paper > 0.5f ? -1.0f : 1.0f;

  // A border pixel of exactly the paper colour: every pixel with the same bytes is paper (ink
  // 0), so the ink lies within the box of the pixels that differ from it.
  const std::uint8_t* ref = pixel(0, 0);
  for (int x = 0; x < w && Px::value(ref) != paper; ++x)
    for (int y : {0, h - 1})
      if (Px::value(pixel(x, y)) == paper) ref = pixel(x, y);
  for (int y = 0; y < h && Px::value(ref) != paper; ++y)
    for (int x : {0, w - 1})
      if (Px::value(pixel(x, y)) == paper) ref = pixel(x, y);
  int x0, y0, x1, y1;
  auto differs = [&](int y, int x) { return Px::differs(pixel(x, y), ref); };
  if (!grid_box(w, h, differs, x0, y0, x1, y1)) return ink;  // uniform: no contrast

  // The ink in the window, scaled so that its peak is 1 (the paper outside adds nothing).
  Plane win(x1 - x0 + 1, y1 - y0 + 1, Plane::Uninitialised{});
  std::uint32_t peak_bits = 0;
  for (int y = 0; y < win.h; ++y) {
    const std::uint8_t* row = pixel(x0, y0 + y);
    float* out = &win.v[static_cast<size_t>(y) * win.w];
    for (int x = 0; x < win.w; ++x) out[x] = std::max(0.0f, sign * (Px::value(row + x * kChannels) - paper));
    peak_bits = std::max(peak_bits, max_bits(out, win.w));
  }
  float peak;
  std::memcpy(&peak, &peak_bits, sizeof peak);
  if (peak < kMinContrast) return ink;
  for (float& v : win.v) v = std::min(1.0f, v / peak);
  ink.x0 = x0;
  ink.y0 = y0;
  ink.win = std::move(win);
  return ink;
}

}  // namespace

DIGITS_AVX2_CLONE Result<InkPlane> ink_plane(const ImageView& img, const PreprocessOptions& options) {
  if (img.data == nullptr) return Error{"image has no pixel data"};
  if (img.width <= 0 || img.height <= 0)
    return Error{"image size " + std::to_string(img.width) + "x" + std::to_string(img.height) + " is not valid"};
  if (static_cast<std::int64_t>(img.width) * img.height > options.max_pixels)
    return Error{"image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                 " pixels, more than the limit of " + std::to_string(options.max_pixels) + "; scale it down"};
  const int channels = img.format == PixelFormat::Gray8 ? 1 : img.format == PixelFormat::RGB8 ? 3 : 4;
  const int stride = img.stride ? img.stride : img.width * channels;
  if (stride < img.width * channels) return Error{"image row stride is smaller than its width"};

  if (channels == 1) return ink_window<Pixel<1, 0, false>, 1>(img, stride);
  if (channels == 3) return ink_window<Pixel<3, 0, true>, 3>(img, stride);
  // Opaque-on-transparent: if the picture has both transparent (alpha < 128) and opaque
  // (alpha >= 128) parts, alpha is the ink. The top bit of alpha tells the two apart, so OR and
  // AND whole pixels (loops of plain word operations, which vectorise) and look at that bit.
  std::uint32_t alpha_top;
  const std::uint8_t top_bytes[4] = {0, 0, 0, 0x80};  // the bit in a pixel read as one word
  std::memcpy(&alpha_top, top_bytes, 4);
  std::uint32_t any = 0, all = alpha_top;
  for (int y = 0; y < img.height && !((any & alpha_top) && !(all & alpha_top)); ++y) {
    const std::uint8_t* row = img.data + y * static_cast<size_t>(stride);
    std::uint32_t row_any = 0, row_all = alpha_top;
    for (int x = 0; x < img.width; ++x) {
      std::uint32_t px;
      std::memcpy(&px, row + 4 * x, 4);
      row_any |= px;
      row_all &= px;
    }
    any |= row_any;
    all &= row_all;
  }
  if (!(any & alpha_top)) {  // fully transparent: nothing drawn
    InkPlane blank;
    blank.w = img.width;
    blank.h = img.height;
    return blank;
  }
  if (!(all & alpha_top)) return ink_window<Pixel<4, 3, false>, 4>(img, stride);
  return ink_window<Pixel<4, 0, true>, 4>(img, stride);
}

namespace {

constexpr float kCurveStep = 0.2f;  // of the digit's larger side (see stroke_plane)

// sqrt, not hypot: only IEEE-exact operations, so strokes preprocess alike natively and in wasm.
float distance(Point p, Point q) { return std::sqrt((q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y)); }

// The point at t (0..1) between b and c of the centripetal Catmull-Rom spline through a, b, c, d
// (Barry and Goldman's pyramid). Points that coincide give the straight line from b to c.
Point catmull_rom(Point a, Point b, Point c, Point d, float t) {
  const auto knot = [](Point p, Point q) { return std::sqrt(distance(p, q)); };
  const float t1 = knot(a, b), t2 = t1 + knot(b, c), t3 = t2 + knot(c, d);
  if (!(t1 > 1e-6f && t2 - t1 > 1e-6f && t3 - t2 > 1e-6f)) return {b.x + t * (c.x - b.x), b.y + t * (c.y - b.y)};
  const float u = t1 + t * (t2 - t1);
  const auto mix = [](Point p, Point q, float ta, float tb, float u) {
    const float w = (u - ta) / (tb - ta);
    return Point{p.x + w * (q.x - p.x), p.y + w * (q.y - p.y)};
  };
  const Point a1 = mix(a, b, 0, t1, u), a2 = mix(b, c, t1, t2, u), a3 = mix(c, d, t2, t3, u);
  const Point b1 = mix(a1, a2, 0, t2, u), b2 = mix(a2, a3, t1, t3, u);
  return mix(b1, b2, t1, t2, u);
}

}  // namespace

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
  Plane p(static_cast<int>(std::ceil((x1 - x0) * k + 2 * margin)),
          static_cast<int>(std::ceil((y1 - y0) * k + 2 * margin)));
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
  // A segment longer than kCurveStep of the digit is drawn as the curve through its neighbours
  // (centripetal Catmull-Rom: through every point, no loops or cusps). A tablet that samples the
  // pen sparsely gives a "3" of a few straight lines, and the network, which learnt from denser
  // strokes, misreads it: held-out pen digits with every 4th point kept 96.73 -> 97.71 %, every
  // 5th 94.17 -> 96.50 % (docs/reading-numbers.md). Shorter segments — a pad's, and the
  // training and held-out sources' — are drawn as they were: a straight line 0.2 of the digit
  // long strays from a digit's curve by under half a pixel of the 28x28.
  const float step = kCurveStep * (kWorkBox - pen);
  for (const Stroke& s : strokes) {
    if (s.empty()) continue;
    const auto at = [&](std::size_t i) { return Point{(s[i].x - x0) * k + margin, (s[i].y - y0) * k + margin}; };
    Point a = at(0);
    if (s.size() == 1) draw_segment(a.x, a.y, a.x, a.y);
    for (std::size_t i = 1; i < s.size(); ++i) {
      const Point b = at(i);
      const int pieces = static_cast<int>(std::min(64.0f, std::ceil(distance(a, b) / step)));
      if (pieces <= 1 || s.size() < 3) {
        draw_segment(a.x, a.y, b.x, b.y);
      } else {
        // The neighbours beyond the segment's ends (at the stroke's ends: the segment mirrored).
        // Corners are curved too: making sharp turns keep their corner (tried at 75, 110 and 120
        // degrees) lost most of the gain on sparse strokes, whose every turn is sharp.
        const Point before = i >= 2 ? at(i - 2) : Point{2 * a.x - b.x, 2 * a.y - b.y};
        const Point after = i + 1 < s.size() ? at(i + 1) : Point{2 * b.x - a.x, 2 * b.y - a.y};
        Point from = a;
        for (int j = 1; j <= pieces; ++j) {
          const Point to = j == pieces ? b : catmull_rom(before, a, b, after, float(j) / pieces);
          draw_segment(from.x, from.y, to.x, to.y);
          from = to;
        }
      }
      a = b;
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

namespace {

Result<detail::Plane> plane_of(const GrayPlane& ink, const PreprocessOptions& options) {
  if (ink.width <= 0 || ink.height <= 0 ||
      ink.values.size() != static_cast<std::size_t>(ink.width) * static_cast<std::size_t>(ink.height))
    return Error{"ink plane of " + std::to_string(ink.values.size()) + " values is not " + std::to_string(ink.width) +
                 "x" + std::to_string(ink.height)};
  if (static_cast<std::int64_t>(ink.width) * ink.height > options.max_pixels)
    return Error{"ink plane is " + std::to_string(ink.width) + "x" + std::to_string(ink.height) +
                 " pixels, more than the limit of " + std::to_string(options.max_pixels)};
  for (float v : ink.values)
    if (!std::isfinite(v)) return Error{"ink plane values must be finite numbers (0 = paper, 1 = ink)"};
  detail::Plane p(ink.width, ink.height, detail::Plane::Uninitialised{});
  std::copy(ink.values.begin(), ink.values.end(), p.v.begin());
  return p;
}

}  // namespace

Result<Preprocessed> preprocess_ink(const GrayPlane& ink, const PreprocessOptions& options) {
  auto p = plane_of(ink, options);
  if (!p) return Error{p.error()};
  return detail::normalize(p.value(), options);
}

Result<GrayPlane> change_pen_width(const GrayPlane& ink, bool thicker, bool square) {
  auto p = plane_of(ink, PreprocessOptions{});
  if (!p) return Error{p.error()};
  const detail::Plane out = detail::morph_step(p.value(), thicker, square);
  return GrayPlane{out.w, out.h, {out.v.begin(), out.v.end()}};
}

}  // namespace digits
