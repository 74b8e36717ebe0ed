// Real pen digits: the data reader, the PNG renderer, and the shipped models' accuracy on the
// pen sources held out from training (pen::held_out_sources()), through the page's stroke path
// and as PNG uploads of every style. Where the data set is absent, the accuracy tests report
// themselves skipped with the path they looked at.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "digits/digits.h"
#include "digits/png.h"
#include "pen_data.h"
#include "pen_eval.h"
#include "test_util.h"

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

digits::Result<std::vector<pen::Sample>> parse_text(const std::string& s, const pen::Limits& limits = {}) {
  auto b = bytes_of(s);
  return pen::parse(b.data(), b.size(), limits);
}

TEST(PenData, ParsesSamplesAndTheirSource) {
  auto r = parse_text(R"([{"label": 7, "writer": "abc/w01.dat", "strokes": [[[0, 0], [1, 0], [0.4, 1]]]},
                           {"label": 4, "writer": "xyz", "strokes": [[[0, 0], [0, 1]], [[0.5, 0.2], [0.5, 0.8]]]}])");
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r.value().size(), 2u);
  EXPECT_EQ(r.value()[0].label, 7);
  EXPECT_EQ(r.value()[0].source, "abc");
  EXPECT_EQ(r.value()[1].source, "xyz");
  ASSERT_EQ(r.value()[1].strokes.size(), 2u);
  EXPECT_FLOAT_EQ(r.value()[1].strokes[1][0].x, 0.5f);
}

TEST(PenData, MalformedInputIsAnErrorThatNamesTheSample) {
  EXPECT_NE(parse_text("not json").error().find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_text("{}").error().find("array"), std::string::npos);
  auto bad_label =
      parse_text(R"([{"label": 1, "writer": "a/b", "strokes": []}, {"label": 12, "writer": "a/b", "strokes": []}])");
  EXPECT_NE(bad_label.error().find("sample 1"), std::string::npos) << bad_label.error();
  EXPECT_FALSE(parse_text(R"([{"label": 1, "writer": "a/b", "strokes": [[[0]]]}])"));
  EXPECT_FALSE(parse_text(R"([{"label": 1, "writer": 5, "strokes": []}])"));
  pen::Limits tiny;
  tiny.max_samples = 1;
  EXPECT_NE(
      parse_text(R"([{"label": 1, "writer": "a", "strokes": []}, {"label": 1, "writer": "a", "strokes": []}])", tiny)
          .error()
          .find("limit"),
      std::string::npos);
  tiny.max_points = 2;
  tiny.max_samples = 10;
  EXPECT_FALSE(parse_text(R"([{"label": 1, "writer": "a", "strokes": [[[0, 0], [1, 1], [2, 2]]]}])", tiny));
}

TEST(PenData, SeveralZerosSideBySideLookMissegmented) {
  pen::Sample wide{0, "ibm/x", "ibm", {{{0, 0}, {1, 0}, {1, 0.3f}, {0, 0.3f}}}};
  EXPECT_TRUE(pen::looks_missegmented(wide));
  pen::Sample zero{0, "ibm/x", "ibm", {{{0, 0}, {0.7f, 0}, {0.7f, 1}, {0, 1}}}};
  EXPECT_FALSE(pen::looks_missegmented(zero));
  wide.label = 1;  // only zeros are known to be affected
  EXPECT_FALSE(pen::looks_missegmented(wide));
}

// The renderer makes real PNGs in the style asked for, the digit where it was put.
TEST(PenRender, EveryStyleDecodesWithTheInkWhereExpected) {
  const auto seven = testutil::digit_strokes(7);
  for (pen::Ink ink : {pen::Ink::DarkOnLight, pen::Ink::LightOnDark, pen::Ink::OnTransparent}) {
    pen::RenderStyle style;
    style.side = 120;
    style.ink = ink;
    auto png = pen::render_png(seven, style);
    ASSERT_TRUE(png) << png.error();
    auto img = digits::decode_png(png.value().data(), png.value().size());
    ASSERT_TRUE(img) << img.error();
    EXPECT_EQ(img.value().width, 120);
    EXPECT_EQ(img.value().format, digits::PixelFormat::RGBA8);
    const auto& px = img.value().pixels;
    auto at = [&](int x, int y, int c) { return px[(static_cast<size_t>(y) * 120 + x) * 4 + c]; };
    // The corner is paper; the 7's top bar is ink: the 7 spans y 8..95 (87 units) and is drawn
    // 70 % of the canvas tall, centred, so its bar (y = 8) lands at 60 + (8 - 51.5) * 84 / 87.
    const int bar_y = static_cast<int>(std::lround(60 + (8 - 51.5) * 0.7 * 120 / 87));
    if (ink == pen::Ink::OnTransparent) {
      EXPECT_EQ(at(2, 2, 3), 0);
      EXPECT_GT(at(60, bar_y, 3), 200);
    } else {
      const bool light = ink == pen::Ink::DarkOnLight;
      EXPECT_EQ(at(2, 2, 0), light ? 255 : 0);
      EXPECT_EQ(at(2, 2, 3), 255);
      if (light)
        EXPECT_LT(at(60, bar_y, 0), 60);
      else
        EXPECT_GT(at(60, bar_y, 0), 200);
    }
  }
  EXPECT_FALSE(pen::render_png({}, pen::RenderStyle{}));
  EXPECT_FALSE(pen::render_png(seven, pen::RenderStyle{4}));
}

TEST(PenRender, UploadStylesCoverEveryInkAndSize) {
  std::set<int> inks, sides;
  for (std::size_t i = 0; i < 360; ++i) {
    const auto s = pen::upload_style(i);
    inks.insert(static_cast<int>(s.ink));
    sides.insert(s.side);
    EXPECT_GE(s.side, 64);
    EXPECT_LE(s.side, 400);
    // The whole digit stays on the canvas.
    EXPECT_LE(s.extent + s.pen + 2 * std::max(std::fabs(s.dx), std::fabs(s.dy)), 1.0f + 1e-5f) << i;
  }
  EXPECT_EQ(inks.size(), 3u);
  EXPECT_EQ(*sides.begin(), 64);
  EXPECT_EQ(*sides.rbegin(), 400);
}

// ------------------------------------------------------------------------------------------
// Accuracy of the shipped models on the held-out pen sources.
// ------------------------------------------------------------------------------------------

using testutil::pen_data;
using testutil::PenData;

// Floors just under what this model holds (strokes: f32 98.55 %, int8 blob 98.55 %, Int8 compute
// 98.60 %; PNG 98.51 % in each ink, every way), so a regression fails; issue 13's targets are
// 98.5 % and 98 % (models/MODEL_CARD.md). The floors leave three digits (strokes) and ten (PNG)
// for other CPUs' kernels. Int8 must stay within 0.1 points of f32 on both paths.
constexpr double kStrokesTarget = 0.984, kPngTarget = 0.980;

void check_path(pen::Path path, double target) {
  const PenData& d = pen_data();
  if (d.samples.empty()) GTEST_SKIP() << d.missing;
  ASSERT_GT(d.held_out.size(), 1000u) << "the held-out sources are missing from the data set";
  double f32_acc = 0;
  for (auto [blob, precision] :
       {std::pair<const char*, digits::Precision>{"models/digits-f32.dgt", digits::Precision::F32},
        {"models/digits-int8.dgt", digits::Precision::F32},
        {"models/digits-int8.dgt", digits::Precision::Int8}}) {
    digits::Model m = testutil::load_model(blob, precision);
    // The shipped f32 model meets every held-out digit in every ink (the target is per style);
    // the int8 ways, compared with it, take the inks in turns (a third of the work).
    const bool first = f32_acc == 0;
    auto r = pen::evaluate(m, d.samples, d.held_out, path, first ? pen::Inks::Every : pen::Inks::Rotate);
    ASSERT_TRUE(r) << r.error();
    const double acc = r.value().all.accuracy();
    const char* how = precision == digits::Precision::Int8 ? "int8 compute" : "f32 compute";
    std::printf("%s, %s, %s path: %s", blob, how, pen::path_name(path), pen::summary(r.value()).c_str());
    if (first) {
      f32_acc = acc;
      EXPECT_GE(acc, target) << blob << " on the held-out pen sources, " << pen::path_name(path) << " path";
      if (path == pen::Path::Png) {
        EXPECT_EQ(r.value().by_style.size(), 3u) << "dark on light, light on dark, on transparency";
      }
      for (const auto& [style, tally] : r.value().by_style) {
        EXPECT_EQ(tally.n, static_cast<long>(d.held_out.size())) << style << " must meet every held-out digit";
        EXPECT_GE(tally.accuracy(), target) << blob << " on the held-out pen sources as " << style << " PNG";
      }
      // An uncertain answer must be right less often than a confident one.
      EXPECT_LT(r.value().uncertain.accuracy(), r.value().confident.accuracy());
    } else {
      EXPECT_GE(acc, f32_acc - 0.001) << blob << " (" << how << ") must stay within 0.1 points of f32";
    }
  }
}

TEST(PenAccuracy, HeldOutSourcesThroughTheStrokePath) { check_path(pen::Path::Strokes, kStrokesTarget); }
TEST(PenAccuracy, HeldOutSourcesAsPngUploadsOfEveryStyle) { check_path(pen::Path::Png, kPngTarget); }

// The same digits as a tablet sampling four times more sparsely would record them (sources judged
// later may): 97.95 % in Int8 compute, drawn as curves through the points (the model before read
// 97.71 % so, and 96.73 % as straight lines between them, which this floor fails).
TEST(PenAccuracy, HeldOutSourcesSampledFourTimesMoreSparsely) {
  const PenData& d = pen_data();
  if (d.samples.empty()) GTEST_SKIP() << d.missing;
  const std::vector<pen::Sample> sparse = pen::sparser(d.samples, 4);
  digits::Model m = testutil::load_model("models/digits-int8.dgt", digits::Precision::Int8);
  auto r = pen::evaluate(m, sparse, d.held_out, pen::Path::Strokes);
  ASSERT_TRUE(r) << r.error();
  EXPECT_GE(r.value().all.accuracy(), 0.973);
}

// The same digits turned 10 degrees either way (a more or less italic hand, a tilted tablet):
// 97.95 % clockwise and 98.32 % anticlockwise in Int8 compute (upright: 98.60 %). The model
// before 2026-12-06 leaned: 97.20 % clockwise (and 98.32 %), which this floor fails (checked).
TEST(PenAccuracy, HeldOutSourcesTurnedTenDegreesEitherWay) {
  const PenData& d = pen_data();
  if (d.samples.empty()) GTEST_SKIP() << d.missing;
  digits::Model m = testutil::load_model("models/digits-int8.dgt", digits::Precision::Int8);
  for (double degrees : {10.0, -10.0}) {
    auto r = pen::evaluate(m, pen::turned(d.samples, degrees), d.held_out, pen::Path::Strokes);
    ASSERT_TRUE(r) << r.error();
    std::printf("turned %+g degrees: %s", degrees, pen::summary(r.value()).c_str());
    EXPECT_GE(r.value().all.accuracy(), 0.977) << "turned " << degrees << " degrees";
  }
}

TEST(PenData, TurnedTurnsClockwiseAboutTheCentreOfItsBox) {
  // A vertical stroke from (1, 0) down to (1, 4) and a dot at (3, 2): box centre (2, 2).
  pen::Sample s{1, "a/b", "a", {{{1, 0}, {1, 4}}, {{3, 2}}}};
  const pen::Sample q = pen::turned(s, 90);  // a quarter turn clockwise, as seen (y down)
  ASSERT_EQ(q.strokes.size(), 2u);
  EXPECT_NEAR(q.strokes[0][0].x, 4, 1e-5);  // the top goes right...
  EXPECT_NEAR(q.strokes[0][0].y, 1, 1e-5);
  EXPECT_NEAR(q.strokes[0][1].x, 0, 1e-5);  // ...the bottom left
  EXPECT_NEAR(q.strokes[1][0].x, 2, 1e-5);  // the dot, right of the centre, goes below it
  EXPECT_NEAR(q.strokes[1][0].y, 3, 1e-5);
  const pen::Sample t = pen::turned(s, 10);
  EXPECT_GT(t.strokes[0][0].x, 1.3f);               // leaning right: the top moves right
  EXPECT_EQ(pen::turned(s, 0).strokes[0][1].y, 4);  // no turn: the points as they were
}

TEST(PenData, SparserKeepsEveryKthPointAndTheLast) {
  pen::Sample s{3, "a/b", "a", {{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}}, {{7, 7}}}};
  const pen::Sample t = pen::sparser(s, 4);
  ASSERT_EQ(t.strokes.size(), 2u);
  ASSERT_EQ(t.strokes[0].size(), 3u);
  EXPECT_EQ(t.strokes[0][1].x, 4);
  EXPECT_EQ(t.strokes[0][2].x, 5);
  EXPECT_EQ(t.strokes[1].size(), 1u);
  EXPECT_EQ(pen::sparser(s, 1).strokes[0].size(), 6u);
}

}  // namespace
