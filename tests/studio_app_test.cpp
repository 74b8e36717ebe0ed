// Digits Studio's state (studio/app.h) without a window: what it shows is what core says, the
// pad's undo/clear, stepping through an idx file and finding its errors, and a second model.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "app.h"
#include "test_util.h"

using studio::App;
using studio::InputSource;

namespace {

App make_app() {
  auto app = App::create("");
  EXPECT_TRUE(app.ok()) << app.error();
  return std::move(app.value());
}

void draw(App& app, const std::vector<digits::Stroke>& strokes) {
  for (const auto& s : strokes) {
    app.begin_stroke(s.front());
    for (size_t i = 1; i < s.size(); ++i) app.extend_stroke(s[i]);
    app.end_stroke();
  }
}

bool same_bits(const digits::Image28& a, const digits::Image28& b) {
  return std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "studio_app_" + name; }

void write(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

// An idx pair from the test renderer's digits, with labels chosen by the caller (so some can be
// wrong on purpose).
void write_idx(const std::string& images, const std::string& labels, const std::vector<int>& drawn,
               const std::vector<std::uint8_t>& label_values) {
  std::vector<std::uint8_t> img, lab;
  put_be32(img, 0x803), put_be32(img, drawn.size()), put_be32(img, 28), put_be32(img, 28);
  for (int d : drawn) {
    auto c = testutil::render(testutil::digit_strokes(d), 28, 28, 0.2f, 4, 4, 2.5f);
    for (float v : c.ink) img.push_back(static_cast<std::uint8_t>(v * 255 + 0.5f));
  }
  put_be32(lab, 0x801), put_be32(lab, label_values.size());
  lab.insert(lab.end(), label_values.begin(), label_values.end());
  write(images, img);
  write(labels, lab);
}

}  // namespace

TEST(StudioApp, PadShowsWhatCoreSaysAboutTheStrokes) {
  App app = make_app();
  EXPECT_TRUE(app.analysis().stages.empty);  // nothing drawn yet
  auto strokes = testutil::digit_strokes(4);
  draw(app, strokes);
  ASSERT_TRUE(app.analysis().error.empty()) << app.analysis().error;

  auto model = digits::Model::load_default();
  ASSERT_TRUE(model.ok());
  auto want = model.value().predict_strokes(strokes);
  auto pre = digits::preprocess_strokes(strokes);
  ASSERT_TRUE(want.ok() && pre.ok());
  EXPECT_EQ(app.analysis().answer.prediction.digit, want.value().digit);
  EXPECT_EQ(app.analysis().answer.prediction.probabilities, want.value().probabilities);
  EXPECT_TRUE(same_bits(app.analysis().stages.centred, pre.value().image));
  EXPECT_GT(app.analysis().answer.latency_ms, 0.0);

  auto layers = model.value().inspect(pre.value().image);
  ASSERT_TRUE(layers.ok());
  ASSERT_EQ(app.analysis().layers.size(), layers.value().size());
  for (size_t i = 0; i < layers.value().size(); ++i) {
    EXPECT_EQ(app.analysis().layers[i].name, layers.value()[i].name);
    EXPECT_EQ(app.analysis().layers[i].values, layers.value()[i].values);
  }
}

TEST(StudioApp, ANumberIsReadWithEachDigitsBoxAndImage) {
  App app = make_app();
  std::vector<digits::Stroke> number;
  for (auto [d, dx] : {std::pair{1, 0.0f}, {4, 120.0f}, {7, 240.0f}})
    for (auto st : testutil::digit_strokes(d)) {
      for (auto& p : st) p.x += dx;
      number.push_back(st);
    }
  draw(app, number);
  const auto& r = app.analysis().reading;
  EXPECT_EQ(r.text, "147") << app.analysis().reading_error;
  ASSERT_EQ(r.digits.size(), 3u);
  EXPECT_NEAR(r.digits[1].box.x, 120 + 18, 1);
  auto alone = digits::preprocess_strokes(testutil::digit_strokes(7));
  ASSERT_TRUE(alone.ok());
  // Each digit's 28x28 is what that digit alone preprocesses to (position does not matter).
  EXPECT_TRUE(same_bits(r.digits[2].image, alone.value().image));
  app.clear_pad();
  EXPECT_TRUE(app.analysis().reading.empty);
}

TEST(StudioApp, UndoAndClearChangeTheAnswer) {
  App app = make_app();
  auto four = testutil::digit_strokes(4);  // two strokes
  draw(app, four);
  ASSERT_EQ(app.strokes().size(), 2u);
  app.undo_stroke();
  ASSERT_EQ(app.strokes().size(), 1u);
  auto one_stroke = digits::preprocess_strokes({four[0]});
  ASSERT_TRUE(one_stroke.ok());
  EXPECT_TRUE(same_bits(app.analysis().stages.centred, one_stroke.value().image));
  app.clear_pad();
  EXPECT_TRUE(app.strokes().empty());
  EXPECT_TRUE(app.analysis().answer.prediction.empty);
  EXPECT_TRUE(app.analysis().layers.empty());
}

TEST(StudioApp, IdxStepsWrapAndErrorsAreFound) {
  const auto images = temp_path("set-images-idx3-ubyte"), labels = temp_path("set-labels-idx1-ubyte");
  // Image 2 is a 7 labelled 1: whatever the model answers for it, a 1 would be a surprise.
  write_idx(images, labels, {0, 1, 7, 4}, {0, 1, 1, 4});
  App app = make_app();
  ASSERT_EQ(app.open_file(images), "");  // labels found by name
  EXPECT_EQ(app.source(), InputSource::Idx);
  EXPECT_EQ(app.image_count(), 4);
  EXPECT_EQ(app.label(), 0);
  app.step(-1);
  EXPECT_EQ(app.image_index(), 3);  // wraps to the end
  app.step(+1);
  EXPECT_EQ(app.image_index(), 0);

  // Every image is checked against core directly: the app must flag exactly the ones it gets wrong.
  auto model = digits::Model::load_default();
  ASSERT_TRUE(model.ok());
  auto idx_bytes = testutil::read_file(images);
  auto parsed = digits::parse_idx_images(idx_bytes.data(), idx_bytes.size());
  ASSERT_TRUE(parsed.ok());
  const std::vector<int> label_of = {0, 1, 1, 4};
  std::vector<int> wrong;
  for (int i = 0; i < 4; ++i) {
    app.seek(i);
    auto p = model.value().predict_image(parsed.value().view(i));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(app.analysis().answer.prediction.digit, p.value().digit) << "image " << i;
    const bool is_wrong = !p.value().empty && p.value().digit != label_of[i];
    EXPECT_EQ(app.misclassified(), is_wrong) << "image " << i;
    if (is_wrong) wrong.push_back(i);
  }
  ASSERT_FALSE(wrong.empty());  // image 2 at least
  // From the last error, the next one wraps round to the first; with a single error there is
  // nothing else to find and the index stays.
  app.seek(wrong.back());
  const std::string said = app.seek_misclassified(+1);
  EXPECT_EQ(said.empty(), wrong.size() > 1) << said;
  EXPECT_EQ(app.image_index(), wrong.front());
  app.seek(wrong.front() == 0 ? 1 : 0);
  const int from = app.image_index();
  EXPECT_EQ(app.seek_misclassified(+1), "");
  EXPECT_TRUE(app.misclassified());
  EXPECT_NE(app.image_index(), from);
  std::remove(images.c_str());
  std::remove(labels.c_str());
}

TEST(StudioApp, PadAndFileTakeTurns) {
  App app = make_app();
  ASSERT_EQ(app.open_file(testutil::source_path("tests/fixtures/two-light-on-dark.png")), "");
  EXPECT_EQ(app.source(), InputSource::Png);
  const int file_digit = app.analysis().answer.prediction.digit;
  draw(app, testutil::digit_strokes(7));  // drawing switches to the pad
  EXPECT_EQ(app.source(), InputSource::Pad);
  app.use_file();
  EXPECT_EQ(app.source(), InputSource::Png);
  EXPECT_EQ(app.analysis().answer.prediction.digit, file_digit);
  app.step(+1);  // not an idx file: nothing to step
  EXPECT_EQ(app.image_index(), 0);
}

TEST(StudioApp, SecondModelAnswersSideBySide) {
  App app = make_app();
  EXPECT_FALSE(app.analysis().compare_answer.has_value());
  const auto int8 = testutil::source_path("models/digits-int8.dgt");
  ASSERT_EQ(app.load_compare_model(int8), "");
  ASSERT_TRUE(app.compare_model().has_value());
  EXPECT_EQ(app.compare_model()->source, int8);
  ASSERT_EQ(app.open_file(testutil::source_path("tests/fixtures/seven-dark-on-light.png")), "");
  ASSERT_TRUE(app.analysis().compare_answer.has_value());

  auto blob = testutil::read_file(int8);
  auto b = digits::Model::load(blob.data(), blob.size());
  auto png = testutil::read_file(testutil::source_path("tests/fixtures/seven-dark-on-light.png"));
  auto decoded = digits::decode_png(png.data(), png.size());
  ASSERT_TRUE(b.ok() && decoded.ok());
  auto want = b.value().predict_image(decoded.value().view());
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(app.analysis().compare_answer->prediction.probabilities, want.value().probabilities);
  app.drop_compare_model();
  EXPECT_FALSE(app.analysis().compare_answer.has_value());
}

TEST(StudioApp, MistakesAreMessagesAndChangeNothing) {
  App app = make_app();
  const auto missing = temp_path("missing.png");
  EXPECT_NE(app.open_file(missing).find(missing), std::string::npos);
  EXPECT_FALSE(app.has_file());

  const auto text = temp_path("text.png");
  write(text, {'h', 'i', '\n'});
  EXPECT_NE(app.open_file(text).find("neither a PNG nor"), std::string::npos);
  const std::string err = app.load_model(text);
  EXPECT_NE(err.find(text), std::string::npos) << err;
  EXPECT_EQ(app.model().source, "embedded");  // the old model stays

  const auto images = temp_path("bad-images-idx3-ubyte"), labels = temp_path("bad-labels-idx1-ubyte");
  write_idx(images, labels, {0, 1}, {0, 1, 7});  // one label too many
  EXPECT_NE(app.open_file(images).find("matching labels"), std::string::npos);
  for (const auto& p : {text, images, labels}) std::remove(p.c_str());
}
