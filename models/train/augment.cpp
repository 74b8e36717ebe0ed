#include "augment.h"

#include <cmath>
#include <vector>

namespace train {

using digits::GrayPlane;

namespace {

constexpr int kCanvas = 48;  // room for a rotated, enlarged 28x28 digit

float sample(const GrayPlane& p, float x, float y) {  // bilinear, paper outside
  x -= 0.5f;
  y -= 0.5f;
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  const float fx = x - x0, fy = y - y0;
  auto at = [&](int xx, int yy) {
    return (xx < 0 || yy < 0 || xx >= p.width || yy >= p.height) ? 0.0f
                                                                 : p.values[static_cast<size_t>(yy) * p.width + xx];
  };
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
         fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

void gaussian_blur(std::vector<float>& f, int n, float sigma) {
  const int r = static_cast<int>(std::ceil(3 * sigma));
  std::vector<float> k(2 * r + 1);
  float sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = std::exp(-0.5f * i * i / (sigma * sigma));
  for (float& v : k) v /= sum;
  std::vector<float> tmp(f.size());
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float a = 0;
      for (int i = -r; i <= r; ++i) {
        int xx = std::min(n - 1, std::max(0, x + i));
        a += k[i + r] * f[y * n + xx];
      }
      tmp[y * n + x] = a;
    }
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float a = 0;
      for (int i = -r; i <= r; ++i) {
        int yy = std::min(n - 1, std::max(0, y + i));
        a += k[i + r] * tmp[yy * n + x];
      }
      f[y * n + x] = a;
    }
}

GrayPlane from_mnist(const std::uint8_t* px) {
  GrayPlane p{28, 28, std::vector<float>(28 * 28)};
  for (int i = 0; i < 28 * 28; ++i) p.values[i] = px[i] / 255.0f;
  return p;
}

digits::Image28 finish(const GrayPlane& p, const std::uint8_t* fallback) {
  auto r = digits::preprocess_ink(p);
  if (r && !r.value().empty) return r.value().image;
  return preprocess_plain(fallback);
}

}  // namespace

digits::Image28 preprocess_plain(const std::uint8_t* mnist28) {
  auto r = digits::preprocess_ink(from_mnist(mnist28));
  if (r && !r.value().empty) return r.value().image;
  digits::Image28 raw{};
  for (int i = 0; i < 28 * 28; ++i) raw[i] = mnist28[i] / 255.0f;
  return raw;
}

digits::Image28 augment(const std::uint8_t* mnist28, std::mt19937& rng, const AugmentOptions& o) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), p01(0.0f, 1.0f);
  const GrayPlane src = from_mnist(mnist28);

  // Forward transform A = R * Shear * Scale; we need its inverse to sample.
  const float th = u(rng) * o.max_rotation_deg * 3.14159265f / 180.0f;
  const float sh = u(rng) * o.max_shear;
  const float sx = 1 + u(rng) * o.max_aspect, sy = 1 + u(rng) * o.max_aspect;
  const float c = std::cos(th), s = std::sin(th);
  // A = [[c,-s],[s,c]] * [[1,sh],[0,1]] * [[sx,0],[0,sy]]
  const float a00 = c * sx, a01 = (c * sh - s) * sy, a10 = s * sx, a11 = (s * sh + c) * sy;
  const float det = a00 * a11 - a01 * a10;
  const float i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det;
  const float tx = u(rng) * 2, ty = u(rng) * 2;

  std::vector<float> dxf(kCanvas * kCanvas, 0.0f), dyf(kCanvas * kCanvas, 0.0f);
  if (p01(rng) < o.elastic_probability) {
    for (auto& v : dxf) v = u(rng);
    for (auto& v : dyf) v = u(rng);
    gaussian_blur(dxf, kCanvas, o.elastic_sigma);
    gaussian_blur(dyf, kCanvas, o.elastic_sigma);
    float peak = 1e-6f;
    for (size_t i = 0; i < dxf.size(); ++i) peak = std::max(peak, std::max(std::fabs(dxf[i]), std::fabs(dyf[i])));
    const float k = o.elastic_alpha * p01(rng) / peak;
    for (size_t i = 0; i < dxf.size(); ++i) {
      dxf[i] *= k;
      dyf[i] *= k;
    }
  }

  GrayPlane out{kCanvas, kCanvas, std::vector<float>(kCanvas * kCanvas)};
  for (int y = 0; y < kCanvas; ++y)
    for (int x = 0; x < kCanvas; ++x) {
      const float px = x + 0.5f - kCanvas / 2.0f - tx + dxf[y * kCanvas + x];
      const float py = y + 0.5f - kCanvas / 2.0f - ty + dyf[y * kCanvas + x];
      out.values[static_cast<size_t>(y) * kCanvas + x] =
          sample(src, i00 * px + i01 * py + 14.0f, i10 * px + i11 * py + 14.0f);
    }

  const float t = p01(rng);
  if (t < o.thicken_probability) {
    out = digits::change_pen_width(out, true).value();  // a 48x48 plane of 0..1 values: cannot fail
  } else if (t < o.thicken_probability + o.thin_probability) {
    const GrayPlane thin = digits::change_pen_width(out, false).value();
    for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = 0.5f * (out.values[i] + thin.values[i]);
  }
  return finish(out, mnist28);
}

}  // namespace train
