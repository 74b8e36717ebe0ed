// bench_core: single-digit latency and batch throughput of core (XNNPACK), side by side with
// libtorch running the very same weights in the same process (when built with DIGITS_WITH_TORCH).
// Not a test: it prints a Markdown table for README, then one for preprocessing (what a server
// request costs before the network: PNG decode, ink plane, normalisation; and a set of strokes).
//
//   bench_core [--iterations N]        (make bench also reports the CLI's peak RSS)
//   bench_core --preprocess [--iterations N]   only the preprocessing table
//   bench_core --read [--iterations N]         only the number-reading tables (and the hostile picture)
//   bench_core --layers [--iterations N]       where one inference's time goes, operator by operator
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/weights.h"
#include "files.h"
#include "preprocess_internal.h"
#include "timing.h"

#ifndef __EMSCRIPTEN__
#include <malloc.h>

#include "digits/png.h"  // native only: the browser decodes its own images
#include "png_internal.h"
#endif

#ifdef DIGITS_WITH_TORCH
#include <torch/torch.h>
#endif

namespace {

using timing::Stats;
using timing::throughput;
using timing::time_calls;

// The file's bytes; empty when it cannot be read (each use says what is missing).
std::vector<std::uint8_t> read_file(const std::string& path) {
  auto r = frontend::read_file(path);
  return r ? std::move(r.value()) : std::vector<std::uint8_t>{};
}

// Real inputs: the preprocessed MNIST images of the parity fixture.
std::vector<digits::Image28> fixture_images() {
  auto b = read_file(std::string(DIGITS_SOURCE_DIR) + "/tests/fixtures/reference_logits.bin");
  std::vector<digits::Image28> out;
  if (b.size() < 8) return out;
  std::uint32_t n;
  std::memcpy(&n, b.data() + 4, 4);
  for (std::uint32_t i = 0; i < n && 8 + (i + 1) * 794 * 4 <= b.size(); ++i) {
    digits::Image28 img;
    std::memcpy(img.data(), b.data() + 8 + i * 794 * 4, 784 * 4);
    out.push_back(img);
  }
  return out;
}

#ifdef DIGITS_WITH_TORCH
// The same network in libtorch, from the same blob (BatchNorm already folded).
struct TorchNet {
  std::vector<torch::Tensor> w;
  explicit TorchNet(const digits::WeightsBlob& blob) {
    auto t = [&](const char* name) {
      const auto* x = blob.find(name);
      std::vector<long> dims(x->dims.begin(), x->dims.end());
      return torch::from_blob(const_cast<float*>(x->values.data()), dims).clone();
    };
    for (const char* c : {"conv1", "conv2", "conv3"}) {
      w.push_back(t((std::string(c) + ".weight").c_str()).permute({0, 3, 1, 2}).contiguous());  // OHWI -> OIHW
      w.push_back(t((std::string(c) + ".bias").c_str()));
    }
    // fc1 columns are in HWC order; the libtorch graph flattens NHWC to match.
    w.push_back(t("fc1.weight"));
    w.push_back(t("fc1.bias"));
    w.push_back(t("fc2.weight"));
    w.push_back(t("fc2.bias"));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (int i = 0; i < 3; ++i) x = torch::max_pool2d(torch::relu(torch::conv2d(x, w[2 * i], w[2 * i + 1], 1, 1)), 2);
    x = x.permute({0, 2, 3, 1}).flatten(1);
    x = torch::relu(torch::linear(x, w[6], w[7]));
    return torch::softmax(torch::linear(x, w[8], w[9]), 1);
  }
};
#endif

// Preprocessing, median of `iterations` calls each. The PNG is bench/digit-280.png: the server
// benchmark's request body (bench/server/make_png.py, a 280x280 RGBA canvas export of a 7).
void bench_preprocessing(int iterations) {
  std::printf("\n| preprocessing step | median | p99 |\n|---|---|---|\n");
  auto row = [](const char* name, const Stats& s) {
    std::printf("| %s | %.1f µs | %.1f µs |\n", name, s.median_us, s.p99_us);
    std::fflush(stdout);
  };
#ifndef __EMSCRIPTEN__
  // The allocator as digits-server sets it (server/main.cpp): the 313 kB of decoded pixels stay
  // in the heap. With glibc's moving thresholds instead, whether every decode page-faults
  // depended on the calls before it (30 000 vs 325 000 faults per run for the same code).
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  const auto png = read_file(std::string(DIGITS_SOURCE_DIR) + "/bench/digit-280.png");
  auto decoded = digits::decode_png(png.data(), png.size());
  if (!decoded) {
    std::fprintf(stderr, "bench_core: bench/digit-280.png: %s\n", decoded.error().c_str());
  } else {
    const auto view = decoded.value().view();
    const digits::PreprocessOptions options;
    // Both decoders side by side in this run; decode_png takes the first for this file.
    const auto fast = time_calls(iterations, [&] { digits::detail::decode_png_fast(png.data(), png.size(), 1 << 24); });
    const auto libpng =
        time_calls(iterations, [&] { digits::detail::decode_png_libpng(png.data(), png.size(), 1 << 24); });
    row("decode_png, 280x280 RGBA (4 kB): lodepng + libdeflate", fast);
    row("the same PNG through libpng + zlib", libpng);
    std::printf("| (lodepng + libdeflate / libpng: %.2fx) | | |\n", fast.median_us / libpng.median_us);
    row("ink_plane of it", time_calls(iterations, [&] { digits::detail::ink_plane(view, options); }));
    auto ink = digits::detail::ink_plane(view, options);
    row("normalize of that ink plane",
        time_calls(iterations, [&] { digits::detail::normalize(ink.value(), options); }));
    row("preprocess_image (ink_plane + normalize)",
        time_calls(iterations, [&] { digits::preprocess_image(view, options); }));
    row("**decode_png + preprocess_image** (a PNG request before the network)", time_calls(iterations, [&] {
          auto d = digits::decode_png(png.data(), png.size());
          digits::preprocess_image(d.value().view(), options);
        }));
  }
#endif
  // The same 7 as `digits bench`.
  const std::vector<digits::Stroke> seven = {{{20, 8}, {80, 8}, {62, 40}, {45, 95}}};
  row("preprocess_strokes, a 7 of 4 points", time_calls(iterations, [&] { digits::preprocess_strokes(seven); }));
}

// Reading a number: a 6-digit number's strokes vs one digit's (the same 7), read_strokes and
// predict_strokes side by side, each precision. The target: a 6-digit number under 2x a
// single digit's time.
void bench_reading(int iterations) {
  std::printf(
      "\n| reading | precision | one digit (predict_strokes) | one digit (read_strokes) | 6-digit number "
      "(read_strokes) | ratio |\n");
  std::printf("|---|---|---|---|---|---|\n");
  const std::vector<std::vector<digits::Stroke>> shapes = {
      {{{38, 18}, {54, 5}, {54, 95}}},                        // 1
      {{{60, 5}, {18, 65}, {82, 65}}, {{62, 30}, {62, 95}}},  // 4
      {{{20, 8}, {80, 8}, {62, 40}, {45, 95}}},               // 7
  };
  std::vector<digits::Stroke> number;
  for (int k = 0; k < 6; ++k)
    for (auto st : shapes[k % 3]) {
      for (auto& p : st) p.x += 110.0f * k;
      number.push_back(st);
    }
  const std::vector<digits::Stroke>& seven = shapes[2];
  auto blob = digits::default_model_blob();
  for (auto precision : {digits::Precision::F32, digits::Precision::Int8}) {
    digits::ModelOptions o;
    o.precision = precision;
    auto m = digits::Model::load(blob.first, blob.second, o);
    if (!m) return;
    auto check = m.value().read_strokes(number);
    if (!check || check.value().text != "147147") {
      std::fprintf(stderr, "bench_core: the 6-digit number read as %s\n",
                   check ? check.value().text.c_str() : check.error().c_str());
      return;
    }
    Stats one = time_calls(iterations, [&] { m.value().predict_strokes(seven); });
    Stats one_read = time_calls(iterations, [&] { m.value().read_strokes(seven); });
    Stats six = time_calls(iterations, [&] { m.value().read_strokes(number); });
    std::printf("| digits core | %s | %.1f µs | %.1f µs | %.1f µs | %.2fx |\n",
                precision == digits::Precision::Int8 ? "int8" : "f32", one.median_us, one_read.median_us, six.median_us,
                six.median_us / one.median_us);
    std::fflush(stdout);
  }
}

// The worst picture we know for segmentation (docs/reading-numbers.md): 4096x1200, 120 columns of
// 16 stacked bars among 61 000 one-pixel specks — refused as too many digits, but only after the
// parts are found and grouped. Next to it, the same picture without the specks: what the specks cost.
// Before 2026-12-05's mends the refusal took 12.3 s (46 s with that day's ink rule, before them).
void bench_hostile_picture() {
  const int W = 4096, H = 1200;
  auto picture = [&](bool specks) {
    std::vector<std::uint8_t> px(static_cast<size_t>(W) * H, 0);
    for (int c = 0; c < 120; ++c)
      for (int r = 0; r < 16; ++r)
        for (int y = r * 75; y < r * 75 + 60; ++y) px[static_cast<size_t>(y) * W + 10 + c * 34] = 255;
    for (int y = 2, n = 0; specks && y < H && n < 61000; y += 3)
      for (int c = 0; c < 120 && n < 61000; ++c)
        for (int k = 0; k < 8 && n < 61000; ++k, ++n) px[static_cast<size_t>(y) * W + 10 + c * 34 + 4 + k * 3] = 255;
    return px;
  };
  auto m = digits::Model::load(digits::default_model_blob().first, digits::default_model_blob().second, {});
  if (!m) return;
  std::printf("\n| hostile picture (refused) | median of 3 |\n|---|---|\n");
  for (bool specks : {false, true}) {
    const auto px = picture(specks);
    const Stats s = time_calls(3, [&] { m.value().read_image({px.data(), W, H, digits::PixelFormat::Gray8, 0}); });
    std::printf("| 120 columns of bars%s | %.0f ms |\n", specks ? " among 61 000 specks" : "", s.median_us / 1000);
    std::fflush(stdout);
  }
}

// One inference, operator by operator (Model::profile: XNNPACK's profiler), each precision, next to
// predict()'s own median: the rest is filling the input, reading the output and the runtime's
// own steps. The table issue 14 asks for ("find where the time goes, per layer"); run it under
// node for the WebAssembly builds (node build/wasm/bin/bench_core.js --layers).
int bench_layers(const std::vector<digits::Image28>& images, int iterations) {
  auto blob = digits::default_model_blob();
  for (auto precision : {digits::Precision::F32, digits::Precision::Int8}) {
    digits::ModelOptions o;
    o.precision = precision;
    auto m = digits::Model::load(blob.first, blob.second, o);
    if (!m) {
      std::fprintf(stderr, "bench_core: %s\n", m.error().c_str());
      return 1;
    }
    // Warm up first: under node, V8 compiles hot WebAssembly again with its optimising tier.
    time_calls(iterations, [&] { m.value().predict(images[0]); });
    auto ops = m.value().profile(images[0], iterations);
    if (!ops) {
      std::fprintf(stderr, "bench_core: %s\n", ops.error().c_str());
      return 1;
    }
    const Stats whole = time_calls(iterations, [&] { m.value().predict(images[0]); });
    double sum = 0;
    for (const auto& op : ops.value()) sum += op.microseconds;
    std::printf("\n| %s compute: operator | µs per inference | share |\n|---|---|---|\n",
                precision == digits::Precision::Int8 ? "int8" : "f32");
    for (const auto& op : ops.value())
      std::printf("| %s | %.1f | %.0f %% |\n", op.name.c_str(), op.microseconds,
                  sum > 0 ? 100 * op.microseconds / sum : 0);
    std::printf("| all operators (mean) | %.1f | |\n| predict() (median, the same image) | %.1f | |\n", sum,
                whole.median_us);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 3000;
  bool preprocess_only = false, read_only = false, layers_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--iterations") && i + 1 < argc)
      iterations = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--preprocess"))
      preprocess_only = true;
    else if (!std::strcmp(argv[i], "--read"))
      read_only = true;
    else if (!std::strcmp(argv[i], "--layers"))
      layers_only = true;
  }
  if (preprocess_only) {
    bench_preprocessing(iterations);
    return 0;
  }
  if (read_only) {
    bench_reading(iterations);
    bench_hostile_picture();
    return 0;
  }
  auto images = fixture_images();
  if (images.empty()) {
    std::fprintf(stderr, "bench_core: tests/fixtures/reference_logits.bin is missing\n");
    return 1;
  }
  if (layers_only) return bench_layers(images, iterations);
  constexpr int kBatch = 64;
  std::vector<digits::Image28> batch;
  for (int i = 0; i < kBatch; ++i) batch.push_back(images[i % images.size()]);
  auto blob = digits::default_model_blob();

  std::printf("| engine | threads | single digit median | p99 | batch-64 throughput |\n");
  std::printf("|---|---|---|---|---|\n");
#ifdef __EMSCRIPTEN__
  const int max_threads = 1;
#else
  const int max_threads = 2;
#endif
  for (int threads = 1; threads <= max_threads; ++threads) {
    Stats s;
    double tp = 0;
    for (auto precision : {digits::Precision::F32, digits::Precision::Int8}) {
      digits::ModelOptions o;
      o.threads = threads;
      o.precision = precision;
      auto m = digits::Model::load(blob.first, blob.second, o);
      if (!m) {
        std::fprintf(stderr, "bench_core: %s\n", m.error().c_str());
        return 1;
      }
      size_t k = 0;
      Stats si = time_calls(iterations, [&] { m.value().predict(images[k++ % images.size()]); });
      double tpi = throughput(std::max(20, iterations / 40), kBatch, [&] { m.value().predict_batch(batch); });
      std::printf("| digits core, XNNPACK %s compute (%s blob) | %d | %.1f µs | %.1f µs | %.0f digits/s |\n",
                  precision == digits::Precision::Int8 ? "int8" : "f32", m.value().info().storage.c_str(), threads,
                  si.median_us, si.p99_us, tpi);
      std::fflush(stdout);
      if (precision == digits::Precision::F32 || si.median_us < s.median_us) s = si;  // the faster precision
      tp = std::max(tp, tpi);
    }

#ifdef DIGITS_WITH_TORCH
    auto decoded = digits::decode_weights(blob.first, blob.second);
    TorchNet net(decoded.value());
    torch::set_num_threads(threads);
    torch::InferenceMode guard;
    std::vector<torch::Tensor> singles;
    for (auto& img : images) singles.push_back(torch::from_blob(img.data(), {1, 1, 28, 28}).clone());
    auto tb = torch::empty({kBatch, 1, 28, 28});
    for (int i = 0; i < kBatch; ++i) std::memcpy(tb[i].data_ptr<float>(), batch[i].data(), 784 * 4);
    size_t k = 0;
    Stats ts = time_calls(iterations / 4, [&] { net.forward(singles[k++ % singles.size()]); });
    double ttp = throughput(std::max(10, iterations / 200), kBatch, [&] { net.forward(tb); });
    std::printf("| libtorch %s (same weights) | %d | %.1f µs | %.1f µs | %.0f digits/s |\n", TORCH_VERSION, threads,
                ts.median_us, ts.p99_us, ttp);
    std::printf("| **core (faster precision) / libtorch** | %d | **%.3fx latency** | | **%.1fx throughput** |\n",
                threads, s.median_us / ts.median_us, tp / ttp);
    std::fflush(stdout);
#endif
  }
  bench_preprocessing(iterations);
  bench_reading(iterations / 3);
  bench_hostile_picture();
  return 0;
}
