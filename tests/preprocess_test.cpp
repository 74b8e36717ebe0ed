// Preprocessing properties: the 28x28 the network sees must not depend on where, how big, with
// which pen or in which colours a digit was drawn; no ink means empty; bad input is an error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "digits/digits.h"
#include "test_util.h"

using namespace digits;
using testutil::Style;

namespace {

Preprocessed pre(const testutil::Canvas& c, Style style = Style::LightOnDark) {
  PixelFormat f;
  auto px = testutil::to_pixels(c, style, f);
  auto r = preprocess_image({px.data(), c.w, c.h, f, 0});
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? r.value() : Preprocessed{};
}

Preprocessed draw(int digit, int canvas, float scale, float ox, float oy, float pen, Style style = Style::LightOnDark) {
  return pre(testutil::render(testutil::digit_strokes(digit), canvas, canvas, scale, ox, oy, pen), style);
}

float ink_mass(const Image28& im) {
  float s = 0;
  for (float v : im) s += v;
  return s;
}

}  // namespace

TEST(Preprocess, CentreOfMassIsCentredAndDigitFits20x20) {
  auto p = draw(7, 280, 2.0f, 40, 40, 16);
  ASSERT_FALSE(p.empty);
  double m = 0, cx = 0, cy = 0;
  int x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      float v = p.image[y * 28 + x];
      m += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
      if (v > 0.15f) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  EXPECT_NEAR(cx / m, 14.0, 0.35);
  EXPECT_NEAR(cy / m, 14.0, 0.35);
  EXPECT_LE(std::max(x1 - x0 + 1, y1 - y0 + 1), 22);
  EXPECT_GE(std::max(x1 - x0 + 1, y1 - y0 + 1), 18);
}

TEST(Preprocess, ShiftedDigitGivesTheSameImage) {
  for (int d : {0, 1, 4, 7}) {
    auto a = draw(d, 300, 1.5f, 20, 30, 14);
    auto b = draw(d, 300, 1.5f, 120, 110, 14);  // whole-pixel shift: identical rasterisation
    ASSERT_FALSE(a.empty);
    EXPECT_LT(testutil::max_abs_diff(a.image, b.image), 1e-4f) << "digit " << d;
  }
}

TEST(Preprocess, ScaleFrom0_3To3TimesGivesNearlyTheSameImage) {
  auto base = draw(7, 300, 2.0f, 50, 50, 16);
  for (float k : {0.3f, 0.5f, 2.0f, 3.0f}) {
    const int canvas = static_cast<int>(300 * k) + 20;
    auto v = draw(7, canvas, 2.0f * k, 50 * k, 50 * k, 16 * k);
    ASSERT_FALSE(v.empty) << "scale " << k;
    EXPECT_LT(testutil::mean_abs_diff(base.image, v.image), 0.03f) << "scale " << k;
  }
}

TEST(Preprocess, PenWidthIsNormalised) {
  // A 250 px tall digit drawn with pens from a 3 px hairline to an 80 px marker. Unnormalised,
  // the 28x28 ink mass would differ by 20x; normalisation brings widths into MNIST's band
  // (0.7x..1.6x of its typical stroke), so mass stays within that band too.
  auto mid = draw(4, 300, 2.5f, 25, 25, 20);
  for (float pen : {3.0f, 10.0f, 45.0f, 80.0f}) {
    auto v = draw(4, 300, 2.5f, 25, 25, pen);
    EXPECT_LT(testutil::mean_abs_diff(mid.image, v.image), 0.09f) << "pen " << pen;
    EXPECT_GT(ink_mass(v.image), 0.6f * ink_mass(mid.image)) << "pen " << pen;
    EXPECT_LT(ink_mass(v.image), 2.0f * ink_mass(mid.image)) << "pen " << pen;
  }
}

TEST(Preprocess, InkPolarityAndTransparencyAreDetected) {
  auto c = testutil::render(testutil::digit_strokes(0), 200, 200, 1.6f, 20, 20, 12);
  auto light = pre(c, Style::LightOnDark);
  for (Style s : {Style::DarkOnLight, Style::OpaqueOnTransparent, Style::BlueOnCream}) {
    auto other = pre(c, s);
    ASSERT_FALSE(other.empty);
    EXPECT_LT(testutil::max_abs_diff(light.image, other.image), s == Style::BlueOnCream ? 0.02f : 1e-4f);
  }
}

TEST(Preprocess, StrokesDoNotDependOnCanvasSizeOrPosition) {
  auto strokes = testutil::digit_strokes(4);
  auto a = preprocess_strokes(strokes);
  auto moved = strokes;
  for (auto& s : moved)
    for (auto& p : s) p = {p.x * 7.5f + 1000, p.y * 7.5f - 300};
  auto b = preprocess_strokes(moved);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_FALSE(a.value().empty);
  EXPECT_LT(testutil::max_abs_diff(a.value().image, b.value().image), 1e-3f);
}

TEST(Preprocess, StrokesMatchTheSameDigitDrawnAsAnImage) {
  auto s = preprocess_strokes(testutil::digit_strokes(7));
  auto i = draw(7, 280, 2.2f, 30, 25, 26);
  ASSERT_TRUE(s.ok());
  EXPECT_LT(testutil::mean_abs_diff(s.value().image, i.image), 0.05f);
}

// A tablet that samples the pen sparsely: a "0" (an ellipse) of 7 points is drawn as the curve
// through them, close to the same "0" of 240 points — not as a heptagon.
TEST(Preprocess, SparselySampledStrokesAreDrawnAsCurves) {
  const auto ellipse = [](int n) {
    Stroke s;
    for (int i = 0; i <= n; ++i) {
      const double a = 2 * M_PI * i / n;
      s.push_back({static_cast<float>(50 + 30 * std::cos(a)), static_cast<float>(50 + 45 * std::sin(a))});
    }
    return std::vector<Stroke>{s};
  };
  auto dense = preprocess_strokes(ellipse(240)), sparse = preprocess_strokes(ellipse(7));
  ASSERT_TRUE(dense.ok() && sparse.ok());
  // 0.009 drawn as curves; 0.037 as straight lines.
  EXPECT_LT(testutil::mean_abs_diff(dense.value().image, sparse.value().image), 0.02f);
}

TEST(Preprocess, BlankUniformAndNearEmptyInputsAreEmpty) {
  std::vector<std::uint8_t> black(280 * 280, 0), white(280 * 280, 255), grey(280 * 280, 128);
  for (auto* img : {&black, &white, &grey}) {
    auto r = preprocess_image({img->data(), 280, 280, PixelFormat::Gray8, 0});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value().empty);
  }
  // A speck: two pixels of ink on a large canvas.
  black[140 * 280 + 140] = 255;
  black[140 * 280 + 141] = 200;
  auto speck = preprocess_image({black.data(), 280, 280, PixelFormat::Gray8, 0});
  ASSERT_TRUE(speck.ok());
  EXPECT_TRUE(speck.value().empty);
  // Faint noise below the contrast threshold.
  for (size_t i = 0; i < grey.size(); i += 7) grey[i] = 140;
  auto noise = preprocess_image({grey.data(), 280, 280, PixelFormat::Gray8, 0});
  ASSERT_TRUE(noise.ok());
  EXPECT_TRUE(noise.value().empty);
  // Fully transparent RGBA.
  std::vector<std::uint8_t> clear(64 * 64 * 4, 0);
  auto t = preprocess_image({clear.data(), 64, 64, PixelFormat::RGBA8, 0});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t.value().empty);
  // No strokes, empty strokes, a single dot.
  EXPECT_TRUE(preprocess_strokes({}).value().empty);
  EXPECT_TRUE(preprocess_strokes({{}, {}}).value().empty);
  EXPECT_TRUE(preprocess_strokes({{{5, 5}, {5, 5}}}).value().empty);
}

TEST(Preprocess, BadInputIsAnErrorNotACrash) {
  std::vector<std::uint8_t> px(16, 0);
  EXPECT_FALSE(preprocess_image({nullptr, 4, 4, PixelFormat::Gray8, 0}).ok());
  EXPECT_FALSE(preprocess_image({px.data(), 0, 4, PixelFormat::Gray8, 0}).ok());
  EXPECT_FALSE(preprocess_image({px.data(), -3, 4, PixelFormat::Gray8, 0}).ok());
  EXPECT_FALSE(preprocess_image({px.data(), 4, 4, PixelFormat::Gray8, 2}).ok());  // stride < width
  PreprocessOptions small;
  small.max_pixels = 10;
  auto big = preprocess_image({px.data(), 4, 4, PixelFormat::Gray8, 0}, small);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().find("limit"), std::string::npos);

  auto nan = preprocess_strokes({{{0, 0}, {NAN, 3}}});
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.error().find("not a finite number"), std::string::npos);
  EXPECT_FALSE(preprocess_strokes({{{0, 0}, {INFINITY, 3}}}).ok());
  PreprocessOptions few;
  few.max_points = 3;
  EXPECT_FALSE(preprocess_strokes({{{0, 0}, {1, 1}, {2, 2}, {3, 3}}}, few).ok());
}

// Scribbling back and forth is refused (it is no digit, and drawing cost grows with the ink: a
// 20 000-point zigzag took 380 ms of one core before this limit); drawn digits are far below it.
TEST(Preprocess, ScribblesAreRefusedDigitsAreNot) {
  Stroke zigzag;
  for (int i = 0; i < 200; ++i) zigzag.push_back(i % 2 ? Point{100, 100} : Point{0, 0});
  auto r = preprocess_strokes({zigzag});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("a scribble, not a digit"), std::string::npos) << r.error();
  PreprocessOptions lenient;
  lenient.max_stroke_length = 1000;
  EXPECT_TRUE(preprocess_strokes({zigzag}, lenient).ok());
  for (int d : {0, 1, 7}) EXPECT_TRUE(preprocess_strokes(testutil::digit_strokes(d)).ok()) << d;
}

TEST(Preprocess, HugeCoordinatesStayFinite) {
  auto r = preprocess_strokes({{{-1e30f, 0}, {1e30f, 1e29f}}});
  ASSERT_TRUE(r.ok());
  for (float v : r.value().image) EXPECT_TRUE(std::isfinite(v));
}

// Found by fuzz_strokes: a digit a few denormals wide made the scale to the work box overflow to
// infinity, and the plane size an undefined float-to-int conversion. Such a speck is no digit.
TEST(Preprocess, MicroscopicStrokesAreEmptyNotUndefinedBehaviour) {
  auto r = preprocess_strokes({{{0, 2.35e-41f}, {2.33e-41f, 2.39e-41f}, {2.33e-41f, 3.70e-39f}}});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r.value().empty);
}

// preprocess_ink, the public way in for callers that make their own ink (the trainer): MNIST's
// grey taken as ink normalises to nearly what preprocess_image makes of the picture (which also
// stretches the ink's contrast).
TEST(PreprocessInk, MnistInkNormalisesAsItsImage) {
  const auto& mnist = testutil::mnist_test();
  ASSERT_GE(mnist.images.count, 100);
  float worst = 0;
  for (int i = 0; i < 100; ++i) {
    GrayPlane ink{28, 28, std::vector<float>(784)};
    for (int k = 0; k < 784; ++k) ink.values[k] = mnist.images.pixels[static_cast<size_t>(i) * 784 + k] / 255.0f;
    auto a = preprocess_ink(ink);
    auto b = preprocess_image(mnist.images.view(i));
    ASSERT_TRUE(a.ok() && b.ok()) << i;
    EXPECT_EQ(a.value().empty, b.value().empty) << i;
    worst = std::max(worst, testutil::max_abs_diff(a.value().image, b.value().image));
  }
  std::printf("preprocess_ink vs preprocess_image on 100 MNIST digits: max |difference| %.4f\n", worst);
  EXPECT_LT(worst, 0.02f);  // 0.004 when written: a 1/255 contrast step
}

TEST(PreprocessInk, BadPlanesAreErrorsAndPenWidthChangesTheInk) {
  GrayPlane bar{40, 40, std::vector<float>(1600, 0.0f)};
  for (int y = 8; y < 32; ++y)
    for (int x = 18; x < 22; ++x) bar.values[y * 40 + x] = 1.0f;
  auto sum = [](const GrayPlane& p) {
    double s = 0;
    for (float v : p.values) s += v;
    return s;
  };
  auto thick = change_pen_width(bar, true), thin = change_pen_width(bar, false);
  ASSERT_TRUE(thick.ok() && thin.ok());
  EXPECT_GT(sum(thick.value()), sum(bar));
  EXPECT_LT(sum(thin.value()), sum(bar));
  EXPECT_GT(sum(change_pen_width(bar, true, true).value()), sum(thick.value()));  // 8 neighbours grow more

  GrayPlane short_plane{40, 40, std::vector<float>(1599, 0.0f)};
  auto r = preprocess_ink(short_plane);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("1599 values is not 40x40"), std::string::npos) << r.error();
  EXPECT_FALSE(change_pen_width(short_plane, true).ok());
  GrayPlane nan = bar;
  nan.values[5] = std::nanf("");
  EXPECT_FALSE(preprocess_ink(nan).ok());
  PreprocessOptions small;
  small.max_pixels = 1599;
  EXPECT_FALSE(preprocess_ink(bar, small).ok());
}
