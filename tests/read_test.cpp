// Reading whole numbers: segmentation (strokes and images), a single digit answering exactly as
// before, limits, and accuracy on synthetic numbers made of digits the model never trained on —
// MNIST test images, and pen digits of the held-out sources' writers, as strokes and as PNG uploads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "digits/digits.h"
#include "numbers.h"
#include "pen_data.h"
#include "test_util.h"

namespace {

digits::Model& model() {
  static digits::Model m = testutil::load_model("models/digits-f32.dgt");
  return m;
}

// Strokes of a careful digit (0, 1, 4, 7) moved right by `dx` (the digit box is 0..100).
std::vector<digits::Stroke> shifted(int d, float dx, float dy = 0) {
  auto s = testutil::digit_strokes(d);
  for (auto& st : s)
    for (auto& p : st) p.x += dx, p.y += dy;
  return s;
}

std::vector<digits::Stroke> concat(std::vector<std::vector<digits::Stroke>> parts) {
  std::vector<digits::Stroke> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(ReadStrokes, ASingleDigitAnswersExactlyAsPredictStrokes) {
  for (int d : {0, 1, 4, 7}) {
    auto strokes = testutil::digit_strokes(d);
    auto one = model().predict_strokes(strokes);
    auto r = model().read_strokes(strokes);
    ASSERT_TRUE(one && r) << r.error();
    ASSERT_EQ(r.value().digits.size(), 1u) << d;
    EXPECT_EQ(r.value().text, std::to_string(one.value().digit));
    EXPECT_EQ(std::memcmp(r.value().digits[0].prediction.probabilities.data(), one.value().probabilities.data(),
                          sizeof(float) * 10),
              0);
    EXPECT_FALSE(r.value().empty);
  }
}

TEST(ReadStrokes, GroupsStrokesIntoDigitsLeftToRight) {
  // "1 4 7 0" with the 4's stem and a bar on the 7 written last, after the 0.
  auto four = shifted(4, 120);
  auto stem = four.back();
  four.pop_back();
  const std::vector<digits::Stroke> bar{{{240 + 40, 55}, {240 + 75, 55}}};
  auto strokes = concat({shifted(1, 0), four, shifted(7, 240), shifted(0, 360), {stem}, bar});
  auto r = model().read_strokes(strokes);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1470");
  ASSERT_EQ(r.value().digits.size(), 4u);
  EXPECT_EQ(r.value().digits[1].strokes, (std::vector<int>{1, 4}));  // the 4 and its late stem
  EXPECT_EQ(r.value().digits[2].strokes, (std::vector<int>{2, 5}));  // the 7 and its late bar
  EXPECT_NEAR(r.value().digits[3].box.x, 360 + 22, 1);
  EXPECT_NEAR(r.value().digits[3].box.width, 56, 1);
  // Each digit reads as it would alone.
  auto alone = model().predict_strokes(shifted(0, 360));
  EXPECT_EQ(std::memcmp(r.value().digits[3].prediction.probabilities.data(), alone.value().probabilities.data(),
                        sizeof(float) * 10),
            0);
}

TEST(ReadStrokes, APartOfADigitWrittenApartJoinsIt) {
  // "1 4 1" with a wide "4" whose bar stops short of its stem (a gap of a tenth of its height):
  // the bar alone reads as a confident "4" or "6", the stem as a confident "1". The bar is shorter
  // than the writing's digits, so it is a part, not a digit of its own.
  const std::vector<digits::Stroke> four{{{40, 10}, {-25, 62}, {61, 62}}, {{70, 20}, {70, 95}}};
  std::vector<digits::Stroke> shifted_four = four;
  for (auto& st : shifted_four)
    for (auto& p : st) p.x += 120;
  auto r = model().read_strokes(concat({shifted(1, 0), shifted_four, shifted(1, 240)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "141");
  ASSERT_EQ(r.value().digits.size(), 3u);
  EXPECT_EQ(r.value().digits[1].strokes, (std::vector<int>{1, 2}));
}

TEST(ReadStrokes, AFourWrittenAsAHookAndAStemAGapApartIsOneDigit) {
  // "4 4" as one held-out writer writes them: a hook (down, then along to the right) and, a fifth
  // of the digit's height to its right, the stem. The hook is shorter than the digits and its
  // foot floats at mid-height, so it is a part of the digit next to it, not a digit — even a
  // gap apart (read "41" or "61" when a part had to be within 0.15 heights of its digit).
  const std::vector<digits::Stroke> four{{{12, 5}, {5, 50}, {50, 52}}, {{70, 10}, {68, 95}}};
  std::vector<digits::Stroke> strokes = four;
  for (auto st : four) {
    for (auto& p : st) p.x += 140;
    strokes.push_back(st);
  }
  auto r = model().read_strokes(strokes);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "44");
  ASSERT_EQ(r.value().digits.size(), 2u);
  EXPECT_EQ(r.value().digits[0].strokes, (std::vector<int>{0, 1}));
}

TEST(ReadStrokes, APartBetweenTwoDigitsJoinsTheOneItCompletes) {
  // "1 4" with the 4's bar written first, its left end just after the 1 and its stem to the right:
  // the bar is a part next to both. Joined left to right first, "1" + bar read as a confident
  // "4", and the stem alone as "1" ("41"); the bar and its stem read better still, as "4".
  const float s = 85;
  const std::vector<digits::Stroke> strokes{
      {{38, 18}, {54, 5}, {54, 95}}, {{s + 40, 10}, {s - 25, 62}, {s + 61, 62}}, {{s + 70, 20}, {s + 70, 95}}};
  auto r = model().read_strokes(strokes);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "14");
  ASSERT_EQ(r.value().digits.size(), 2u);
  EXPECT_EQ(r.value().digits[1].strokes, (std::vector<int>{1, 2}));
}

TEST(ReadStrokes, AFlagReachingFarPastItsFiveJoinsIt) {
  // "5 1": the 5's flag written apart, flat, starting over the right of its bowl and reaching
  // far past it (the digit 1.6 times as wide as tall, as some training writers make theirs: the
  // flag barely overlaps the body, so segmentation leaves them two marks). Alone, the flag reads
  // as a confident digit of its own; the two are wider than a digit's part may otherwise make a
  // digit (1.4 heights), but a flat stroke over the top of a mark is a flag or a bar.
  const std::vector<digits::Stroke> strokes{
      {{20, 12}, {18, 50}, {45, 45}, {68, 55}, {72, 75}, {60, 92}, {35, 96}, {12, 88}},
      {{66, 8}, {110, 6}, {165, 4}},
      {{300, 5}, {300, 96}}};
  auto flag = model().predict_strokes({strokes[1]});
  ASSERT_TRUE(flag) << flag.error();
  EXPECT_GT(flag.value().confidence, 0.5f) << "the flag alone should read as some digit";
  auto r = model().read_strokes(strokes);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "51");
  ASSERT_EQ(r.value().digits.size(), 2u);
  EXPECT_EQ(r.value().digits[0].strokes, (std::vector<int>{0, 1}));
}

TEST(ReadStrokes, SlantedDigitsThatOverlapInXAreStillApart) {
  // Italic "11": each "1" leans right by 0.5 x per y, so their x ranges overlap, upright not.
  std::vector<digits::Stroke> strokes;
  for (float x : {0.0f, 40.0f}) strokes.push_back({{x + 50, 0}, {x, 100}});
  auto r = model().read_strokes(strokes);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().digits.size(), 2u);
}

// A dot of a few points around (x, y), as a pen tap leaves it; a comma as a short stroke down-left.
digits::Stroke dot(float x, float y) { return {{x, y}, {x + 3, y + 1}, {x + 1, y + 3}, {x - 2, y + 1}}; }
digits::Stroke comma(float x, float y) { return {{x + 2, y}, {x + 1, y + 8}, {x - 3, y + 18}}; }

TEST(ReadStrokes, APointOrACommaLowBetweenDigitsIsASeparator) {
  // "10.47" and "1,007": a mark low in the gap is no part of a digit (the digits read as alone).
  auto r =
      model().read_strokes(concat({shifted(1, 0), shifted(0, 120), {dot(232, 96)}, shifted(4, 260), shifted(7, 380)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "10.47");
  ASSERT_EQ(r.value().digits.size(), 4u);
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_EQ(r.value().separators[0].symbol, '.');
  EXPECT_EQ(r.value().separators[0].after, 1);
  EXPECT_NEAR(r.value().separators[0].box.x, 230, 1);
  EXPECT_NEAR(r.value().separators[0].box.width, 5, 1);
  auto alone = model().predict_strokes(shifted(4, 260));
  EXPECT_EQ(std::memcmp(r.value().digits[2].prediction.probabilities.data(), alone.value().probabilities.data(),
                        sizeof(float) * 10),
            0);
  r = model().read_strokes(
      concat({shifted(1, 0), {comma(110, 92)}, shifted(0, 140), shifted(0, 260), shifted(7, 380)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1,007");
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_EQ(r.value().separators[0].after, 0);
  // A comma that ends on the baseline is still a comma by its shape: a tick taller than wide, over
  // a tenth of a line long.
  r = model().read_strokes(
      concat({shifted(1, 0), {comma(110, 78)}, shifted(0, 140), shifted(0, 260), shifted(7, 380)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1,007");
  // The same dot at mid-height, or right at the foot of a digit, is not a separator.
  for (const auto& d : {dot(232, 50), dot(200, 96)}) {
    r = model().read_strokes(concat({shifted(1, 0), shifted(0, 120), {d}, shifted(4, 260), shifted(7, 380)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_TRUE(r.value().separators.empty()) << r.value().text;
    EXPECT_EQ(r.value().text.find_first_of(".,"), std::string::npos) << r.value().text;
  }
}

TEST(ReadStrokes, AMarkUnderANeighboursOverhangIsInTheGap) {
  // What counts is the digits' ink at the mark's height, not their boxes: "1.7" with the point
  // under the 7's bar, and "1-7" with the hyphen under it, read so.
  auto r = model().read_strokes(concat({shifted(1, 0), {dot(125, 94)}, shifted(7, 100)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1.7");
  r = model().read_strokes(concat({shifted(1, 0), {{{70, 55}, {89, 56}, {108, 55}}}, shifted(7, 80)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1-7");
  // Even when the hyphen overlaps the 7's box by over 40 % of its length (which makes two strokes
  // one digit): it stands clear of the 7's ink at its height.
  r = model().read_strokes(concat({shifted(1, 0), {{{76, 55}, {95, 56}, {114, 55}}}, shifted(7, 70)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1-7");
  // Or the box of a "1"'s base written apart, reaching under the hyphen (a flat stroke too).
  r = model().read_strokes(
      concat({shifted(1, 0), {{{30, 96}, {70, 96}, {110, 96}}}, {{{75, 55}, {90, 56}, {105, 55}}}, shifted(4, 140)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1-4");
  // Not a point: a dot within a digit's ink at its height (inside the 0), or close to the foot of
  // the digit whose box it is in (a pen-down tick: 0.1 of a line clear is needed there, not 0.03).
  for (const auto& strokes : {concat({shifted(1, 0), shifted(0, 120), {dot(170, 84)}, shifted(4, 240)}),
                              concat({shifted(1, 0), shifted(7, 100), {dot(138, 93)}, shifted(4, 240)})}) {
    r = model().read_strokes(strokes);
    ASSERT_TRUE(r) << r.error();
    EXPECT_TRUE(r.value().separators.empty()) << r.value().text;
  }
}

TEST(ReadStrokes, SeparatorsComeLeftToRightWhateverOrderTheyWereWrittenIn) {
  // "1,000.47" with its point and comma added after the digits, the point first.
  auto r = model().read_strokes(concat({shifted(1, 0),
                                        shifted(0, 140),
                                        shifted(0, 260),
                                        shifted(0, 380),
                                        shifted(4, 520),
                                        shifted(7, 640),
                                        {dot(492, 96)},
                                        {comma(110, 92)}}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1,000.47");
  ASSERT_EQ(r.value().separators.size(), 2u);
  EXPECT_EQ(r.value().separators[0].symbol, ',');
  EXPECT_EQ(r.value().separators[0].after, 0);
  EXPECT_EQ(r.value().separators[1].symbol, '.');
  EXPECT_EQ(r.value().separators[1].after, 3);
}

TEST(ReadStrokes, TwoDotsOneOverTheOtherInAGapAreAColon) {
  // "14:07", a time: its lower dot alone would be a decimal point ("14.07"), its upper one a speck.
  for (const auto& [upper, lower] : std::vector<std::pair<float, float>>{{35, 80}, {20, 60}, {40, 88}}) {
    auto r = model().read_strokes(
        concat({shifted(1, 0), shifted(4, 120), {dot(232, upper), dot(233, lower)}, shifted(0, 260), shifted(7, 380)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().text, "14:07") << upper << ", " << lower;
    ASSERT_EQ(r.value().separators.size(), 1u);
    EXPECT_EQ(r.value().separators[0].symbol, ':');
    EXPECT_EQ(r.value().separators[0].after, 1);
    EXPECT_NEAR(r.value().separators[0].box.y, upper, 1);  // around both dots
    EXPECT_NEAR(r.value().separators[0].box.height, lower - upper + 3, 1);
  }
  // Dots too close together, or both low, are no colon: a point and a speck near it at most.
  for (const auto& [upper, lower] : std::vector<std::pair<float, float>>{{78, 88}, {60, 90}}) {
    auto r = model().read_strokes(
        concat({shifted(1, 0), shifted(4, 120), {dot(232, upper), dot(233, lower)}, shifted(0, 260), shifted(7, 380)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().text.find(':'), std::string::npos) << r.value().text;
  }
}

TEST(ReadStrokes, AFlatMarkAtMidHeightBetweenDigitsIsAHyphen) {
  // "14-07", a date or a phone number: alone, the network reads the dash as a "1" ("14107").
  for (const auto& [x0, x1, y] : std::vector<std::tuple<float, float, float>>{{215, 250, 55}, {205, 258, 40}}) {
    auto r = model().read_strokes(concat({shifted(1, 0),
                                          shifted(4, 100),
                                          {{{x0, y}, {(x0 + x1) / 2, y + 1}, {x1, y}}},
                                          shifted(0, 260),
                                          shifted(7, 360)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().text, "14-07") << x0 << ", " << y;
    ASSERT_EQ(r.value().separators.size(), 1u);
    EXPECT_EQ(r.value().separators[0].symbol, '-');
    EXPECT_EQ(r.value().separators[0].after, 1);
    EXPECT_NEAR(r.value().separators[0].box.width, x1 - x0, 1);
  }
  // Not a hyphen: the same dash touching a digit, near the top (a "1"'s flag written apart), at
  // the foot, or steep.
  for (const digits::Stroke& d : std::vector<digits::Stroke>{
           {{175, 55}, {250, 55}}, {{215, 12}, {250, 12}}, {{215, 94}, {250, 94}}, {{215, 45}, {250, 60}}}) {
    auto r = model().read_strokes(concat({shifted(1, 0), shifted(4, 100), {d}, shifted(0, 260), shifted(7, 360)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().text.find('-'), std::string::npos) << r.value().text;
  }
}

TEST(ReadStrokes, AFoursBarBetweenAHookAboveTheLineAndItsStemIsNoHyphen) {
  // A "4" in three strokes whose bar touches neither the hook nor the stem (a held-out writer's,
  // `gresai34`): the hook ends well above the stem's foot, so it is no digit on the line, and the
  // bar is no hyphen between digits. It read "1-1".
  const std::vector<digits::Stroke> four{
      {{15, 0}, {8, 35}, {0, 69}}, {{14, 41}, {40, 38}, {65, 36}}, {{72, 15}, {68, 58}, {63, 100}}};
  auto r = model().read_strokes(four);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "4");
  // The same bar between two 1s standing on one line is a hyphen.
  auto ones = model().read_strokes({{{2, 0}, {0, 100}}, {{14, 41}, {40, 38}, {65, 36}}, {{72, 0}, {70, 100}}});
  ASSERT_TRUE(ones) << ones.error();
  EXPECT_EQ(ones.value().text, "1-1");
}

TEST(ReadStrokes, ADashBeforeTheFirstDigitIsAMinusSign) {
  // "-14": alone, the network reads the sign as a "1" ("114").
  const digits::Stroke minus{{-50, 55}, {-25, 56}, {0, 55}};
  auto r = model().read_strokes(concat({{minus}, shifted(1, 0), shifted(4, 100)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "-14");
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_EQ(r.value().separators[0].symbol, '-');
  EXPECT_EQ(r.value().separators[0].after, -1);
  // "-7": one digit with a sign is no single digit: the 7 is read from its own strokes.
  r = model().read_strokes(concat({{minus}, shifted(7, 0)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "-7");
  ASSERT_EQ(r.value().digits.size(), 1u);
  EXPECT_EQ(r.value().digits[0].strokes, (std::vector<int>{1}));
  auto alone = model().predict_strokes(shifted(7, 0));
  EXPECT_EQ(std::memcmp(r.value().digits[0].prediction.probabilities.data(), alone.value().probabilities.data(),
                        sizeof(float) * 10),
            0);
  // Not a sign: far before the digits, high (a flag), or with a digit before it (a hyphen).
  for (const digits::Stroke& d : std::vector<digits::Stroke>{{{-250, 55}, {-200, 55}}, {{-50, 10}, {0, 10}}}) {
    r = model().read_strokes(concat({{d}, shifted(1, 0), shifted(4, 100)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().text.find('-'), std::string::npos) << r.value().text;
  }
  r = model().read_strokes(concat({shifted(7, -160), {minus}, shifted(1, 0), shifted(4, 100)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "7-14");
}

TEST(ReadStrokes, APointLowBeforeTheFirstDigitIsADecimalPoint) {
  // ".75": the point used to join the 7, silently — "75", ten times what was written.
  const digits::Stroke point{{-20, 92}, {-17, 94}, {-19, 96}};
  auto r = model().read_strokes(concat({{point}, shifted(7, 0), shifted(4, 100)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, ".74");
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_EQ(r.value().separators[0].symbol, '.');
  EXPECT_EQ(r.value().separators[0].after, -1);
  // Not a point: at mid-height (a speck), touching the digit's box (a pen-down tick), far before
  // the digits, or big (a digit).
  for (const digits::Stroke& d : std::vector<digits::Stroke>{
           {{-20, 50}, {-17, 52}, {-19, 54}}, {{18, 92}, {21, 94}, {19, 96}}, {{-220, 92}, {-217, 94}, {-219, 96}}}) {
    r = model().read_strokes(concat({{d}, shifted(7, 0), shifted(4, 100)}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r.value().text, "74") << d[0].x << "," << d[0].y;
  }
  // A point between digits is as before.
  r = model().read_strokes(concat({shifted(7, 0), {{{118, 92}, {121, 94}, {119, 96}}}, shifted(4, 140)}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "7.4");
}

TEST(ReadStrokes, EmptyInputAndLimits) {
  auto none = model().read_strokes({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none.value().empty);
  EXPECT_EQ(none.value().text, "");
  std::vector<digits::Stroke> many;
  for (int i = 0; i < 33; ++i) many.push_back({{i * 60.0f, 0}, {i * 60.0f, 100}});
  auto r = model().read_strokes(many);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("more than the limit of 32"), std::string::npos) << r.error();
  digits::ReadOptions wider;
  wider.max_digits = 40;
  auto ok = model().read_strokes(many, wider);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok.value().text, std::string(33, '1'));
  // As many points and commas as digits, at most: 33 dots in one gap are refused too.
  std::vector<digits::Stroke> dots = concat({shifted(1, 0), shifted(0, 240)});
  for (int i = 0; i < 33; ++i) dots.push_back(dot(70 + 5.0f * i, 96));
  r = model().read_strokes(dots);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("33 points, commas, colons or hyphens, more than the limit of 32"), std::string::npos)
      << r.error();
  dots.resize(2 + 32);
  r = model().read_strokes(dots);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "1" + std::string(32, '.') + "0");
  // Preprocessing's own limits still apply, with their message.
  auto bad = model().read_strokes({{{0, 0}, {NAN, 1}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("not a finite number"), std::string::npos);
}

// A "5" whose flag floats clear of its body still reads as two digits 4 times in these 500 (a
// known failure: the network reads the flag alone as a confident "1" or "2"); every one read as
// one digit answers exactly as predict_image does.
TEST(ReadImage, ASingleMnistDigitAnswersExactlyAsPredictImage) {
  const auto& m = testutil::mnist_test();
  ASSERT_GT(m.images.count, 0);
  int split = 0;
  for (int i = 0; i < 500; ++i) {
    auto one = model().predict_image(m.images.view(i));
    auto r = model().read_image(m.images.view(i));
    ASSERT_TRUE(one && r);
    if (r.value().digits.size() != 1) {
      ++split;
      continue;
    }
    ASSERT_EQ(std::memcmp(r.value().digits[0].prediction.probabilities.data(), one.value().probabilities.data(),
                          sizeof(float) * 10),
              0)
        << i;
    EXPECT_EQ(r.value().digits[0].prediction.uncertain, one.value().uncertain) << i;
  }
  std::printf("MNIST test digits 0-499 read as more than one digit: %d\n", split);
  // Measured 1 (a digit the network is unsure of, cut where its halves read best; 4 — "5"s whose
  // flag floats clear — before wide parts were left to the network and floating parts joined on a
  // lower bar). Of all 10 000, 19 (17 of them right alone).
  EXPECT_LE(split, 2);
}

// Strokes drawn dark on light into a w x h picture (offset ox, oy; pen in pixels), then read.
digits::Result<digits::Reading> read_drawing(const std::vector<digits::Stroke>& strokes, int w, int h, float ox,
                                             float oy, float pen, const std::vector<std::pair<int, int>>& specks = {}) {
  const auto canvas = testutil::render(strokes, w, h, 1.0f, ox, oy, pen);
  digits::PixelFormat format;
  auto px = testutil::to_pixels(canvas, testutil::Style::DarkOnLight, format);
  EXPECT_EQ(format, digits::PixelFormat::Gray8);
  for (const auto& [x, y] : specks) px[static_cast<std::size_t>(y) * w + x] = 0;  // one dark pixel each
  return model().read_image({px.data(), w, h, format, 0});
}

TEST(ReadImage, FlatZerosAreNotCutInTwo) {
  // "00" in zeros twice as wide as tall (some writers make them so): each is one ink part wide
  // enough to be two digits, but every column of its middle is crossed by two strokes — no place
  // thin enough to be where two digits touch.
  digits::Stroke flat;
  for (int i = 0; i <= 60; ++i) {
    const float t = 6.2831853f * i / 60;
    flat.push_back({50 + 48 * std::sin(t), 50 - 24 * std::cos(t)});
  }
  std::vector<digits::Stroke> strokes{flat, flat};
  for (auto& p : strokes[1]) p.x += 120;
  auto r = read_drawing(strokes, 300, 120, 15, 10, 4);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "00");
}

TEST(ReadImage, AWideDigitReadSurelyIsNotCut) {
  // "5 1" where the 5's flag, drawn in one stroke with its body, reaches far to the right: one ink
  // part 1.8 times as wide as tall, thin where the flag leaves the body. The network reads it a
  // sure "5", so it stays whole (it is flagged `touching`, being wider than a digit); cut where
  // thinnest, as every part over 1.3 heights was, it read "5" and a "7" or "1".
  const std::vector<digits::Stroke> strokes{
      {{165, 4}, {110, 6}, {66, 8}, {20, 12}, {18, 50}, {45, 45}, {68, 55}, {72, 75}, {60, 92}, {35, 96}, {12, 88}},
      {{240, 5}, {240, 96}}};
  auto r = read_drawing(strokes, 320, 130, 15, 15, 7);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "51");
}

TEST(ReadImage, APointUnderASevensBarIsMeasuredFromTheStrokesNotTheirEdges) {
  // "7.1" drawn with an 8-pixel pen, the point under the 7's bar: its clearance from the 7's foot
  // is the strokes' (as with strokes), so the pen's width is not counted against it.
  auto r =
      read_drawing(concat({shifted(7, 0), {{{68, 92}, {70, 93}, {68, 94}}}, shifted(1, 100)}), 260, 140, 15, 15, 8);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "7.1");
  // Closer to the foot it is a tick of the 7, not a point.
  r = read_drawing(concat({shifted(7, 0), {{{58, 92}, {60, 93}, {58, 94}}}, shifted(1, 100)}), 260, 140, 15, 15, 8);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "71");
}

TEST(ReadImage, APointLowBetweenDigitsIsASeparator) {
  // "10.47" drawn with a 5-pixel pen: the dot is a blob of the pen's width in the gap.
  auto strokes = concat({shifted(1, 0), shifted(0, 120), {dot(232, 96)}, shifted(4, 260), shifted(7, 380)});
  auto r = read_drawing(strokes, 520, 140, 15, 15, 5);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "10.47");
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_NEAR(r.value().separators[0].box.x, 15 + 230 - 2.5f, 2);
  // A speck thinner than the pen at the same place is noise, not a point.
  r = read_drawing(concat({shifted(1, 0), shifted(0, 120), shifted(4, 260), shifted(7, 380)}), 520, 140, 15, 15, 5,
                   {{15 + 232, 15 + 98}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r.value().separators.empty()) << r.value().text;
  EXPECT_EQ(r.value().digits.size(), 4u) << r.value().text;
}

TEST(ReadImage, TwoDotsOneOverTheOtherInAGapAreAColon) {
  auto strokes =
      concat({shifted(1, 0), shifted(4, 120), {dot(232, 35), dot(232, 80)}, shifted(0, 260), shifted(7, 380)});
  auto r = read_drawing(strokes, 520, 140, 15, 15, 5);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "14:07");
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_EQ(r.value().separators[0].symbol, ':');
  EXPECT_NEAR(r.value().separators[0].box.y, 15 + 35 - 2.5f, 2);
  // A speck thinner than the pen in the same gap (scanner noise) is no third mark there: the
  // colon stands. (It used to count, and a gap of three marks holds no colon: "14.07".)
  r = read_drawing(strokes, 520, 140, 15, 15, 5, {{15 + 236, 15 + 60}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "14:07");
}

TEST(ReadImage, AFlatMarkAtMidHeightBetweenDigitsIsAHyphen) {
  auto strokes =
      concat({shifted(1, 0), shifted(4, 100), {{{215, 55}, {232, 56}, {250, 55}}}, shifted(0, 260), shifted(7, 360)});
  auto r = read_drawing(strokes, 500, 140, 15, 15, 5);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "14-07");
  ASSERT_EQ(r.value().separators.size(), 1u);
  EXPECT_EQ(r.value().separators[0].symbol, '-');
}

TEST(ReadImage, ADashBeforeTheFirstDigitIsAMinusSign) {
  auto r =
      read_drawing(concat({{{{10, 55}, {35, 56}, {60, 55}}}, shifted(1, 60), shifted(4, 160)}), 320, 140, 15, 15, 5);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "-14");
  // A short sign drawn with a thick pen, under 3 pens long (a hyphen needs 3; a sign 2).
  r = read_drawing(concat({{{{36, 55}, {45, 56}, {54, 55}}}, shifted(1, 60), shifted(4, 160)}), 320, 140, 15, 15, 8);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, "-14");
}

TEST(ReadImage, APointLowBeforeTheFirstDigitIsADecimalPoint) {
  auto r = read_drawing(concat({{{{35, 92}, {37, 94}}}, shifted(7, 60), shifted(4, 160)}), 320, 140, 15, 15, 5);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r.value().text, ".74");
}

TEST(ReadImage, ALineAloneIsOneFlaggedAnswerNotADozenDigits) {
  // A dash alone: the writing's height is then its thickness, and the line was "as wide as a dozen
  // digits" and cut into them ("11616004116", each flagged). Whole, it is one answer, flagged for
  // its shape; a hairline too (faint all over once scaled down).
  for (const auto& [length, thick] : std::vector<std::pair<int, int>>{{80, 6}, {40, 3}, {300, 3}, {200, 12}}) {
    const int w = length + 40, h = 100;
    std::vector<std::uint8_t> px(static_cast<size_t>(w) * h, 255);
    for (int y = 50 - thick / 2; y < 50 - thick / 2 + thick; ++y)
      for (int x = 20; x < 20 + length; ++x) px[static_cast<size_t>(y) * w + x] = 0;
    auto r = model().read_image({px.data(), w, h, digits::PixelFormat::Gray8, 0});
    ASSERT_TRUE(r) << r.error();
    ASSERT_EQ(r.value().digits.size(), 1u) << length << "x" << thick << " read " << r.value().text;
    EXPECT_TRUE(r.value().digits[0].prediction.uncertain) << length << "x" << thick;
    EXPECT_FALSE(r.value().digits[0].touching) << length << "x" << thick;
  }
}

TEST(ReadImage, BlankNoiseAndLimits) {
  std::vector<std::uint8_t> blank(200 * 100, 255);
  auto r = model().read_image({blank.data(), 200, 100, digits::PixelFormat::Gray8, 0});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.value().empty);
  // Salt on black: 440 000 separate specks, refused, not read.
  std::vector<std::uint8_t> noise(2000 * 2000);
  for (int y = 0; y < 2000; ++y)
    for (int x = 0; x < 2000; ++x) noise[y * 2000 + x] = x % 3 == 0 && y % 3 == 0 ? 255 : 0;
  auto n = model().read_image({noise.data(), 2000, 2000, digits::PixelFormat::Gray8, 0});
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().find("specks"), std::string::npos) << n.error();
}

// ---------------------------------------------------------------------------------------------
// Accuracy on synthetic numbers. The floors sit just under what this model and segmentation
// measure (each test prints its figures), so a regression fails. Issue 16's targets (95 % of
// numbers exact, 98.5 % of digits) are judged on ten draws of 20 000 (`digits eval --numbers`,
// README): 95.22 % and 98.52 % with this model and segmentation.
// ---------------------------------------------------------------------------------------------

// The score counts what a reader would: exact numbers, digits by edit distance, and which wrong
// answers had another count of digits (a digit split or two joined), naming the first misses.
TEST(ReadAccuracy, ScoreCountsMissesAndMiscountedNumbers) {
  auto reading = [](const std::string& text, bool uncertain) {
    digits::Reading r;
    r.text = text;
    r.empty = text.empty();
    for (std::size_t i = 0; i < text.size(); ++i) {
      digits::ReadDigit d;
      d.prediction.digit = text[i] - '0';
      d.prediction.uncertain = uncertain && i == 0;
      r.digits.push_back(d);
    }
    return r;
  };
  numbers::Score s;
  s.add("2026", reading("2026", false));
  s.add("2026", reading("2028", true));  // one misread, flagged
  s.add("117", reading("47", false));    // "11" joined into a 4: another count, not flagged
  s.add("53", reading("543", false));    // a 5's flag read as a digit of its own
  EXPECT_EQ(s.numbers, 4);
  EXPECT_EQ(s.exact, 1);
  EXPECT_EQ(s.digits, 13);
  EXPECT_EQ(s.digit_errors, 1 + 2 + 1);
  EXPECT_EQ(s.flagged_wrong, 1);
  EXPECT_EQ(s.unflagged_wrong, 2);
  EXPECT_EQ(s.miscounted, 2);
  EXPECT_EQ(s.misses, (std::vector<std::string>{"2026->2028", "117->47", "53->543"}));
  EXPECT_NE(numbers::summary(s).find("misread: 2026->2028 117->47 53->543"), std::string::npos) << numbers::summary(s);
}

// With marks, the mark is one more character to get right, numbers are tallied by the mark they
// carry, and a count of digits leaves the mark out.
TEST(ReadAccuracy, ScoreTalliesNumbersByMark) {
  auto reading = [](const std::string& text, int digits) {
    digits::Reading r;
    r.text = text;
    r.digits.resize(static_cast<std::size_t>(digits));
    return r;
  };
  numbers::Score s;
  s.add("14:07", reading("14:07", 4), numbers::Mark::kColon);
  s.add("14:07", reading("14.07", 4), numbers::Mark::kColon);  // the colon read as a point
  s.add("-14", reading("114", 3), numbers::Mark::kMinus);      // the sign read as a "1": a digit too many
  s.add("3.5", reading("35", 2), numbers::Mark::kPoint);       // the point missed: the digits are right
  EXPECT_EQ(s.digits, 5 + 5 + 3 + 3);
  EXPECT_EQ(s.digit_errors, 1 + 1 + 1);
  EXPECT_EQ(s.miscounted, 1);
  ASSERT_EQ(s.by_mark.size(), 3u);
  EXPECT_EQ(s.by_mark["colon"].numbers, 2);
  EXPECT_EQ(s.by_mark["colon"].exact, 1);
  EXPECT_EQ(s.by_mark["minus"].exact, 0);
  EXPECT_EQ(s.by_mark["point"].numbers, 1);
  EXPECT_NE(numbers::summary(s).find("of 16 characters (digits and marks) right"), std::string::npos)
      << numbers::summary(s);
  EXPECT_NE(numbers::summary(s).find("read exactly: colon 50.00 % of 2; minus 0.00 % of 1; point 0.00 % of 1\n"),
            std::string::npos)
      << numbers::summary(s);
}

TEST(ReadAccuracy, MnistTestNumbers) {
  const auto& m = testutil::mnist_test();
  ASSERT_GT(m.images.count, 0);
  std::vector<int> pool(m.images.count);
  std::iota(pool.begin(), pool.end(), 0);
  const auto s = numbers::score_images(model(), m.images, m.labels, pool, 300, 1);
  std::printf("MNIST numbers (2-8 digits): %s", numbers::summary(s).c_str());
  // Measured 97.67 % exact, 99.40 % of digits (94.33 % / 98.41 % with an older model when every
  // ink part over 1.3 heights was cut before reading: one wide MNIST digit in a number was two).
  EXPECT_GE(s.exact_rate(), 0.96);
  EXPECT_GE(s.digit_rate(), 0.99);
}

TEST(ReadAccuracy, TouchingMnistDigitsAreSplitOrFlagged) {
  const auto& m = testutil::mnist_test();
  ASSERT_GT(m.images.count, 0);
  std::vector<int> pool(m.images.count);
  std::iota(pool.begin(), pool.end(), 0);
  const auto s = numbers::score_images(model(), m.images, m.labels, pool, 300, 2, numbers::touching_pairs());
  std::printf("touching MNIST pairs: %s", numbers::summary(s).c_str());
  // Measured: 82.67 % exact; of the wrong answers 45 carry an uncertain digit and 7 do not.
  // The model is trained to be unsure of two touching digits (digits-train --touching): before
  // it was, 84 of the 300 read confidently as one digit, silently wrong. The floor keeps that
  // from coming back. Reading cuts such ink where the network reads the two halves best, of five
  // places, whenever the network is unsure of it (50.33 % exact, 11 silently wrong, when it tried
  // only the column with the least ink; 65.00 % when a lone part had to be over 1.1 heights wide).
  EXPECT_LE(s.unflagged_wrong, s.numbers / 10);
  EXPECT_GE(s.exact_rate(), 0.75);
}

void check_pen_numbers(bool as_png, double exact, double digit, const numbers::Style& style = {}, const char* name = "",
                       int count = 400) {
  const auto& d = testutil::pen_data();
  if (d.samples.empty()) GTEST_SKIP() << d.missing;
  auto s = numbers::score_strokes(model(), d.samples, d.held_out, count, as_png ? 4 : 3, as_png, style);
  ASSERT_TRUE(s) << s.error();
  std::printf("held-out pen numbers%s (%s): %s", name, as_png ? "PNG" : "strokes", numbers::summary(s.value()).c_str());
  EXPECT_GE(s.value().exact_rate(), exact);
  EXPECT_GE(s.value().digit_rate(), digit);
}

// Grouping alone: numbers of the *training* writers, whose single digits the model reads almost
// without error, so what fails here is mostly strokes put in the wrong digit. The grouping rules'
// thresholds were chosen on these numbers (and then checked on the held-out writers' above and
// below). Measured 95.25 % exact, 98.99 % of digits (95.00 % with the model before the second
// fine-tuning, 94.25 % with the one before touching pairs were trained as no digit; 93.25 % before
// a full-height confident "1" was kept apart from the neighbour it joined as — "17" read "7" —,
// 91.0 % before a part could choose its neighbour).
TEST(ReadAccuracy, TrainingWritersNumbersMeasureTheGrouping) {
  const auto& d = testutil::pen_data();
  if (d.samples.empty()) GTEST_SKIP() << d.missing;
  auto s = numbers::score_strokes(model(), d.samples, pen::select(d.samples, false), 400, 17, false, {});
  ASSERT_TRUE(s) << s.error();
  std::printf("training writers' pen numbers (strokes): %s", numbers::summary(s.value()).c_str());
  EXPECT_GE(s.value().exact_rate(), 0.9375);
  EXPECT_GE(s.value().digit_rate(), 0.985);
}

// Measured: strokes 92.75 % exact, 98.09 % of digits; PNG 81.75 %, 93.80 % (thick pens close
// the narrowest gaps, so digits touch).
TEST(ReadAccuracy, HeldOutPenNumbersAsStrokes) { check_pen_numbers(false, 0.885, 0.965); }
TEST(ReadAccuracy, HeldOutPenNumbersAsPng) { check_pen_numbers(true, 0.76, 0.91); }

// Measured: strokes 95.10 % exact, 98.50 % of digits over 2 000 numbers (3 s; 400-number figures
// with other seeds spread ±1.2 points); PNG 95.00 %, 98.62 % (400). As strokes, 1 of the 98 wrong
// numbers has another count of digits (16 of 113 before a part could join its digit from 0.3
// heights away, or when floating: one writer's "4"s, a hook and a stem apart, read "41"): the
// rest are single digits misread (mostly a flagged 1 as 7), so this follows the single-digit
// accuracy, not the grouping.
TEST(ReadAccuracy, HeldOutPenNumbersOrdinarySpacing) {
  check_pen_numbers(false, 0.945, 0.982, numbers::ordinary_spacing(), ", ordinary spacing", 2000);
}
TEST(ReadAccuracy, HeldOutPenNumbersOrdinarySpacingAsPng) {
  check_pen_numbers(true, 0.92, 0.97, numbers::ordinary_spacing(), ", ordinary spacing");
}

// Numbers with a mark (digits eval --marks): a point, comma, colon, hyphen, minus sign or leading
// decimal point in each, drawn where a writer sees room. Measured, strokes: 93.10 % exact, 98.33 %
// of characters over 1 000 (92.60 % / 98.17 % with the model before; 92.30 % / 98.13 % before
// leading points were drawn and read; 76.40 % before marks under a neighbour's overhang — a "7"'s
// bar, a slanted digit — were seen to stand in the gap, a short comma by its shape and a hyphen
// overlapping a digit's box apart from it). PNG: 78.25 %, 94.97 % (400; 77.25 %, 94.43 % before
// leading points; thick pens close the space a mark has).
numbers::Style with_marks() {
  numbers::Style s = numbers::ordinary_spacing();
  s.marks = true;
  return s;
}
TEST(ReadAccuracy, HeldOutPenNumbersWithMarks) {
  check_pen_numbers(false, 0.91, 0.978, with_marks(), " with marks", 1000);
}
TEST(ReadAccuracy, HeldOutPenNumbersWithMarksAsPng) {
  check_pen_numbers(true, 0.72, 0.925, with_marks(), " with marks");
}

// What the single digits allow: the same writers' numbers with the digits a digit's height apart,
// upright, on one baseline, so grouping has nothing to get wrong. Measured 94.90 % exact, 98.39 %
// of digits (2 000; 94.35 % / 98.12 % with the model before the second fine-tuning; 94.95 % /
// 98.30 % with the one before touching pairs were trained as no digit, which reads one `apa`
// writer's "6" as 0 and another's "1" as 7): about what ordinary spacing reads (95.10 %), so what
// fails is single digits, not the grouping. Each `apa` writer (74
// of the 76 held-out writers a number is drawn from) gave one sample per digit, so one misread
// sample recurs in every number of that writer with that digit; 4 of the 102 misses come out
// with another count of digits (14 of 115 before a floating part could join its digit from 0.3
// heights away: one "4", a hook and a stem apart, read "61"; it now reads "9", as it does alone).
// (One "5" whose flag floats wider than its body, read "54", joins since flat strokes over a mark
// may make a digit up to 2 heights wide: 94.55 % / 98.20 % before.)
TEST(ReadAccuracy, HeldOutPenNumbersWellApart) {
  check_pen_numbers(false, 0.94, 0.98, numbers::well_apart(), ", well apart", 2000);
}

}  // namespace

namespace {
// A single pen digit read as a number must still be one digit: the pad reads every drawing
// this way. Counts the held-out digits that come out as 0 or 2+ digits.
TEST(ReadAccuracy, HeldOutPenDigitsReadAsOneDigit) {
  const auto& d = testutil::pen_data();
  if (d.samples.empty()) GTEST_SKIP() << d.missing;
  long split = 0, wrong = 0, right = 0;
  std::string shown;
  for (std::size_t i : d.held_out) {
    auto r = model().read_strokes(d.samples[i].strokes);
    ASSERT_TRUE(r) << r.error();
    if (r.value().digits.size() != 1) {
      ++split;
      if (split <= 20)
        shown += " " + d.samples[i].writer + ":" + std::to_string(d.samples[i].label) + "->" + r.value().text;
    } else if (r.value().digits[0].prediction.digit == d.samples[i].label) {
      ++right;
    } else {
      ++wrong;
    }
  }
  std::printf("held-out pen digits read as numbers: %ld right, %ld wrong, %ld not one digit:%s\n", right, wrong, split,
              shown.c_str());
  // Measured: 1 of 2 143 (a "6" read "66"; a "4" whose bar read as a hyphen, "1-1", from the
  // second fine-tuning until hyphens needed their left neighbour on the line; before parts joined
  // from 0.3 heights away, also a "4" read "61", and earlier a "5" with a floating flag "54").
  EXPECT_LE(split, 4);
}
}  // namespace
