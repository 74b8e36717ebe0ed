// The network on XNNPACK: parity with the trainer's libtorch logits, accuracy on MNIST, and
// answers that do not change when the same digit is drawn differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "digits/digits.h"
#include "digits/idx.h"
#include "digits/weights.h"
#include "test_util.h"

using namespace digits;
using testutil::Style;

namespace {

// The f32 blob: the reference the trainer's fixture was made with.
Model& model() {
  static Model m = testutil::load_model("models/digits-f32.dgt");
  return m;
}

using testutil::mnist_test;

// Upscales a 28x28 MNIST digit by `k` into a larger canvas at (ox, oy), bilinear.
testutil::Canvas place(const std::uint8_t* px, float k, int canvas, float ox, float oy) {
  testutil::Canvas c{canvas, canvas, std::vector<float>(size_t(canvas) * canvas, 0.0f)};
  for (int y = 0; y < canvas; ++y)
    for (int x = 0; x < canvas; ++x) {
      const float u = (x + 0.5f - ox) / k - 0.5f, v = (y + 0.5f - oy) / k - 0.5f;
      const int x0 = int(std::floor(u)), y0 = int(std::floor(v));
      const float fx = u - x0, fy = v - y0;
      auto at = [&](int xx, int yy) {
        return (xx < 0 || yy < 0 || xx > 27 || yy > 27) ? 0.0f : px[yy * 28 + xx] / 255.0f;
      };
      c.ink[size_t(y) * canvas + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                                      fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  return c;
}

int predict_canvas(const testutil::Canvas& c, Style style) {
  PixelFormat f;
  auto px = testutil::to_pixels(c, style, f);
  auto p = model().predict_image({px.data(), c.w, c.h, f, 0});
  EXPECT_TRUE(p.ok()) << p.error();
  return p.ok() ? p.value().digit : -2;
}

}  // namespace

TEST(Model, LogitsMatchTheTrainersLibtorchLogits) {
  auto bytes = testutil::read_file(testutil::source_path("tests/fixtures/reference_logits.bin"));
  ASSERT_GT(bytes.size(), 8u);
  ASSERT_EQ(std::memcmp(bytes.data(), "DGTF", 4), 0);
  std::uint32_t n;
  std::memcpy(&n, bytes.data() + 4, 4);
  ASSERT_EQ(bytes.size(), 8 + n * (784 + 10) * 4u);
  float worst = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    Image28 img;
    float ref[10];
    const std::uint8_t* p = bytes.data() + 8 + i * (784 + 10) * 4;
    std::memcpy(img.data(), p, 784 * 4);
    std::memcpy(ref, p + 784 * 4, 40);
    auto pred = model().predict(img);
    ASSERT_TRUE(pred.ok()) << pred.error();
    for (int c = 0; c < 10; ++c) worst = std::max(worst, std::fabs(pred.value().logits[c] - ref[c]));
  }
  EXPECT_LE(worst, 1e-4f) << "max |logit difference| over " << n << " fixture images";
  RecordProperty("max_logit_difference", std::to_string(worst));
}

TEST(Model, BatchGivesTheSameAnswersAsSingleCalls) {
  const auto& m = mnist_test();
  ASSERT_GT(m.images.count, 0);
  std::vector<Image28> imgs;
  for (int i = 0; i < 70; ++i) imgs.push_back(preprocess_image(m.images.view(i)).value().image);
  auto ran = model().predict_batch(imgs);
  ASSERT_TRUE(ran.ok()) << ran.error();
  const auto& batch = ran.value();
  ASSERT_EQ(batch.size(), imgs.size());
  for (size_t i = 0; i < imgs.size(); ++i) {
    auto one = model().predict(imgs[i]);
    ASSERT_TRUE(one.ok()) << one.error();
    EXPECT_EQ(one.value().digit, batch[i].digit);
    for (int c = 0; c < 10; ++c) EXPECT_NEAR(one.value().probabilities[c], batch[i].probabilities[c], 1e-5f);
  }
}

TEST(Model, ProbabilitiesAreADistributionAndFlagsAreConsistent) {
  const auto& m = mnist_test();
  ASSERT_GT(m.images.count, 0);
  for (int i = 0; i < 50; ++i) {
    auto p = model().predict_image(m.images.view(i));
    ASSERT_TRUE(p.ok());
    float sum = 0;
    for (float v : p.value().probabilities) {
      EXPECT_GE(v, 0.0f);
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0f, 1e-4f);
    EXPECT_FALSE(p.value().empty);
    EXPECT_FLOAT_EQ(p.value().confidence, p.value().probabilities[p.value().digit]);
    EXPECT_EQ(p.value().uncertain, p.value().confidence < model().info().uncertain_below);
  }
  std::array<float, 10> flat{};
  auto u = model().make_prediction(flat);
  EXPECT_TRUE(u.uncertain);
  EXPECT_NEAR(u.confidence, 0.1f, 1e-5f);
}

// The `uncertain` threshold is the one fitted with the model (blob metadata), unless the caller
// sets one; a blob without one gets 0.7, and a malformed one is refused.
TEST(Model, UncertainThresholdComesFromTheBlobUnlessSet) {
  auto bytes = testutil::read_file(testutil::source_path("models/digits-f32.dgt"));
  auto blob = decode_weights(bytes.data(), bytes.size());
  ASSERT_TRUE(blob) << blob.error();
  auto with = [&](const char* value, float option) {
    WeightsBlob b = blob.value();
    b.metadata.erase(std::remove_if(b.metadata.begin(), b.metadata.end(),
                                    [](const auto& kv) { return kv.first == "uncertain_below"; }),
                     b.metadata.end());
    if (value) b.set_meta("uncertain_below", value);
    auto encoded = encode_weights(b, DType::F32);
    ModelOptions o;
    o.uncertain_below = option;
    return Model::load(encoded.data(), encoded.size(), o);
  };
  auto fitted = with("0.83", -1);
  ASSERT_TRUE(fitted) << fitted.error();
  EXPECT_FLOAT_EQ(fitted.value().info().uncertain_below, 0.83f);
  // Logits whose calibrated confidence is 0.76: uncertain under 0.83, confident under 0.7.
  std::array<float, 10> logits{};
  logits[3] = fitted.value().info().temperature * std::log(0.76f * 9 / 0.24f);
  const Prediction p = fitted.value().make_prediction(logits);
  EXPECT_NEAR(p.confidence, 0.76f, 1e-4f);
  EXPECT_TRUE(p.uncertain);
  auto plain = with(nullptr, -1);
  EXPECT_FLOAT_EQ(plain.value().info().uncertain_below, 0.7f);
  EXPECT_FALSE(plain.value().make_prediction(logits).uncertain);
  EXPECT_FLOAT_EQ(with("0.83", 0.25f).value().info().uncertain_below, 0.25f);
  EXPECT_FALSE(with("high", -1));
  EXPECT_FALSE(with("1.5", -1));
}

// A network of other widths (digits-train --widths: "cnn3-bn-c<c1>-<c2>-<c3>-fc<fc>") runs the same
// layers: a tiny one with pseudo-random weights answers what a plain C++ reference of those layers
// computes. Names core cannot run, and tensors of other shapes than the name says, are errors.
TEST(Model, OtherWidthsRunTheSameLayers) {
  const std::uint32_t c1 = 4, c2 = 6, c3 = 8, fc = 12;
  std::uint32_t seed = 12345;
  auto next = [&] {  // in [-0.5, 0.5)
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
  };
  WeightsBlob b;
  b.set_meta("architecture", "cnn3-bn-c4-6-8-fc12");
  b.set_meta("temperature", "1");
  auto add = [&](const char* name, std::vector<std::uint32_t> dims) {
    Tensor t;
    t.name = name;
    t.dims = dims;
    t.values.resize(t.element_count());
    for (float& v : t.values) v = next();
    b.tensors.push_back(t);
  };
  add("conv1.weight", {c1, 3, 3, 1}), add("conv1.bias", {c1}), add("conv2.weight", {c2, 3, 3, c1});
  add("conv2.bias", {c2}), add("conv3.weight", {c3, 3, 3, c2}), add("conv3.bias", {c3});
  add("fc1.weight", {fc, 9 * c3}), add("fc1.bias", {fc}), add("fc2.weight", {10, fc}), add("fc2.bias", {10});
  const auto bytes = encode_weights(b, DType::F32);
  auto m = Model::load(bytes.data(), bytes.size());
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m.value().info().architecture, "cnn3-bn-c4-6-8-fc12");
  const Image28 image = preprocess_image(mnist_test().images.view(0)).value().image;
  auto p = m.value().predict(image);
  ASSERT_TRUE(p) << p.error();

  // The reference: HWC tensors, 3x3 convolutions padded by 1 + ReLU + 2x2 max pooling, fc1 over the
  // HWC-flattened 3x3xc3, ReLU, fc2.
  auto tensor = [&](const char* name) { return b.find(name)->values; };
  std::vector<float> x(784);
  for (int i = 0; i < 784; ++i) x[i] = (image[i] - 0.1307f) / 0.3081f;
  auto block = [&](const std::vector<float>& in, int hw, int cin, int cout, const char* name) {
    const auto w = tensor((std::string(name) + ".weight").c_str()),
               bias = tensor((std::string(name) + ".bias").c_str());
    std::vector<float> conv(static_cast<size_t>(hw) * hw * cout);
    for (int y = 0; y < hw; ++y)
      for (int xx = 0; xx < hw; ++xx)
        for (int o = 0; o < cout; ++o) {
          float sum = bias[o];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int sy = y + ky - 1, sx = xx + kx - 1;
              if (sy < 0 || sx < 0 || sy >= hw || sx >= hw) continue;
              for (int i = 0; i < cin; ++i) sum += w[((o * 3 + ky) * 3 + kx) * cin + i] * in[(sy * hw + sx) * cin + i];
            }
          conv[(y * hw + xx) * cout + o] = std::max(sum, 0.0f);
        }
    const int half = hw / 2;
    std::vector<float> pooled(static_cast<size_t>(half) * half * cout);
    for (int y = 0; y < half; ++y)
      for (int xx = 0; xx < half; ++xx)
        for (int o = 0; o < cout; ++o) {
          float v = -INFINITY;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) v = std::max(v, conv[((2 * y + dy) * hw + 2 * xx + dx) * cout + o]);
          pooled[(y * half + xx) * cout + o] = v;
        }
    return pooled;
  };
  auto dense = [&](const std::vector<float>& in, int out, const char* name, bool relu) {
    const auto w = tensor((std::string(name) + ".weight").c_str()),
               bias = tensor((std::string(name) + ".bias").c_str());
    std::vector<float> y(out);
    for (int o = 0; o < out; ++o) {
      float sum = bias[o];
      for (size_t i = 0; i < in.size(); ++i) sum += w[o * in.size() + i] * in[i];
      y[o] = relu ? std::max(sum, 0.0f) : sum;
    }
    return y;
  };
  const auto logits =
      dense(dense(block(block(block(x, 28, 1, c1, "conv1"), 14, c1, c2, "conv2"), 7, c2, c3, "conv3"), fc, "fc1", true),
            10, "fc2", false);
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(p.value().logits[k], logits[k], 1e-3f * (1 + std::abs(logits[k]))) << k;

  for (const char* bad : {"cnn3-bn-c0-6-8-fc12", "cnn3-bn-c4-6-8", "cnn3-bn-c4-6-8-fc12x", "cnn4"}) {
    WeightsBlob renamed = b;
    renamed.set_meta("architecture", bad);
    const auto e = encode_weights(renamed, DType::F32);
    auto r = Model::load(e.data(), e.size());
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("architecture"), std::string::npos) << r.error();
  }
  WeightsBlob wider = b;  // the name says 16 fc1 units, the tensors have 12
  wider.set_meta("architecture", "cnn3-bn-c4-6-8-fc16");
  const auto e = encode_weights(wider, DType::F32);
  auto r = Model::load(e.data(), e.size());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("wrong shape"), std::string::npos) << r.error();
}

TEST(Model, EmptyInputIsEmptyNotADigit) {
  std::vector<std::uint8_t> white(200 * 200, 255);
  auto p = model().predict_image({white.data(), 200, 200, PixelFormat::Gray8, 0});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.value().empty);
  EXPECT_EQ(p.value().digit, -1);
  EXPECT_EQ(p.value().confidence, 0.0f);
  auto s = model().predict_strokes({});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s.value().empty);
  // The rule lives in predict(const Preprocessed&): no ink, no network, no digit; with ink it is
  // predict() of the image.
  Preprocessed blank;
  blank.empty = true;
  blank.image.fill(0.5f);
  const Prediction none = model().predict(blank).value();  // no network: nothing can fail
  EXPECT_TRUE(none.empty);
  EXPECT_EQ(none.digit, -1);
  auto seven = preprocess_strokes({{{20, 8}, {80, 8}, {62, 40}, {45, 95}}});
  ASSERT_TRUE(seven.ok() && !seven.value().empty);
  auto via_pre = model().predict(seven.value()), via_image = model().predict(seven.value().image);
  ASSERT_TRUE(via_pre.ok() && via_image.ok());
  EXPECT_EQ(via_pre.value().probabilities, via_image.value().probabilities);
}

// A dash is no digit: the network reads one as a "1", surely (a few flawed training samples are
// flat lines), but no digit's ink is 4x wider than tall, so the answer is flagged. The same line
// upright is a sure "1": the flag is the shape's, not the confidence's. Images and reading alike.
TEST(Model, InkFlatterThanAnyDigitIsUncertain) {
  const std::vector<Stroke> dash = {{{0, 50}, {60, 50}}}, upright = {{{50, 0}, {50, 60}}};
  auto d = model().predict_strokes(dash), u = model().predict_strokes(upright);
  ASSERT_TRUE(d.ok() && u.ok());
  EXPECT_TRUE(d.value().uncertain);
  EXPECT_GE(d.value().confidence, model().info().uncertain_below) << "flagged by its confidence, not its shape";
  EXPECT_FALSE(u.value().uncertain);
  EXPECT_EQ(u.value().digit, 1);
  std::vector<std::uint8_t> picture(100 * 100, 255);
  for (int y = 48; y < 53; ++y)
    for (int x = 10; x < 90; ++x) picture[y * 100 + x] = 0;
  auto img = model().predict_image({picture.data(), 100, 100, PixelFormat::Gray8, 0});
  ASSERT_TRUE(img.ok() && !img.value().empty);
  EXPECT_TRUE(img.value().uncertain);
  // A dash after a "7" is no hyphen (those stand between digits): whatever it reads as, it is
  // flagged, and the 7 is not.
  std::vector<Stroke> seven_dash = testutil::digit_strokes(7);
  seven_dash.push_back({{130, 50}, {190, 50}});
  auto r = model().read_strokes(seven_dash);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().digits.size(), 2u) << r.value().text;
  EXPECT_FALSE(r.value().digits[0].prediction.uncertain);
  EXPECT_TRUE(r.value().digits[1].prediction.uncertain);
}

TEST(Model, RecognisesDigitsDrawnAsStrokes) {
  for (int d : {0, 1, 4, 7}) {
    auto p = model().predict_strokes(testutil::digit_strokes(d));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.value().digit, d);
  }
}

TEST(Model, SameDigitDrawnDifferentlyGetsTheSameAnswer) {
  const auto& m = mnist_test();
  ASSERT_GT(m.images.count, 0);
  int total = 0, agree = 0;
  for (int i = 0; i < 150; ++i) {
    const std::uint8_t* px = m.images.pixels.data() + size_t(i) * 784;
    const int base = model().predict_image(m.images.view(i)).value().digit;
    // A "normal" drawing is the digit at 5x on a 280 canvas; vary scale 0.3x..3x, position, style.
    struct Variant {
      float k;
      int canvas;
      float ox, oy;
      Style style;
    };
    const Variant variants[] = {
        {5.0f, 280, 0, 0, Style::LightOnDark},           {5.0f, 280, 70, 60, Style::DarkOnLight},
        {1.5f, 120, 50, 20, Style::OpaqueOnTransparent}, {15.0f, 500, 40, 30, Style::BlueOnCream},
        {3.0f, 300, 180, 170, Style::DarkOnLight},
    };
    for (const auto& v : variants) {
      ++total;
      agree += predict_canvas(place(px, v.k, v.canvas, v.ox, v.oy), v.style) == base;
    }
  }
  const double rate = double(agree) / total;
  RecordProperty("agreement", std::to_string(rate));
  EXPECT_GE(rate, 0.99) << agree << "/" << total << " variants agreed with the original";
}

TEST(Model, DefaultModelIsOneOfTheShippedBlobs) {
  auto d = default_model_blob();
  ASSERT_GT(d.second, 0u);
  auto f32 = testutil::read_file(testutil::source_path("models/digits-f32.dgt"));
  auto int8 = testutil::read_file(testutil::source_path("models/digits-int8.dgt"));
  std::vector<std::uint8_t> embedded(d.first, d.first + d.second);
  EXPECT_TRUE(embedded == f32 || embedded == int8);
  EXPECT_TRUE(Model::load_default().ok());
}

TEST(Model, MnistTestAccuracyIsAtLeast99_6PercentForF32AndInt8) {
  const auto& m = mnist_test();
  ASSERT_EQ(m.images.count, 10000);
  std::vector<Image28> imgs;
  for (int i = 0; i < m.images.count; ++i) {
    auto pre = preprocess_image(m.images.view(i));
    ASSERT_TRUE(pre.ok() && !pre.value().empty) << "image " << i;
    imgs.push_back(pre.value().image);
  }
  auto accuracy = [&](Model& model) {
    auto ran = model.predict_batch(imgs);
    EXPECT_TRUE(ran.ok()) << ran.error();
    if (!ran) return 0.0;
    const auto& preds = ran.value();
    int correct = 0;
    for (int i = 0; i < m.images.count; ++i) {
      correct += preds[i].digit == m.labels[i];
      // No real digit is flagged for its shape (InkFlatterThanAnyDigitIsUncertain).
      EXPECT_EQ(preds[i].uncertain, preds[i].confidence < model.info().uncertain_below) << "image " << i;
    }
    return correct / 10000.0;
  };
  Model int8 = testutil::load_model("models/digits-int8.dgt");
  Model int8_compute = testutil::load_model("models/digits-int8.dgt", Precision::Int8);
  const double f32_acc = accuracy(model()), int8_acc = accuracy(int8), int8_compute_acc = accuracy(int8_compute);
  RecordProperty("accuracy_f32", std::to_string(f32_acc));
  RecordProperty("accuracy_int8", std::to_string(int8_acc));
  std::printf("MNIST test accuracy: f32 %.2f%%, int8 storage %.2f%%, int8 storage + int8 compute %.2f%%\n",
              100 * f32_acc, 100 * int8_acc, 100 * int8_compute_acc);
  EXPECT_GE(f32_acc, 0.996);
  EXPECT_GE(int8_acc, f32_acc - 0.0005) << "int8 storage must stay within 0.05 points of f32";
  EXPECT_GE(int8_compute_acc, f32_acc - 0.0005) << "int8 compute must stay within 0.05 points of f32";
}

TEST(Model, InspectShowsEveryLayerAndAgreesWithPredict) {
  auto img = preprocess_strokes(testutil::digit_strokes(4)).value().image;
  auto layers = model().inspect(img);
  ASSERT_TRUE(layers.ok()) << layers.error();
  const char* names[] = {"conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "fc1", "logits"};
  ASSERT_EQ(layers.value().size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    const auto& l = layers.value()[i];
    EXPECT_EQ(l.name, names[i]);
    EXPECT_EQ(l.values.size(), size_t(l.height) * l.width * l.channels);
    if (i < 7) {
      for (float v : l.values) ASSERT_GE(v, 0.0f) << l.name << " is after ReLU";
    }
  }
  // pool1 is the 2x2 maximum of conv1 (NHWC).
  const auto& c1 = layers.value()[0];
  const auto& p1 = layers.value()[1];
  for (int y = 0; y < 14; y += 5)
    for (int x = 0; x < 14; x += 3)
      for (int c = 0; c < 32; c += 7) {
        float m = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) m = std::max(m, c1.values[((2 * y + dy) * 28 + 2 * x + dx) * 32 + c]);
        EXPECT_FLOAT_EQ(p1.values[(y * 14 + x) * 32 + c], m);
      }
  auto p = model().predict(img);
  ASSERT_TRUE(p.ok()) << p.error();
  for (int c = 0; c < 10; ++c) EXPECT_NEAR(layers.value()[7].values[c], p.value().logits[c], 1e-4f);
}

// The per-operator timing bench_core --layers prints: every convolution, pooling and fully
// connected layer of the network is there, in the order they run, with a time. (XNNPACK 2022, the
// torch preset's, has no profiler: there the error must say so, and the test says why it stops.)
TEST(Model, ProfileTimesEveryOperatorInOrder) {
  auto img = preprocess_strokes(testutil::digit_strokes(4)).value().image;
  auto bad = model().profile(img, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("runs must be at least 1"), std::string::npos) << bad.error();
  for (Precision precision : {Precision::F32, Precision::Int8}) {
    Model m = testutil::load_model("models/digits-int8.dgt", precision);
    auto ops = m.profile(img, 5);
    if (!ops.ok()) {
      EXPECT_NE(ops.error().find("XNNPACK 2022 (bookworm) does not have"), std::string::npos) << ops.error();
      GTEST_SKIP() << "this build links XNNPACK 2022, which has no per-operator profiler: " << ops.error();
    }
    std::string order;  // C = convolution, P = max pooling, F = fully connected
    double sum = 0;
    for (const auto& op : ops.value()) {
      EXPECT_GE(op.microseconds, 0.0) << op.name;
      sum += op.microseconds;
      if (op.name.rfind("Convolution", 0) == 0) order += 'C';
      if (op.name.rfind("Max Pooling", 0) == 0) order += 'P';
      if (op.name.rfind("Fully Connected", 0) == 0) order += 'F';
    }
    EXPECT_EQ(order, "CPCPCPFF");
    EXPECT_GT(sum, 0.0) << "a whole inference cannot take no time";
  }
}

TEST(Model, Int8PrecisionAgreesWithF32AndNeedsRanges) {
  Model q = testutil::load_model("models/digits-int8.dgt", Precision::Int8);
  EXPECT_EQ(q.info().precision, Precision::Int8);
  for (int d : {0, 1, 4, 7}) {
    auto img = preprocess_strokes(testutil::digit_strokes(d)).value().image;
    auto a = model().predict(img), b = q.predict(img);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a.value().digit, b.value().digit);
    EXPECT_NEAR(a.value().confidence, b.value().confidence, 0.05f);
  }
  // A blob without activation ranges cannot run in int8, and says so.
  auto bytes = testutil::read_file(testutil::source_path("models/digits-f32.dgt"));
  auto blob = decode_weights(bytes.data(), bytes.size()).value();
  blob.metadata.erase(std::remove_if(blob.metadata.begin(), blob.metadata.end(),
                                     [](const auto& kv) { return kv.first.rfind("range.", 0) == 0; }),
                      blob.metadata.end());
  auto stripped = encode_weights(blob, DType::F32);
  ModelOptions o;
  o.precision = Precision::Int8;
  auto m = Model::load(stripped.data(), stripped.size(), o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("activation range"), std::string::npos) << m.error();
}
