// The C ABI that wasm/api.js calls: a thin shell over core (digits/digits.h). No preprocessing or
// inference lives here; this file only moves bytes between JavaScript's heap views and core.
//
// Every call works on a Session (one loaded model plus the buffer its answers are written to), so
// several DigitsModel objects can live in one page. Functions that can fail return null / 0 and
// leave a message in digits_session_error().
#include <digits/digits.h>
#include <emscripten/emscripten.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

// Layout shared with wasm/api.js (readAnswer): keep both in sync.
struct Answer {
  std::int32_t digit;  // 0..9, -1 when empty
  float confidence;    // 0..1
  float probabilities[digits::kNumClasses];
  std::int32_t empty;                        // 1: no ink, nothing predicted
  std::int32_t uncertain;                    // 1: confidence below the model's threshold
  float elapsed_ms;                          // preprocessing + inference inside core
  std::uint8_t image[digits::kImagePixels];  // the 28x28 the network saw, 0..255 white ink on black
};

struct Session {
  std::optional<digits::Model> model;  // empty when loading failed (see error)
  digits::PreprocessOptions preprocess;
  Answer answer{};
  std::string error;
  std::string info_json;
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
  const digits::Preprocessed& in = pre.value();
  digits::Prediction p;  // default: empty
  if (!in.empty) p = s->model->predict(in.image);
  return answer(s, in.image, p, start);
}

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
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

// Facts about the model as a JSON object: {"architecture", "precision", "storage", "temperature",
// "blob_version", "metadata": {...}}.
EMSCRIPTEN_KEEPALIVE const char* digits_session_info(Session* s) {
  const digits::ModelInfo& info = s->model->info();
  std::string& j = s->info_json;
  j = "{\"architecture\":";
  append_json_string(j, info.architecture);
  j += ",\"precision\":";
  j += info.precision == digits::Precision::Int8 ? "\"int8\"" : "\"f32\"";
  j += ",\"storage\":";
  append_json_string(j, info.storage);
  j += ",\"blob_version\":" + std::to_string(info.blob_version);
  j += ",\"temperature\":" + std::to_string(info.temperature);
  j += ",\"metadata\":{";
  for (size_t i = 0; i < info.metadata.size(); ++i) {
    if (i) j += ',';
    append_json_string(j, info.metadata[i].first);
    j += ':';
    append_json_string(j, info.metadata[i].second);
  }
  j += "}}";
  return j.c_str();
}

// An already normalised 28x28 image (784 floats, 0..1, white ink on black): network only.
EMSCRIPTEN_KEEPALIVE Answer* digits_predict28(Session* s, const float* pixels) {
  const double start = now_ms();
  digits::Image28 image;
  for (int i = 0; i < digits::kImagePixels; ++i) {
    const float v = pixels[i];
    if (!(v >= 0.0f && v <= 1.0f)) {  // also catches NaN
      s->error = "pixel " + std::to_string(i) + " is outside 0..1 (give a normalised 28x28 image)";
      return nullptr;
    }
    image[i] = v;
  }
  digits::Prediction p;
  bool any_ink = false;
  for (float v : image) any_ink = any_ink || v > 0.0f;
  if (any_ink) p = s->model->predict(image);
  return answer(s, image, p, start);
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
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) {
    if (lengths[i] < 0) {
      s->error = "stroke " + std::to_string(i) + " has a negative point count";
      return nullptr;
    }
    total += static_cast<std::size_t>(lengths[i]);
  }
  if (total > s->preprocess.max_points) {  // refuse before allocating
    s->error =
        "too many points: " + std::to_string(total) + " (at most " + std::to_string(s->preprocess.max_points) + ")";
    return nullptr;
  }
  std::vector<digits::Stroke> strokes(count > 0 ? count : 0);
  std::size_t at = 0;
  for (int i = 0; i < count; ++i) {
    strokes[i].resize(lengths[i]);
    for (auto& p : strokes[i]) {
      p = {xy[2 * at], xy[2 * at + 1]};
      ++at;
    }
  }
  return predict_preprocessed(s, digits::preprocess_strokes(strokes, s->preprocess), start);
}

}  // extern "C"
