// The C ABI that wasm/api.js calls: a thin shell over core (digits/digits.h). No preprocessing or
// inference lives here; this file only moves bytes between JavaScript's heap views and core.
//
// Every call works on a Session (one loaded model plus the buffer its answers are written to), so
// several DigitsModel objects can live in one page. Functions that can fail return null / 0 and
// leave a message in digits_session_error().
#include <digits/digits.h>
#include <emscripten/emscripten.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

// Layout shared with wasm/api.js (readAnswer); the static_asserts below pin it.
struct Answer {
  std::int32_t digit;  // 0..9, -1 when empty
  float confidence;    // 0..1
  float probabilities[digits::kNumClasses];
  std::int32_t empty;                        // 1: no ink, nothing predicted
  std::int32_t uncertain;                    // 1: confidence below the model's threshold
  float elapsed_ms;                          // preprocessing + inference inside core
  std::uint8_t image[digits::kImagePixels];  // the 28x28 the network saw, 0..255 white ink on black
};

// wasm/api.js reads these structs at fixed offsets (ANSWER_IMAGE_OFFSET, ANSWER_BYTES,
// READ_DIGIT_BYTES there): every field is pinned here, so a change to either side that the other
// does not follow stops the build instead of shifting every answer.
static_assert(offsetof(Answer, digit) == 0 && offsetof(Answer, confidence) == 4, "wasm/api.js: Answer");
static_assert(offsetof(Answer, probabilities) == 8 && digits::kNumClasses == 10, "wasm/api.js: Answer");
static_assert(offsetof(Answer, empty) == 48 && offsetof(Answer, uncertain) == 52, "wasm/api.js: Answer");
static_assert(offsetof(Answer, elapsed_ms) == 56 && offsetof(Answer, image) == 60, "wasm/api.js: Answer");
static_assert(sizeof(Answer) == 60 + digits::kImagePixels, "wasm/api.js: ANSWER_BYTES");

// A whole number (digits_read_*): the count, then one ReadDigit per digit, left to right.
constexpr int kMaxReadDigits = 32;  // digits::ReadOptions' default limit
struct ReadDigit {
  Answer answer;
  float box[4];           // x, y, width, height in the input's coordinates
  std::int32_t touching;  // 1: cut out of touching ink
};
// A decimal point or comma between two digits (digits::ReadSeparator).
struct ReadSeparator {
  std::int32_t symbol;  // '.' or ','
  std::int32_t after;   // between digits[after] and digits[after + 1]
  float box[4];         // x, y, width, height in the input's coordinates
};
struct ReadAnswer {
  std::int32_t count;  // 0 when nothing was drawn
  float elapsed_ms;    // segmentation + preprocessing + inference inside core
  ReadDigit digits[kMaxReadDigits];
  std::int32_t separator_count;
  ReadSeparator separators[kMaxReadDigits];  // core refuses more (ReadOptions::max_digits)
  char text[2 * kMaxReadDigits + 1];         // digits::Reading::text, NUL-terminated
};
static_assert(offsetof(ReadDigit, box) == sizeof(Answer) && offsetof(ReadDigit, touching) == sizeof(Answer) + 16,
              "wasm/api.js: ReadDigit");
static_assert(sizeof(ReadDigit) == sizeof(Answer) + 20, "wasm/api.js: READ_DIGIT_BYTES");
static_assert(offsetof(ReadAnswer, count) == 0 && offsetof(ReadAnswer, elapsed_ms) == 4 &&
                  offsetof(ReadAnswer, digits) == 8,
              "wasm/api.js: ReadAnswer");
static_assert(offsetof(ReadAnswer, separator_count) == 8 + kMaxReadDigits * sizeof(ReadDigit) &&
                  offsetof(ReadAnswer, separators) == 12 + kMaxReadDigits * sizeof(ReadDigit) &&
                  sizeof(ReadSeparator) == 24 && offsetof(ReadSeparator, box) == 8,
              "wasm/api.js: READ_SEPARATORS_OFFSET");
static_assert(offsetof(ReadAnswer, text) == 12 + kMaxReadDigits * (sizeof(ReadDigit) + sizeof(ReadSeparator)),
              "wasm/api.js: READ_TEXT_OFFSET");

struct Session {
  std::optional<digits::Model> model;  // empty when loading failed (see error)
  digits::PreprocessOptions preprocess;
  Answer answer{};
  ReadAnswer reading{};
  std::string error;
  std::vector<std::pair<std::string, std::string>> info;  // see digits_session_info_key
  std::string profile;                                    // see digits_session_profile
};

double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

// Fills the session's answer from a preprocessed image (empty or not) and a prediction.
Answer* answer(Session* s, const digits::Image28& image, const digits::Prediction& p, double start) {
  Answer& a = s->answer;
  a.digit = p.digit;
  a.confidence = p.confidence;
  for (int i = 0; i < digits::kNumClasses; ++i) a.probabilities[i] = p.probabilities[i];
  a.empty = p.empty ? 1 : 0;
  a.uncertain = p.uncertain ? 1 : 0;
  for (int i = 0; i < digits::kImagePixels; ++i) {
    float v = image[i] < 0 ? 0 : image[i] > 1 ? 1 : image[i];
    a.image[i] = static_cast<std::uint8_t>(v * 255.0f + 0.5f);
  }
  a.elapsed_ms = static_cast<float>(now_ms() - start);
  s->error.clear();
  return &a;
}

Answer* predict_preprocessed(Session* s, const digits::Result<digits::Preprocessed>& pre, double start) {
  if (!pre) {
    s->error = pre.error();
    return nullptr;
  }
  auto p = s->model->predict(pre.value());
  if (!p) {
    s->error = p.error();
    return nullptr;
  }
  return answer(s, pre.value().image, p.value(), start);
}

ReadAnswer* read_answer(Session* s, const digits::Result<digits::Reading>& r, double start) {
  if (!r) {
    s->error = r.error();
    return nullptr;
  }
  ReadAnswer& a = s->reading;
  a.count = static_cast<std::int32_t>(r.value().digits.size());
  for (std::int32_t i = 0; i < a.count && i < kMaxReadDigits; ++i) {
    const digits::ReadDigit& d = r.value().digits[static_cast<size_t>(i)];
    answer(s, d.image, d.prediction, start);
    a.digits[i].answer = s->answer;
    a.digits[i].box[0] = d.box.x, a.digits[i].box[1] = d.box.y;
    a.digits[i].box[2] = d.box.width, a.digits[i].box[3] = d.box.height;
    a.digits[i].touching = d.touching ? 1 : 0;
  }
  a.separator_count = 0;
  for (const auto& sep : r.value().separators) {
    ReadSeparator& out = a.separators[a.separator_count++];
    out.symbol = sep.symbol, out.after = sep.after;
    out.box[0] = sep.box.x, out.box[1] = sep.box.y, out.box[2] = sep.box.width, out.box[3] = sep.box.height;
  }
  // Core's text as it is (one interleaving of digits and separators, core's), not rebuilt in JS.
  const std::string& text = r.value().text;
  const std::size_t length = std::min(text.size(), sizeof a.text - 1);
  std::memcpy(a.text, text.data(), length);
  a.text[length] = '\0';
  a.elapsed_ms = static_cast<float>(now_ms() - start);
  s->error.clear();
  return &a;
}

// Flat x,y pairs and per-stroke point counts -> strokes; false (with the error set) when they
// cannot be. The total is checked before anything is allocated.
bool to_strokes(Session* s, const float* xy, const std::int32_t* lengths, int count, std::vector<digits::Stroke>& out) {
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) {
    if (lengths[i] < 0) {
      s->error = "stroke " + std::to_string(i) + " has a negative point count";
      return false;
    }
    total += static_cast<std::size_t>(lengths[i]);
  }
  if (total > s->preprocess.max_points) {
    s->error =
        "too many points: " + std::to_string(total) + " (at most " + std::to_string(s->preprocess.max_points) + ")";
    return false;
  }
  out.assign(count > 0 ? count : 0, {});
  std::size_t at = 0;
  for (int i = 0; i < count; ++i) {
    out[i].resize(lengths[i]);
    for (auto& p : out[i]) {
      p = {xy[2 * at], xy[2 * at + 1]};
      ++at;
    }
  }
  return true;
}

// 784 floats 0..1 -> an Image28; false (with the error set) when a value is outside 0..1.
bool to_image28(Session* s, const float* pixels, digits::Image28& image) {
  for (int i = 0; i < digits::kImagePixels; ++i) {
    const float v = pixels[i];
    if (!(v >= 0.0f && v <= 1.0f)) {  // also catches NaN
      s->error = "pixel " + std::to_string(i) + " is outside 0..1 (give a normalised 28x28 image)";
      return false;
    }
    image[i] = v;
  }
  return true;
}

}  // namespace

extern "C" {

// Loads the embedded weights. precision: 0 = F32, 1 = Int8 (faster, same accuracy). If loading
// failed, digits_session_error() says why (and the session can only be closed).
EMSCRIPTEN_KEEPALIVE Session* digits_session_open(int precision) {
  digits::ModelOptions options;
  options.precision = precision == 0 ? digits::Precision::F32 : digits::Precision::Int8;
  auto* s = new Session;
  s->preprocess = options.preprocess;
  auto model = digits::Model::load_default(options);
  if (model) {
    s->model.emplace(std::move(model).value());
  } else {
    s->error = model.error();
  }
  return s;
}

EMSCRIPTEN_KEEPALIVE void digits_session_close(Session* s) { delete s; }

EMSCRIPTEN_KEEPALIVE const char* digits_session_error(Session* s) { return s ? s->error.c_str() : ""; }

// Facts about the model as (key, value) text pairs, for api.js to make its `info` object of:
// architecture, precision, storage, blob_version, temperature, then "metadata.<key>" for each
// entry of the blob's metadata. Null past the last. (Text, not JSON: nothing here escapes.)
EMSCRIPTEN_KEEPALIVE const char* digits_session_info_key(Session* s, int i) {
  if (s->info.empty()) {
    const digits::ModelInfo& info = s->model->info();
    s->info = {{"architecture", info.architecture},
               {"precision", info.precision == digits::Precision::Int8 ? "int8" : "f32"},
               {"storage", info.storage},
               {"blob_version", std::to_string(info.blob_version)},
               {"temperature", std::to_string(info.temperature)}};
    for (const auto& kv : info.metadata) s->info.emplace_back("metadata." + kv.first, kv.second);
  }
  return i >= 0 && static_cast<std::size_t>(i) < s->info.size() ? s->info[i].first.c_str() : nullptr;
}

EMSCRIPTEN_KEEPALIVE const char* digits_session_info_value(Session* s, int i) {
  return i >= 0 && static_cast<std::size_t>(i) < s->info.size() ? s->info[i].second.c_str() : nullptr;
}

// An already normalised 28x28 image (784 floats, 0..1, white ink on black): network only.
EMSCRIPTEN_KEEPALIVE Answer* digits_predict28(Session* s, const float* pixels) {
  const double start = now_ms();
  digits::Image28 image;
  if (!to_image28(s, pixels, image)) return nullptr;
  bool any_ink = false;
  for (float v : image) any_ink = any_ink || v > 0.0f;
  if (!any_ink) return answer(s, image, digits::Prediction{}, start);
  auto p = s->model->predict(image);
  if (!p) {
    s->error = p.error();
    return nullptr;
  }
  return answer(s, image, p.value(), start);
}

// RGBA pixels (width*height*4 bytes, e.g. canvas ImageData): preprocessing + network.
EMSCRIPTEN_KEEPALIVE Answer* digits_predict_rgba(Session* s, const std::uint8_t* rgba, int width, int height) {
  const double start = now_ms();
  digits::ImageView view{rgba, width, height, digits::PixelFormat::RGBA8, 0};
  return predict_preprocessed(s, digits::preprocess_image(view, s->preprocess), start);
}

// Strokes as flat x,y pairs in any coordinate space (e.g. CSS pixels of the pad): `lengths` holds
// the number of points of each of the `count` strokes.
EMSCRIPTEN_KEEPALIVE Answer* digits_predict_strokes(Session* s, const float* xy, const std::int32_t* lengths,
                                                    int count) {
  const double start = now_ms();
  std::vector<digits::Stroke> strokes;
  if (!to_strokes(s, xy, lengths, count, strokes)) return nullptr;
  return predict_preprocessed(s, digits::preprocess_strokes(strokes, s->preprocess), start);
}

// A whole number from strokes (as digits_predict_strokes takes them) or RGBA pixels.
EMSCRIPTEN_KEEPALIVE ReadAnswer* digits_read_strokes(Session* s, const float* xy, const std::int32_t* lengths,
                                                     int count) {
  const double start = now_ms();
  std::vector<digits::Stroke> strokes;
  if (!to_strokes(s, xy, lengths, count, strokes)) return nullptr;
  digits::ReadOptions read;
  read.max_digits = kMaxReadDigits;
  return read_answer(s, s->model->read_strokes(strokes, read), start);
}

EMSCRIPTEN_KEEPALIVE ReadAnswer* digits_read_rgba(Session* s, const std::uint8_t* rgba, int width, int height) {
  const double start = now_ms();
  digits::ReadOptions read;
  read.max_digits = kMaxReadDigits;
  return read_answer(s, s->model->read_image({rgba, width, height, digits::PixelFormat::RGBA8, 0}, read), start);
}

// Where a prediction of this 28x28 image spends its time in this engine: `runs` runs timed
// operator by operator by XNNPACK's profiler (Model::profile), as text, one operator per line:
// "name<TAB>mean microseconds". For bench/browser's per-operator table and anyone asking why a
// browser is slow; the model's own predictions never pay for the timing.
EMSCRIPTEN_KEEPALIVE const char* digits_session_profile(Session* s, const float* pixels, int runs) {
  digits::Image28 image;
  if (!to_image28(s, pixels, image)) return nullptr;
  auto ops = s->model->profile(image, runs);
  if (!ops) {
    s->error = ops.error();
    return nullptr;
  }
  s->profile.clear();
  for (const auto& op : ops.value()) s->profile += op.name + "\t" + std::to_string(op.microseconds) + "\n";
  s->error.clear();
  return s->profile.c_str();
}

}  // extern "C"
