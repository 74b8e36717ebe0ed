// The network on XNNPACK's subgraph API.
//
//   input [N,28,28,1] -> conv3x3(32)+relu -> maxpool2 -> conv3x3(64)+relu -> maxpool2
//   -> conv3x3(128)+relu -> maxpool2 -> reshape [N,1152] -> fc(512)+relu -> fc(10) -> softmax
//
// BatchNorm was folded into the convolutions by the trainer; ReLU is fused as output_min = 0;
// the softmax temperature is folded into fc2 so the graph's softmax is already calibrated.
// A runtime is built once per batch size (1 at load, kBatch on first batch call) and reused.
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "digits/digits.h"
#include "digits/weights.h"
#include "xnnpack_seam.h"

namespace digits {

namespace {

constexpr const char* kArchitecture = "cnn3-bn-fc512";
constexpr std::size_t kBatch = 64;
constexpr float kInf = std::numeric_limits<float>::infinity();

struct LayerSpec {
  const char* name;
  std::vector<std::uint32_t> dims;
};

// Shapes the blob must have, in the engine's layout (OHWI filters, [out][in] FC weights).
const std::vector<LayerSpec>& expected_tensors() {
  static const std::vector<LayerSpec> spec = {
      {"conv1.weight", {32, 3, 3, 1}},   {"conv1.bias", {32}},
      {"conv2.weight", {64, 3, 3, 32}},  {"conv2.bias", {64}},
      {"conv3.weight", {128, 3, 3, 64}}, {"conv3.bias", {128}},
      {"fc1.weight", {512, 1152}},       {"fc1.bias", {512}},
      {"fc2.weight", {10, 512}},         {"fc2.bias", {10}},
  };
  return spec;
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
  std::vector<float> input;   // [batch, 28, 28, 1], normalised
  std::vector<float> logits;  // [batch, 10], divided by the temperature
  std::vector<float> probs;   // [batch, 10]
};

}  // namespace

struct Model::Impl {
  ModelOptions options;
  ModelInfo info;
  WeightsBlob weights;  // must outlive the runtimes: XNNPACK reads static data from here
  float mean = 0.1307f, std = 0.3081f;
  ThreadpoolPtr threadpool;
  std::map<std::size_t, Runner> runners;

  const float* data(const char* name) const { return weights.find(name)->values.data(); }

  Result<Runner*> runner(std::size_t batch);
  Result<RuntimePtr> build(std::size_t batch) const;
};

Result<RuntimePtr> Model::Impl::build(std::size_t n) const {
  xnn_subgraph_t g = nullptr;
  xnn_status s = xnn_create_subgraph(/*external_value_ids=*/3, 0, &g);
  if (s != xnn_status_success) return Error{xnn_error("create a subgraph", s)};
  std::unique_ptr<xnn_subgraph, xnn_status (*)(xnn_subgraph_t)> guard(g, xnn_delete_subgraph);

  auto tensor = [&](std::vector<size_t> dims, const float* data, uint32_t ext, uint32_t flags, uint32_t& id) {
    if (s != xnn_status_success) return;
    s = xnn_define_tensor_value(g, xnn_datatype_fp32, dims.size(), dims.data(), data, ext, flags, &id);
  };
  auto conv_block = [&](uint32_t in, size_t hw, size_t cin, size_t cout, const char* w, const char* b) {
    uint32_t filter = 0, bias = 0, conv = 0, pooled = 0;
    tensor({cout, 3, 3, cin}, data(w), XNN_INVALID_VALUE_ID, 0, filter);
    tensor({cout}, data(b), XNN_INVALID_VALUE_ID, 0, bias);
    tensor({n, hw, hw, cout}, nullptr, XNN_INVALID_VALUE_ID, 0, conv);
    tensor({n, hw / 2, hw / 2, cout}, nullptr, XNN_INVALID_VALUE_ID, 0, pooled);
    if (s == xnn_status_success)
      s = xnn_define_convolution_2d(g, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, cin, cout, 0.0f, kInf, in, filter, bias, conv, 0);
    if (s == xnn_status_success)
      s = xnn_define_max_pooling_2d(g, 0, 0, 0, 0, 2, 2, 2, 2, 1, 1, -kInf, kInf, conv, pooled, 0);
    return pooled;
  };

  uint32_t input = 0, flat = 0, fc1w = 0, fc1b = 0, hidden = 0, fc2w = 0, fc2b = 0, logits = 0, probs = 0;
  tensor({n, 28, 28, 1}, nullptr, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, input);
  uint32_t x = conv_block(input, 28, 1, 32, "conv1.weight", "conv1.bias");
  x = conv_block(x, 14, 32, 64, "conv2.weight", "conv2.bias");
  x = conv_block(x, 7, 64, 128, "conv3.weight", "conv3.bias");
  tensor({n, 1152}, nullptr, XNN_INVALID_VALUE_ID, 0, flat);
  const size_t flat_shape[2] = {n, 1152};
  if (s == xnn_status_success) s = xnn_define_static_reshape(g, 2, flat_shape, x, flat, 0);
  tensor({512, 1152}, data("fc1.weight"), XNN_INVALID_VALUE_ID, 0, fc1w);
  tensor({512}, data("fc1.bias"), XNN_INVALID_VALUE_ID, 0, fc1b);
  tensor({n, 512}, nullptr, XNN_INVALID_VALUE_ID, 0, hidden);
  if (s == xnn_status_success) s = xnn_define_fully_connected(g, 0.0f, kInf, flat, fc1w, fc1b, hidden, 0);
  tensor({10, 512}, data("fc2.weight"), XNN_INVALID_VALUE_ID, 0, fc2w);
  tensor({10}, data("fc2.bias"), XNN_INVALID_VALUE_ID, 0, fc2b);
  tensor({n, 10}, nullptr, 1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, logits);
  if (s == xnn_status_success) s = xnn_define_fully_connected(g, -kInf, kInf, hidden, fc2w, fc2b, logits, 0);
  tensor({n, 10}, nullptr, 2, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, probs);
  if (s == xnn_status_success) s = xnn_define_softmax(g, logits, probs, 0);
  if (s != xnn_status_success) return Error{xnn_error("define the network", s)};

  xnn_runtime_t rt = nullptr;
  s = xnn_create_runtime_v2(g, threadpool.get(), 0, &rt);
  if (s != xnn_status_success) return Error{xnn_error("create a runtime", s)};
  return RuntimePtr(rt);
}

Result<Runner*> Model::Impl::runner(std::size_t batch) {
  auto it = runners.find(batch);
  if (it != runners.end()) return &it->second;
  auto rt = build(batch);
  if (!rt) return Error{rt.error()};
  Runner r;
  r.batch = batch;
  r.runtime = std::move(rt.value());
  r.input.resize(batch * kImagePixels);
  r.logits.resize(batch * kNumClasses);
  r.probs.resize(batch * kNumClasses);
  const xnn_external_value ext[3] = {{0, r.input.data()}, {1, r.logits.data()}, {2, r.probs.data()}};
  xnn_status s = xnn_seam::bind_buffers(r.runtime.get(), 3, ext);
  if (s != xnn_status_success) return Error{xnn_error("set up a runtime", s)};
  // Vectors keep their heap buffers when moved, so the pointers bound above stay valid.
  return &runners.emplace(batch, std::move(r)).first->second;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }

Result<Model> Model::load(const std::uint8_t* blob, std::size_t size, const ModelOptions& options) {
  auto decoded = decode_weights(blob, size);
  if (!decoded) return Error{decoded.error()};
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->weights = std::move(decoded.value());
  WeightsBlob& w = impl->weights;

  const std::string arch = w.meta("architecture");
  if (arch != kArchitecture)
    return Error{"weights blob is for architecture '" + arch + "', but this build runs '" + kArchitecture + "'"};
  for (const auto& spec : expected_tensors()) {
    const Tensor* t = w.find(spec.name);
    if (!t) return Error{std::string("weights blob has no tensor '") + spec.name + "'"};
    if (t->dims != spec.dims) return Error{std::string("weights blob tensor '") + spec.name + "' has the wrong shape"};
  }
  if (options.threads < 1) return Error{"threads must be at least 1"};

  ModelInfo& info = impl->info;
  info.architecture = arch;
  info.blob_version = static_cast<int>(kBlobVersion);
  info.storage = w.meta("storage", "f32");
  info.metadata = w.metadata;
  try {
    info.temperature = std::stof(w.meta("temperature", "1"));
    impl->mean = std::stof(w.meta("mean", "0.1307"));
    impl->std = std::stof(w.meta("std", "0.3081"));
  } catch (...) {
    return Error{"weights blob has a malformed temperature, mean or std"};
  }
  if (!(info.temperature > 0.05f && info.temperature < 20.0f) || !(impl->std > 0))
    return Error{"weights blob has an implausible temperature or std"};

  // Calibration: softmax(logits / T). Folding 1/T into fc2 lets XNNPACK's softmax do it.
  for (const char* name : {"fc2.weight", "fc2.bias"})
    for (auto& t : w.tensors)
      if (t.name == name)
        for (float& v : t.values) v /= info.temperature;

  xnn_status s = xnn_initialize(nullptr);  // idempotent; XNNPACK keeps its own process state
  if (s != xnn_status_success) return Error{xnn_error("initialize (is the CPU supported?)", s)};
  if (options.threads > 1) {
    impl->threadpool.reset(pthreadpool_create(static_cast<size_t>(options.threads)));
    if (!impl->threadpool) return Error{"could not create a thread pool"};
  }
  auto r = impl->runner(1);
  if (!r) return Error{r.error()};
  return Model(std::move(impl));
}

Prediction Model::make_prediction(const std::array<float, kNumClasses>& logits) const {
  Prediction p;
  p.empty = false;
  p.logits = logits;
  float mx = -kInf;
  for (float l : logits) mx = std::max(mx, l / impl_->info.temperature);
  double sum = 0;
  for (int i = 0; i < kNumClasses; ++i) sum += std::exp(logits[i] / impl_->info.temperature - mx);
  for (int i = 0; i < kNumClasses; ++i)
    p.probabilities[i] = static_cast<float>(std::exp(logits[i] / impl_->info.temperature - mx) / sum);
  p.digit = static_cast<int>(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
  p.confidence = p.probabilities[p.digit];
  p.uncertain = p.confidence < impl_->options.uncertain_below;
  return p;
}

namespace {
void fill_input(float* dst, const Image28& img, float mean, float std) {
  for (int i = 0; i < kImagePixels; ++i) dst[i] = (img[i] - mean) / std;
}
}  // namespace

std::vector<Prediction> Model::predict_batch(const std::vector<Image28>& images) {
  std::vector<Prediction> out;
  out.reserve(images.size());
  std::size_t i = 0;
  auto run = [&](Runner& r, std::size_t count) {
    for (std::size_t b = 0; b < count; ++b)
      fill_input(r.input.data() + b * kImagePixels, images[i + b], impl_->mean, impl_->std);
    xnn_invoke_runtime(r.runtime.get());
    for (std::size_t b = 0; b < count; ++b) {
      Prediction p;
      p.empty = false;
      for (int c = 0; c < kNumClasses; ++c) {
        p.probabilities[c] = r.probs[b * kNumClasses + c];
        p.logits[c] = r.logits[b * kNumClasses + c] * impl_->info.temperature;
      }
      p.digit = static_cast<int>(std::max_element(p.probabilities.begin(), p.probabilities.end()) -
                                 p.probabilities.begin());
      p.confidence = p.probabilities[p.digit];
      p.uncertain = p.confidence < impl_->options.uncertain_below;
      out.push_back(p);
    }
    i += count;
  };
  if (images.size() >= kBatch) {
    auto big = impl_->runner(kBatch);
    if (big)
      while (images.size() - i >= kBatch) run(*big.value(), kBatch);
  }
  Runner& one = impl_->runners.at(1);
  while (i < images.size()) run(one, 1);
  return out;
}

Prediction Model::predict(const Image28& image) { return predict_batch({image}).front(); }

namespace {
Result<Prediction> predict_preprocessed(Model& m, const Result<Preprocessed>& pre) {
  if (!pre) return Error{pre.error()};
  if (pre.value().empty) return Prediction{};
  return m.predict(pre.value().image);
}
}  // namespace

Result<Prediction> Model::predict_image(const ImageView& image) {
  return predict_preprocessed(*this, preprocess_image(image, impl_->options.preprocess));
}

Result<Prediction> Model::predict_strokes(const std::vector<Stroke>& strokes) {
  return predict_preprocessed(*this, preprocess_strokes(strokes, impl_->options.preprocess));
}

}  // namespace digits
