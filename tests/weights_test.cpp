// The weights blob: round trips, int8 storage, and every way a blob can be damaged.
#include "digits/weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "digits/digits.h"
#include "test_util.h"

using namespace digits;

namespace {

WeightsBlob small_blob() {
  WeightsBlob b;
  b.set_meta("architecture", "test-arch");
  b.set_meta("temperature", "1.25");
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 0.2f);
  Tensor w{"w", {4, 3, 3, 2}, {}, {}};
  for (size_t i = 0; i < w.element_count(); ++i) w.values.push_back(n(rng));
  Tensor bias{"b", {4}, {0.5f, -1, 2, 0}, {}};
  b.tensors = {w, bias};
  return b;
}

std::vector<std::uint8_t> default_blob() {
  auto p = default_model_blob();
  return std::vector<std::uint8_t>(p.first, p.first + p.second);
}

// Rewrites the trailing CRC so a deliberate edit is judged on its content, not its checksum.
void reseal(std::vector<std::uint8_t>& b) {
  std::uint32_t c = crc32(b.data(), b.size() - 4);
  for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = static_cast<std::uint8_t>(c >> (8 * i));
}

}  // namespace

TEST(Weights, Crc32MatchesTheStandardCheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const std::uint8_t*>(s), 9), 0xCBF43926u);
}

TEST(Weights, F32RoundTripIsExact) {
  auto b = small_blob();
  auto bytes = encode_weights(b, DType::F32);
  auto d = decode_weights(bytes.data(), bytes.size());
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d.value().meta("architecture"), "test-arch");
  EXPECT_EQ(d.value().meta("storage"), "f32");
  ASSERT_EQ(d.value().tensors.size(), 2u);
  EXPECT_EQ(d.value().tensors[0].dims, (std::vector<std::uint32_t>{4, 3, 3, 2}));
  EXPECT_EQ(d.value().tensors[0].values, b.tensors[0].values);
  EXPECT_EQ(d.value().tensors[1].values, b.tensors[1].values);
}

TEST(Weights, Int8StorageIsWithinHalfAStepPerChannel) {
  auto b = small_blob();
  auto bytes = encode_weights(b, DType::Int8PerChannel);
  EXPECT_LT(bytes.size(), encode_weights(b, DType::F32).size());
  auto d = decode_weights(bytes.data(), bytes.size());
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d.value().meta("storage"), "int8");
  const auto& in = b.tensors[0].values;
  const auto& out = d.value().tensors[0].values;
  for (int c = 0; c < 4; ++c) {
    float mx = 0;
    for (int i = 0; i < 18; ++i) mx = std::max(mx, std::fabs(in[c * 18 + i]));
    for (int i = 0; i < 18; ++i) EXPECT_LE(std::fabs(in[c * 18 + i] - out[c * 18 + i]), mx / 127 / 2 + 1e-6f);
  }
  EXPECT_EQ(d.value().tensors[1].values, b.tensors[1].values);  // biases stay f32
}

TEST(Weights, EveryTruncationIsRejected) {
  auto bytes = encode_weights(small_blob(), DType::F32);
  for (size_t n = 0; n < bytes.size(); n += 7) {
    auto d = decode_weights(bytes.data(), n);
    EXPECT_FALSE(d.ok()) << "accepted a blob cut to " << n << " bytes";
  }
}

TEST(Weights, FlippedBytesAreRejectedByTheChecksum) {
  auto bytes = encode_weights(small_blob(), DType::F32);
  for (size_t i = 4; i < bytes.size(); i += 13) {
    auto bad = bytes;
    bad[i] ^= 0x40;
    auto d = decode_weights(bad.data(), bad.size());
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().find("checksum"), std::string::npos) << d.error();
  }
}

TEST(Weights, ResealedGarbageIsStillRejectedWithAClearMessage) {
  auto bytes = encode_weights(small_blob(), DType::F32);
  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_NE(decode_weights(bad_magic.data(), bad_magic.size()).error().find("magic"), std::string::npos);

  auto bad_version = bytes;
  bad_version[4] = 99;
  reseal(bad_version);
  EXPECT_NE(decode_weights(bad_version.data(), bad_version.size()).error().find("version 99"), std::string::npos);

  auto many = bytes;
  many[8] = 0xff;
  many[9] = 0xff;
  reseal(many);
  EXPECT_FALSE(decode_weights(many.data(), many.size()).ok());

  // A NaN weight.
  auto b = small_blob();
  b.tensors[0].values[3] = NAN;
  auto nan = encode_weights(b, DType::F32);
  auto d = decode_weights(nan.data(), nan.size());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().find("non-finite"), std::string::npos);

  // An infinite weight in int8 storage becomes an infinite scale, which is refused too.
  auto inf_blob = small_blob();
  inf_blob.tensors[0].values[3] = INFINITY;
  auto inf8 = encode_weights(inf_blob, DType::Int8PerChannel);
  auto d8 = decode_weights(inf8.data(), inf8.size());
  ASSERT_FALSE(d8.ok());
  EXPECT_NE(d8.error().find("non-finite"), std::string::npos);
}

// Per-tensor int8 from per-channel int8 (the Int8 precision's fc1 from an int8 blob) matches
// quantising the dequantised floats, up to one step of float rounding.
TEST(Weights, RequantisePerTensorMatchesQuantisingTheFloats) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(16 * 40);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = normal(rng) * (1 + (i / 40) % 5);
  for (std::size_t i = 0; i < 40; ++i) values[3 * 40 + i] = 0;  // an all-zero channel (scale 1)
  const Int8Values per_channel = quantize_int8(values, 16);
  std::vector<float> dequantised(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) dequantised[i] = per_channel.values[i] * per_channel.scales[i / 40];
  const Int8Values want = quantize_int8(dequantised, 1);
  const Int8Values got = requantize_per_tensor(per_channel);
  ASSERT_EQ(got.scales.size(), 1u);
  EXPECT_NEAR(got.scales[0], want.scales[0], 1e-6f * want.scales[0]);
  ASSERT_EQ(got.values.size(), want.values.size());
  int differ = 0;
  for (std::size_t i = 0; i < got.values.size(); ++i) {
    EXPECT_LE(std::abs(got.values[i] - want.values[i]), 1) << i;
    differ += got.values[i] != want.values[i];
  }
  EXPECT_LE(differ, 3);  // ties broken differently by float rounding, at most a handful
}

// The shipped int8 blob is the shipped f32 blob through quantize_int8: one quantiser, and any
// change to its rounding shows here.
TEST(Weights, ShippedInt8BlobIsTheF32BlobQuantised) {
  auto f32 = testutil::read_file(testutil::source_path("models/digits-f32.dgt"));
  auto int8 = testutil::read_file(testutil::source_path("models/digits-int8.dgt"));
  auto decoded = decode_weights(f32.data(), f32.size());
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(encode_weights(decoded.value(), DType::Int8PerChannel), int8);
}

// Dequantize::None leaves an int8-stored tensor's floats out (1-D biases are stored f32 and keep
// theirs); dequantize() then gives exactly what decoding with Dequantize::All does.
TEST(Weights, DecodingCanLeaveInt8TensorsUnDequantised) {
  auto int8 = testutil::read_file(testutil::source_path("models/digits-int8.dgt"));
  auto all = decode_weights(int8.data(), int8.size());
  auto none = decode_weights(int8.data(), int8.size(), Dequantize::None);
  ASSERT_TRUE(all.ok() && none.ok());
  ASSERT_EQ(all.value().tensors.size(), none.value().tensors.size());
  int left_out = 0;
  for (std::size_t i = 0; i < all.value().tensors.size(); ++i) {
    const Tensor& a = all.value().tensors[i];
    Tensor n = none.value().tensors[i];
    EXPECT_EQ(a.values.size(), a.element_count()) << a.name;
    if (a.stored_int8.values.empty()) {
      EXPECT_EQ(n.values, a.values) << a.name;
      continue;
    }
    EXPECT_TRUE(n.values.empty()) << a.name;
    left_out += 1;
    dequantize(n);
    EXPECT_EQ(n.values, a.values) << a.name;
    EXPECT_EQ(n.stored_int8.values, a.stored_int8.values) << a.name;
  }
  EXPECT_EQ(left_out, 5);  // conv1..conv3, fc1, fc2 weights
}

TEST(Weights, ModelRejectsMismatchedArchitectureAndShapes) {
  auto bytes = encode_weights(small_blob(), DType::F32);
  auto m = Model::load(bytes.data(), bytes.size());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("architecture 'test-arch'"), std::string::npos) << m.error();

  auto real = decode_weights(default_blob().data(), default_blob().size());
  ASSERT_TRUE(real.ok()) << real.error();
  WeightsBlob missing = real.value();
  missing.tensors.pop_back();
  auto mb = encode_weights(missing, DType::F32);
  auto mm = Model::load(mb.data(), mb.size());
  ASSERT_FALSE(mm.ok());
  EXPECT_NE(mm.error().find("fc2.bias"), std::string::npos) << mm.error();

  WeightsBlob reshaped = real.value();
  reshaped.tensors[0].dims = {32, 1, 3, 3};  // PyTorch's OIHW instead of OHWI
  auto rb = encode_weights(reshaped, DType::F32);
  auto rm = Model::load(rb.data(), rb.size());
  ASSERT_FALSE(rm.ok());
  EXPECT_NE(rm.error().find("wrong shape"), std::string::npos) << rm.error();

  auto bad_t = real.value();
  bad_t.set_meta("temperature", "banana");
  auto tb = encode_weights(bad_t, DType::F32);
  EXPECT_FALSE(Model::load(tb.data(), tb.size()).ok());
}

TEST(Weights, ShippedBlobsLoadAndDescribeThemselves) {
  for (const char* name : {"models/digits-f32.dgt", "models/digits-int8.dgt"}) {
    auto bytes = testutil::read_file(testutil::source_path(name));
    ASSERT_FALSE(bytes.empty()) << name;
    auto m = Model::load(bytes.data(), bytes.size());
    ASSERT_TRUE(m.ok()) << name << ": " << m.error();
    EXPECT_EQ(m.value().info().architecture, "cnn3-bn-fc512");
    EXPECT_GT(m.value().info().temperature, 0.2f);
  }
}
