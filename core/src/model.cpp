// The network on XNNPACK's subgraph API.
//
//   input [N,28,28,9] -> conv1x1(32)+relu -> maxpool2 -> conv3x3(64)+relu -> maxpool2
//   -> conv3x3(128)+relu -> maxpool2 -> reshape [N,1152] -> fc(512)+relu -> fc(10) -> softmax
//
// The input is the image's 3x3 neighbourhoods (fill_input), so conv1, a 3x3 convolution of the
// one-channel image, runs as a 1x1 convolution over nine values per pixel: the same weights, sums
// and answers. BatchNorm was folded into the convolutions by the trainer; ReLU is fused as
// output_min = 0; the softmax temperature is folded into fc2 so the graph's softmax is already
// calibrated.
// A runtime is built once per batch size (1 at load, kBatch on first batch call) and reused.
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "digits/digits.h"
#include "digits/weights.h"
#include "segment_internal.h"
#include "xnnpack_seam.h"

namespace digits {

namespace {

constexpr const char* kArchitecture = "cnn3-bn-fc512";
constexpr std::size_t kBatch = 64;
constexpr float kInf = std::numeric_limits<float>::infinity();

// The layers' widths: conv1-conv3's channels and fc1's units. kArchitecture is the shipped network;
// "cnn3-bn-c<c1>-<c2>-<c3>-fc<fc>" names the same layers narrower or wider (digits-train
// --widths), for networks cheaper to run.
struct Widths {
  std::uint32_t c1 = 32, c2 = 64, c3 = 128, fc = 512;
};

Result<Widths> widths_of(const std::string& arch) {
  Widths w;
  if (arch == kArchitecture) return w;
  unsigned c1 = 0, c2 = 0, c3 = 0, fc = 0;
  int end = 0;
  const bool named = std::sscanf(arch.c_str(), "cnn3-bn-c%u-%u-%u-fc%u%n", &c1, &c2, &c3, &fc, &end) == 4 &&
                     static_cast<std::size_t>(end) == arch.size();
  if (!named || !c1 || !c2 || !c3 || !fc || c1 > 1024 || c2 > 1024 || c3 > 1024 || fc > 4096)
    return Error{"weights blob is for architecture '" + arch.substr(0, 64) + "', but this build runs '" +
                 kArchitecture + "' (or its widths, cnn3-bn-cA-B-C-fcD)"};
  return Widths{c1, c2, c3, fc};
}

struct LayerSpec {
  const char* name;
  std::vector<std::uint32_t> dims;
};

// Shapes the blob must have, in the engine's layout (OHWI filters, [out][in] FC weights).
std::vector<LayerSpec> expected_tensors(const Widths& w) {
  return {
      {"conv1.weight", {w.c1, 3, 3, 1}},    {"conv1.bias", {w.c1}},
      {"conv2.weight", {w.c2, 3, 3, w.c1}}, {"conv2.bias", {w.c2}},
      {"conv3.weight", {w.c3, 3, 3, w.c2}}, {"conv3.bias", {w.c3}},
      {"fc1.weight", {w.fc, 9 * w.c3}},     {"fc1.bias", {w.fc}},
      {"fc2.weight", {10, w.fc}},           {"fc2.bias", {10}},
  };
}

std::string xnn_error(const char* step, xnn_status s) {
  return std::string("XNNPACK failed to ") + step + " (status " + std::to_string(static_cast<int>(s)) + ")";
}

struct RuntimeDeleter {
  void operator()(xnn_runtime_t r) const { xnn_delete_runtime(r); }
};
using RuntimePtr = std::unique_ptr<xnn_runtime, RuntimeDeleter>;

struct ThreadpoolDeleter {
  void operator()(pthreadpool_t p) const { pthreadpool_destroy(p); }
};
using ThreadpoolPtr = std::unique_ptr<pthreadpool, ThreadpoolDeleter>;

// A runtime for one batch size, with its own input and output buffers.
struct Runner {
  std::size_t batch = 0;
  RuntimePtr runtime;
  std::vector<float> input;   // [batch, 28, 28, 9], normalised 3x3 neighbourhoods (fill_input)
  std::vector<float> logits;  // [batch, 10], divided by the temperature
  std::vector<float> probs;   // [batch, 10]
};

// Int8 data for one convolution: per-output-channel weight scales, int32 bias.
struct QuantConv {
  std::vector<std::int8_t> weights;
  std::vector<float> weight_scales;
  std::vector<std::int32_t> bias;
  std::vector<float> bias_scales;
};

struct QuantParams {
  float scale = 1;
  std::int32_t zero_point = 0;
};

// The layers inspect() reports, in order; each is an extra external output of a probe runtime.
const char* const kProbeNames[] = {"conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "fc1"};
constexpr std::uint32_t kProbeFirstId = 3;
constexpr std::uint32_t kProbeCount = 7;
// The network's input: each pixel's 3x3 neighbourhood (see fill_input), kInputValues per image.
constexpr std::size_t kNeighbourhood = 9;
constexpr std::size_t kInputValues = kImagePixels * kNeighbourhood;
// Quantisation steps above the zero point for an int8 GEMM's input (7 bits; see prepare_int8).
constexpr float kGemmInputLevels = 127;
// The weights Int8 precision still reads as floats: conv1's (one input channel: see build()) and
// fc2's (ten outputs, then softmax). Model::load dequantises only these.
const char* const kF32WeightsInInt8[] = {"conv1.weight", "fc2.weight"};
static_assert(kGemmInputLevels <= 127, "an int8 GEMM input above 7 bits lets Firefox's relaxed dot product saturate");

}  // namespace

struct Model::Impl {
  ModelOptions options;
  ModelInfo info;
  WeightsBlob weights;  // must outlive the runtimes: XNNPACK reads static data from here
  float mean = 0.1307f, std = 0.3081f;
  Widths widths;
  // Int8 precision: quantisation of the conv1, conv2, conv3 and fc1 outputs (after ReLU), and
  // the int8 weights of conv2, conv3 (qconv[1], qconv[2]) and fc1.
  QuantParams act[4];
  QuantConv qconv[3];
  QuantConv qfc1;  // per-channel on XNNPACK 2024; per-tensor on 2022 (no per-channel FC there)
  ThreadpoolPtr threadpool;
  std::map<std::size_t, Runner> runners;
  RuntimePtr probe;

  const float* data(const char* name) const { return weights.find(name)->values.data(); }

  Runner* single = nullptr;  // runners[1], made at load: predict()'s hot path skips the lookup

  Result<Runner*> runner(std::size_t batch);
  // A runtime for `batch` images bound to its own buffers (runner() keeps one per batch size).
  Result<Runner> make_runner(std::size_t batch, std::uint32_t runtime_flags = 0) const;
  Result<RuntimePtr> build(std::size_t batch, bool probe, std::uint32_t runtime_flags = 0) const;
  // Runs `count` images through a runner and writes their predictions to `out`.
  // Runs images[0..count) through r (count <= r.batch) into out.
  Result<bool> run(Runner& r, const Image28* images, std::size_t count, Prediction* out);
  Result<bool> prepare_int8();
};

namespace {

// Parses a metadata number; no exceptions (the WebAssembly build has them off).
bool parse_float(const std::string& text, float& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtof(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out);
}

// Symmetric int8 weights with one scale per output channel (or one for the whole tensor), and
// the int32 bias at scale input_scale * weight_scale.
QuantConv quantize(const Tensor& w, const Tensor& b, bool per_channel, float input_scale) {
  const std::size_t groups = per_channel ? w.dims[0] : 1;
  // An int8 blob's weights are used as stored (per channel) or requantised from their int8
  // values (per tensor): quantising the dequantised floats again cost ~20 ms at load in wasm.
  const Int8Values& stored = w.stored_int8;
  Int8Values q8 = stored.values.empty()            ? quantize_int8(w.values, groups)
                  : stored.scales.size() == groups ? stored
                                                   : requantize_per_tensor(stored);
  QuantConv q;
  q.weights = std::move(q8.values);
  q.weight_scales = std::move(q8.scales);
  const std::size_t out = b.element_count();
  q.bias.resize(out);
  q.bias_scales.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) q.bias_scales[g] = input_scale * q.weight_scales[g];
  for (std::size_t c = 0; c < out; ++c)
    q.bias[c] = static_cast<std::int32_t>(std::lround(b.values[c] / q.bias_scales[groups == 1 ? 0 : c]));
  return q;
}

}  // namespace

Result<bool> Model::Impl::prepare_int8() {
  const char* keys[4] = {"range.conv1", "range.conv2", "range.conv3", "range.fc1"};
  for (int i = 0; i < 4; ++i) {
    float m = 0;
    if (!parse_float(weights.meta(keys[i]), m) || !(m > 0))
      return Error{std::string("weights blob has no activation range '") + keys[i] +
                   "', which Int8 precision needs (export it with a current digits-train, or use F32)"};
    // ReLU outputs [0, m]. What feeds an int8 GEMM (conv1..conv3's outputs) goes onto 7 bits,
    // [-128, -1]: the relaxed-SIMD build's int8 kernels multiply activations as unsigned bytes,
    // and some engines (Firefox; V8 on CPUs without AVX-VNNI) lower that dot product to x86's
    // pmaddubsw, which saturates a pair of products above 32767. With activations below 128 a
    // pair is at most 2 * 127 * 127, so every engine gives the exact sums (cmake/XnnpackWasm.cmake
    // lets XNNPACK use those kernels there). Measured: no accuracy lost (MODEL_CARD.md).
    // fc1's output feeds no int8 GEMM and keeps all 8 bits.
    act[i].scale = m / (i < 3 ? kGemmInputLevels : 255);
    act[i].zero_point = -128;
  }
  for (int l = 1; l < 3; ++l) {  // conv1 stays f32 (see build())
    const std::string name = "conv" + std::to_string(l + 1);
    qconv[l] = quantize(*weights.find(name + ".weight"), *weights.find(name + ".bias"), true, act[l - 1].scale);
  }
  qfc1 = quantize(*weights.find("fc1.weight"), *weights.find("fc1.bias"), DIGITS_XNNPACK_HAS_RESHAPE, act[2].scale);
  return true;
}

Result<RuntimePtr> Model::Impl::build(std::size_t n, bool probe, std::uint32_t runtime_flags) const {
  const bool int8 = options.precision == Precision::Int8;
  xnn_subgraph_t g = nullptr;
  xnn_status s = xnn_create_subgraph(kProbeFirstId + (probe ? kProbeCount : 0), 0, &g);
  if (s != xnn_status_success) return Error{xnn_error("create a subgraph", s)};
  std::unique_ptr<xnn_subgraph, xnn_status (*)(xnn_subgraph_t)> guard(g, xnn_delete_subgraph);

  std::uint32_t next_probe = kProbeFirstId;
  auto probe_id = [&]() { return probe ? next_probe++ : XNN_INVALID_VALUE_ID; };
  auto probe_flags = [&]() { return probe ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : 0u; };
  auto tensor = [&](std::vector<size_t> dims, const float* data, uint32_t ext, uint32_t flags, uint32_t& id) {
    if (s != xnn_status_success) return;
    s = xnn_define_tensor_value(g, xnn_datatype_fp32, dims.size(), dims.data(), data, ext, flags, &id);
  };
  auto qtensor = [&](std::vector<size_t> dims, const QuantParams& q, uint32_t& id) {
    if (s != xnn_status_success) return;
    s = xnn_define_quantized_tensor_value(g, xnn_datatype_qint8, q.zero_point, q.scale, dims.size(), dims.data(),
                                          nullptr, XNN_INVALID_VALUE_ID, 0, &id);
  };
  // A layer's int8 weights (per output channel, dims `wdims`) and int32 bias, as stored.
  auto channelwise = [&](const QuantConv& q, std::vector<size_t> wdims, uint32_t& weights, uint32_t& bias) {
    const size_t bdims[1] = {wdims[0]};
    if (s == xnn_status_success)
      s = xnn_define_channelwise_quantized_tensor_value(g, xnn_datatype_qcint8, q.weight_scales.data(), wdims.size(), 0,
                                                        wdims.data(), q.weights.data(), XNN_INVALID_VALUE_ID, 0,
                                                        &weights);
    if (s == xnn_status_success)
      s = xnn_define_channelwise_quantized_tensor_value(g, xnn_datatype_qcint32, q.bias_scales.data(), 1, 0, bdims,
                                                        q.bias.data(), XNN_INVALID_VALUE_ID, 0, &bias);
  };
  // conv kxk (pad k/2) + ReLU + maxpool 2x2; in Int8 precision conv2 and conv3 run on int8 tensors.
  // conv1 stays f32 in both: with one input channel, int8 kernels would pad each 3x3 tap to 8
  // channels and do more work than the float kernel. It is the 1x1 convolution of the input's
  // nine values per pixel (its [32, 3, 3, 1] weights are the same bytes as [32, 1, 1, 9]; why:
  // see fill_input).
  auto conv_block = [&](int layer, uint32_t in, size_t hw, size_t cin, size_t cout, uint32_t k) {
    const std::string name = "conv" + std::to_string(layer + 1);
    const uint32_t pad = k / 2;
    uint32_t filter = 0, bias = 0, conv = 0, pooled = 0;
    // In Int8 precision every conv output is clamped to its quantised range's top (see
    // prepare_int8: 7 bits), conv1's too, though it is f32: its Convert would saturate at 8 bits.
    float out_max = int8 ? kGemmInputLevels * act[layer].scale : kInf;
    if (int8 && layer > 0) {
      channelwise(qconv[layer], {cout, k, k, cin}, filter, bias);
      qtensor({n, hw, hw, cout}, act[layer], conv);
      qtensor({n, hw / 2, hw / 2, cout}, act[layer], pooled);
    } else {
      tensor({cout, k, k, cin}, data((name + ".weight").c_str()), XNN_INVALID_VALUE_ID, 0, filter);
      tensor({cout}, data((name + ".bias").c_str()), XNN_INVALID_VALUE_ID, 0, bias);
      tensor({n, hw, hw, cout}, nullptr, probe_id(), probe_flags(), conv);
      tensor({n, hw / 2, hw / 2, cout}, nullptr, probe_id(), probe_flags(), pooled);
    }
    if (s == xnn_status_success)
      s = xnn_define_convolution_2d(g, pad, pad, pad, pad, k, k, 1, 1, 1, 1, 1, cin, cout, 0.0f, out_max, in, filter,
                                    bias, conv, 0);
    if (s == xnn_status_success)
      s = xnn_define_max_pooling_2d(g, 0, 0, 0, 0, 2, 2, 2, 2, 1, 1, -kInf, kInf, conv, pooled, 0);
    return pooled;
  };

  const size_t c1 = widths.c1, c2 = widths.c2, c3 = widths.c3, fc = widths.fc, flat_size = 9 * c3;
  uint32_t input = 0, x = 0, flat = 0, fc1w = 0, fc1b = 0, hidden = 0, fc2w = 0, fc2b = 0, logits = 0, probs = 0;
  tensor({n, 28, 28, kNeighbourhood}, nullptr, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, input);
  x = conv_block(0, input, 28, kNeighbourhood, c1, 1);
  if (int8) {
    uint32_t q = 0;
    qtensor({n, 14, 14, c1}, act[0], q);
    if (s == xnn_status_success) s = xnn_seam::define_convert(g, x, q);
    x = q;
  }
  x = conv_block(1, x, 14, c1, c2, 3);
  x = conv_block(2, x, 7, c2, c3, 3);
  if (int8) {
    // fc1 on int8 too: at batch 1 it is a memory-bound matrix-vector product, and int8 weights
    // are a quarter of the bytes.
    uint32_t flat8 = 0, hidden8 = 0;
    qtensor({n, flat_size}, act[2], flat8);
    const size_t flat_shape[2] = {n, flat_size};
    if (s == xnn_status_success) s = xnn_define_static_reshape(g, 2, flat_shape, x, flat8, 0);
#if DIGITS_XNNPACK_HAS_RESHAPE
    // Per-channel weights: an int8 blob's fc1 goes in as stored, with no requantisation at load.
    channelwise(qfc1, {fc, flat_size}, fc1w, fc1b);
#else
    const size_t wdims[2] = {fc, flat_size}, bdims[1] = {fc};
    if (s == xnn_status_success)
      s = xnn_define_quantized_tensor_value(g, xnn_datatype_qint8, 0, qfc1.weight_scales[0], 2, wdims,
                                            qfc1.weights.data(), XNN_INVALID_VALUE_ID, 0, &fc1w);
    if (s == xnn_status_success)
      s = xnn_define_quantized_tensor_value(g, xnn_datatype_qint32, 0, qfc1.bias_scales[0], 1, bdims, qfc1.bias.data(),
                                            XNN_INVALID_VALUE_ID, 0, &fc1b);
#endif
    qtensor({n, fc}, act[3], hidden8);
    if (s == xnn_status_success)
      s = xnn_define_fully_connected(g, 0.0f, (127 - act[3].zero_point) * act[3].scale, flat8, fc1w, fc1b, hidden8, 0);
    tensor({n, fc}, nullptr, XNN_INVALID_VALUE_ID, 0, hidden);
    if (s == xnn_status_success) s = xnn_seam::define_convert(g, hidden8, hidden);
  } else {
    tensor({n, flat_size}, nullptr, XNN_INVALID_VALUE_ID, 0, flat);
    const size_t flat_shape[2] = {n, flat_size};
    if (s == xnn_status_success) s = xnn_define_static_reshape(g, 2, flat_shape, x, flat, 0);
    tensor({fc, flat_size}, data("fc1.weight"), XNN_INVALID_VALUE_ID, 0, fc1w);
    tensor({fc}, data("fc1.bias"), XNN_INVALID_VALUE_ID, 0, fc1b);
    tensor({n, fc}, nullptr, probe_id(), probe_flags(), hidden);
    if (s == xnn_status_success) s = xnn_define_fully_connected(g, 0.0f, kInf, flat, fc1w, fc1b, hidden, 0);
  }
  tensor({10, fc}, data("fc2.weight"), XNN_INVALID_VALUE_ID, 0, fc2w);
  tensor({10}, data("fc2.bias"), XNN_INVALID_VALUE_ID, 0, fc2b);
  tensor({n, 10}, nullptr, 1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, logits);
  if (s == xnn_status_success) s = xnn_define_fully_connected(g, -kInf, kInf, hidden, fc2w, fc2b, logits, 0);
  tensor({n, 10}, nullptr, 2, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, probs);
  if (s == xnn_status_success) s = xnn_define_softmax(g, logits, probs, 0);
  if (s != xnn_status_success) return Error{xnn_error("define the network", s)};

  xnn_runtime_t rt = nullptr;
  s = xnn_create_runtime_v2(g, threadpool.get(), runtime_flags, &rt);
  if (s != xnn_status_success) return Error{xnn_error("create a runtime", s)};
  return RuntimePtr(rt);
}

Result<Runner*> Model::Impl::runner(std::size_t batch) {
  auto it = runners.find(batch);
  if (it != runners.end()) return &it->second;
  auto r = make_runner(batch);
  if (!r) return Error{r.error()};
  return &runners.emplace(batch, std::move(r).value()).first->second;
}

Result<Runner> Model::Impl::make_runner(std::size_t batch, std::uint32_t runtime_flags) const {
  auto rt = build(batch, false, runtime_flags);
  if (!rt) return Error{rt.error()};
  Runner r;
  r.batch = batch;
  r.runtime = std::move(rt.value());
  r.input.resize(batch * kInputValues + XNN_EXTRA_BYTES / sizeof(float));  // XNNPACK may over-read
  r.logits.resize(batch * kNumClasses);
  r.probs.resize(batch * kNumClasses);
  const xnn_external_value ext[3] = {{0, r.input.data()}, {1, r.logits.data()}, {2, r.probs.data()}};
  xnn_status s = xnn_seam::bind_buffers(r.runtime.get(), 3, ext);
  if (s != xnn_status_success) return Error{xnn_error("set up a runtime", s)};
  // Vectors keep their heap buffers when moved, so the pointers bound above stay valid.
  return r;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }

namespace {

// Whether the ink of a network input is at least 4x wider than tall: a dash, an underline, a
// line. No digit is that flat — the flattest of MNIST's 70 000 is 0.40 as tall as wide, of the
// held-out pen digits 0.30 — but the network reads a dash as a "1" with 88 % (a few flawed
// training samples are flat: `ibm`'s one-stroke "4"s that are only the bar, and "1"s), so the
// answer is flagged uncertain: never a confident digit for ink that is no digit.
bool flatter_than_any_digit(const Image28& image) {
  // Ink: at least 30 % of the darkest pixel (a hairline scaled to 20 pixels wide is faint all over).
  const float ink = 0.3f * *std::max_element(image.begin(), image.end());
  int top = kImageSide, bottom = -1, left = kImageSide, right = -1;
  for (int y = 0; y < kImageSide; ++y)
    for (int x = 0; x < kImageSide; ++x)
      if (image[y * kImageSide + x] > ink && ink > 0) {
        top = std::min(top, y), bottom = std::max(bottom, y);
        left = std::min(left, x), right = std::max(right, x);
      }
  return bottom >= 0 && 4 * (bottom - top + 1) < right - left + 1;
}

// Fills digit, confidence and uncertain from probabilities.
void decide(Prediction& p, float uncertain_below) {
  p.empty = false;
  p.digit =
      static_cast<int>(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
  p.confidence = p.probabilities[p.digit];
  p.uncertain = p.confidence < uncertain_below;
}

// The network's input for one image: the normalised image as each pixel's 3x3 neighbourhood, row
// by row ([28, 28, 9]; zero outside the image, as a padded 3x3 convolution reads it). conv1 is
// then one plain GEMM over nine contiguous values per pixel; as a 3x3 convolution of a one-channel
// image it was an indirect GEMM reading one value per kernel position, mostly overhead. XNNPACK's
// profiler in each browser (SIMD128 build): conv1 26 -> 17.6 us in Chromium, 40 -> 22 in Firefox,
// 33 -> 21.5 in WebKit; whole predictions, side by side: relaxed build Chromium 0.235 -> 0.230 ms,
// Firefox 0.200 -> 0.180 ms, SIMD128 Firefox 0.32 -> 0.30 ms. Natively conv1 was already fast (5 us
// with AVX-512) and this copy costs ~0.7 us. The sums are the same, in the same order: the answers
// are bit for bit the same (2 000 MNIST images, both wasm builds, both precisions).
void fill_input(float* dst, const Image28& img, float mean, float std) {
  constexpr int kPadded = kImageSide + 2;
  float padded[kPadded * kPadded] = {};
  for (int y = 0; y < kImageSide; ++y)
    for (int x = 0; x < kImageSide; ++x) padded[(y + 1) * kPadded + x + 1] = (img[y * kImageSide + x] - mean) / std;
  for (int y = 0; y < kImageSide; ++y)
    for (int x = 0; x < kImageSide; ++x)
      for (int dy = 0; dy < 3; ++dy)
        for (int dx = 0; dx < 3; ++dx) *dst++ = padded[(y + dy) * kPadded + x + dx];
}

}  // namespace

Result<Model> Model::load(const std::uint8_t* blob, std::size_t size, const ModelOptions& options) {
  // Int8 precision reads the stored int8 values, and floats only for kF32WeightsInInt8.
  const bool int8 = options.precision == Precision::Int8;
  auto decoded = decode_weights(blob, size, int8 ? Dequantize::None : Dequantize::All);
  if (!decoded) return Error{decoded.error()};
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->weights = std::move(decoded.value());
  WeightsBlob& w = impl->weights;
  for (auto& t : w.tensors)
    for (const char* name : kF32WeightsInInt8)
      if (t.name == name) dequantize(t);

  const std::string arch = w.meta("architecture");
  auto widths = widths_of(arch);
  if (!widths) return Error{widths.error()};
  impl->widths = widths.value();
  for (const auto& spec : expected_tensors(impl->widths)) {
    const Tensor* t = w.find(spec.name);
    if (!t) return Error{std::string("weights blob has no tensor '") + spec.name + "'"};
    if (t->dims != spec.dims) return Error{std::string("weights blob tensor '") + spec.name + "' has the wrong shape"};
  }
  if (options.threads < 1) return Error{"threads must be at least 1"};

  ModelInfo& info = impl->info;
  info.architecture = arch;
  info.blob_version = static_cast<int>(kBlobVersion);
  info.storage = w.meta("storage", "f32");
  info.precision = options.precision;
  info.metadata = w.metadata;
  if (!parse_float(w.meta("temperature", "1"), info.temperature) ||
      !parse_float(w.meta("mean", "0.1307"), impl->mean) || !parse_float(w.meta("std", "0.3081"), impl->std))
    return Error{"weights blob has a malformed temperature, mean or std"};
  if (!(info.temperature > 0.05f && info.temperature < 20.0f) || !(impl->std > 0))
    return Error{"weights blob has an implausible temperature or std"};
  if (options.uncertain_below < 0) {
    if (!parse_float(w.meta("uncertain_below", "0.7"), impl->options.uncertain_below) ||
        !(impl->options.uncertain_below >= 0 && impl->options.uncertain_below <= 1))
      return Error{"weights blob has a malformed uncertain_below (a confidence 0..1)"};
  }
  info.uncertain_below = impl->options.uncertain_below;

  // Calibration: softmax(logits / T). Folding 1/T into fc2 lets XNNPACK's softmax do it.
  for (const char* name : {"fc2.weight", "fc2.bias"})
    for (auto& t : w.tensors)
      if (t.name == name)
        for (float& v : t.values) v /= info.temperature;
  if (int8) {
    auto q = impl->prepare_int8();
    if (!q) return Error{q.error()};
  }

  xnn_status s = xnn_initialize(nullptr);  // idempotent; XNNPACK keeps its own process state
  if (s != xnn_status_success) return Error{xnn_error("initialize (is the CPU supported?)", s)};
  if (options.threads > 1) {
    impl->threadpool.reset(pthreadpool_create(static_cast<size_t>(options.threads)));
    if (!impl->threadpool) return Error{"could not create a thread pool"};
  }
  auto r = impl->runner(1);
  if (!r) return Error{r.error()};
  impl->single = r.value();
  return Model(std::move(impl));
}

Prediction Model::make_prediction(const std::array<float, kNumClasses>& logits) const {
  Prediction p;
  p.logits = logits;
  const float t = impl_->info.temperature;
  const float mx = *std::max_element(logits.begin(), logits.end()) / t;
  double sum = 0;
  for (int i = 0; i < kNumClasses; ++i) sum += std::exp(logits[i] / t - mx);
  for (int i = 0; i < kNumClasses; ++i) p.probabilities[i] = static_cast<float>(std::exp(logits[i] / t - mx) / sum);
  decide(p, impl_->options.uncertain_below);
  return p;
}

Result<bool> Model::Impl::run(Runner& r, const Image28* images, std::size_t count, Prediction* out) {
  for (std::size_t b = 0; b < count; ++b) fill_input(r.input.data() + b * kInputValues, images[b], mean, std);
  const xnn_status s = xnn_invoke_runtime(r.runtime.get());
  if (s != xnn_status_success) return Error{xnn_error("run the network (xnn_invoke_runtime)", s)};
  for (std::size_t b = 0; b < count; ++b) {
    Prediction& p = out[b];
    for (int c = 0; c < kNumClasses; ++c) {
      p.probabilities[c] = r.probs[b * kNumClasses + c];
      p.logits[c] = r.logits[b * kNumClasses + c] * info.temperature;  // undo the folded 1/T
    }
    decide(p, options.uncertain_below);
    p.uncertain = p.uncertain || flatter_than_any_digit(images[b]);
  }
  return true;
}

Result<std::vector<Prediction>> Model::predict_batch(const std::vector<Image28>& images) {
  std::vector<Prediction> out(images.size());
  std::size_t i = 0;
  if (images.size() >= kBatch) {
    auto big = impl_->runner(kBatch);
    if (!big) return Error{"could not set up a batch of " + std::to_string(kBatch) + ": " + big.error()};
    for (; images.size() - i >= kBatch; i += kBatch) {
      auto ran = impl_->run(*big.value(), &images[i], kBatch, &out[i]);
      if (!ran) return Error{ran.error()};
    }
  }
  for (; i < images.size(); ++i) {
    auto ran = impl_->run(*impl_->single, &images[i], 1, &out[i]);
    if (!ran) return Error{ran.error()};
  }
  return out;
}

Result<Prediction> Model::predict(const Preprocessed& input) {
  if (input.empty) return Prediction{};
  return predict(input.image);
}

Result<Prediction> Model::predict(const Image28& image) {
  Prediction p;
  auto ran = impl_->run(*impl_->single, &image, 1, &p);
  if (!ran) return Error{ran.error()};
  return p;
}

Result<std::vector<Model::Layer>> Model::inspect(const Image28& image) {
  if (impl_->options.precision != Precision::F32) return Error{"inspect() needs a model loaded with F32 precision"};
  if (!impl_->probe) {
    auto rt = impl_->build(1, true);
    if (!rt) return Error{rt.error()};
    impl_->probe = std::move(rt.value());
  }
  struct Shape {
    int h, w, c;
  };
  const Widths& w = impl_->widths;
  const int c1 = static_cast<int>(w.c1), c2 = static_cast<int>(w.c2), c3 = static_cast<int>(w.c3);
  const Shape shapes[kProbeCount] = {
      {28, 28, c1}, {14, 14, c1}, {14, 14, c2}, {7, 7, c2}, {7, 7, c3}, {3, 3, c3}, {1, 1, static_cast<int>(w.fc)}};
  std::vector<Layer> layers(kProbeCount + 1);
  std::vector<float> input(kInputValues + XNN_EXTRA_BYTES / sizeof(float)), probs(kNumClasses);
  fill_input(input.data(), image, impl_->mean, impl_->std);
  std::vector<xnn_external_value> ext = {{0, input.data()}};
  for (std::uint32_t k = 0; k < kProbeCount; ++k) {
    layers[k].name = kProbeNames[k];
    layers[k].height = shapes[k].h;
    layers[k].width = shapes[k].w;
    layers[k].channels = shapes[k].c;
    layers[k].values.resize(static_cast<size_t>(shapes[k].h) * shapes[k].w * shapes[k].c);
    ext.push_back({kProbeFirstId + k, layers[k].values.data()});
  }
  Layer& logits = layers[kProbeCount];
  logits.name = "logits";
  logits.channels = kNumClasses;
  logits.values.resize(kNumClasses);
  ext.push_back({1, logits.values.data()});
  ext.push_back({2, probs.data()});
  xnn_status s = xnn_seam::bind_buffers(impl_->probe.get(), ext.size(), ext.data());
  if (s == xnn_status_success) s = xnn_invoke_runtime(impl_->probe.get());
  if (s != xnn_status_success) return Error{xnn_error("run the probe network", s)};
  for (float& v : logits.values) v *= impl_->info.temperature;
  return layers;
}

Result<std::vector<std::pair<std::string, float>>> Model::activation_ranges(const std::vector<Image28>& images) {
  float mx[4] = {0, 0, 0, 0};
  for (const auto& img : images) {
    auto layers = inspect(img);
    if (!layers) return Error{layers.error()};
    for (int l = 0; l < 4; ++l)  // conv1, conv2, conv3 (probe slots 0, 2, 4) and fc1 (slot 6)
      for (float v : layers.value()[2 * l].values) mx[l] = std::max(mx[l], v);
  }
  return std::vector<std::pair<std::string, float>>{
      {"range.conv1", mx[0]}, {"range.conv2", mx[1]}, {"range.conv3", mx[2]}, {"range.fc1", mx[3]}};
}

Result<std::vector<Model::OperatorTime>> Model::profile(const Image28& image, int runs) {
  if (runs < 1) return Error{"profile: runs must be at least 1, not " + std::to_string(runs)};
  if (!xnn_seam::kHasProfiler)
    return Error{std::string("per-operator timing needs XNNPACK's profiler, which ") + xnn_seam::version_name() +
                 " does not have (build with the native or wasm preset)"};
  auto made = impl_->make_runner(1, xnn_seam::kProfilingFlag);
  if (!made) return Error{made.error()};
  Runner& runner = made.value();
  fill_input(runner.input.data(), image, impl_->mean, impl_->std);
  // The operators are fixed when the runtime is made; each run overwrites their times.
  std::vector<std::string> names;
  xnn_status s = xnn_seam::operator_names(runner.runtime.get(), names);
  if (s != xnn_status_success) return Error{xnn_error("name the network's operators", s)};
  std::vector<OperatorTime> out(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) out[i].name = names[i];
  std::vector<std::uint64_t> us(names.size());
  for (int run = 0; run < runs; ++run) {
    s = xnn_invoke_runtime(runner.runtime.get());
    if (s == xnn_status_success) s = xnn_seam::operator_microseconds(runner.runtime.get(), us);
    if (s != xnn_status_success) return Error{xnn_error("time the network's operators", s)};
    for (std::size_t i = 0; i < out.size(); ++i) out[i].microseconds += static_cast<double>(us[i]);
  }
  for (auto& o : out) o.microseconds /= runs;
  return out;
}

namespace {
Result<Prediction> predict_preprocessed(Model& m, const Result<Preprocessed>& pre) {
  if (!pre) return Error{pre.error()};
  return m.predict(pre.value());
}
}  // namespace

Result<Prediction> Model::predict_image(const ImageView& image) {
  return predict_preprocessed(*this, preprocess_image(image, impl_->options.preprocess));
}

Result<Prediction> Model::predict_strokes(const std::vector<Stroke>& strokes) {
  return predict_preprocessed(*this, preprocess_strokes(strokes, impl_->options.preprocess));
}

Result<Reading> Model::read_image(const ImageView& image, const ReadOptions& read) {
  return detail::read_atoms(*this, detail::image_atoms(image, impl_->options.preprocess, read), read, 0);
}

Result<Reading> Model::read_strokes(const std::vector<Stroke>& strokes, const ReadOptions& read) {
  return detail::read_atoms(*this, detail::stroke_atoms(strokes, impl_->options.preprocess, read), read,
                            strokes.size());
}

}  // namespace digits
