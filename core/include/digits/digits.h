// digits — handwritten digit recognition core.
//
// One small library, used by every front end (CLI, WebAssembly, REST server, studio):
//
//   pixels or pen strokes ──> preprocess (28x28, MNIST-style) ──> network (XNNPACK) ──> Prediction
//
//   auto model = digits::Model::load_default();          // weights embedded at build time
//   if (!model) { std::cerr << model.error() << "\n"; return 1; }
//   digits::ImageView img{rgba, width, height, digits::PixelFormat::RGBA8};
//   auto p = model.value().predict_image(img);           // Result<Prediction>
//   if (p && !p.value().empty) std::cout << p.value().digit << "\n";
//
//   auto r = model.value().read_image(img);              // a whole number: Result<Reading>
//   if (r) std::cout << r.value().text << "\n";          // "2026"
//
// Conventions
// - No global state, no I/O: the caller reads files; the core takes bytes and pixels.
// - Errors are values (Result<T>) whose message says what was wrong and what to do.
// - A Model is not thread-safe (it owns its scratch buffers): use one per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace digits {

// ---------------------------------------------------------------------------------------------
// Errors as values
// ---------------------------------------------------------------------------------------------

struct Error {
  std::string message;
};

// Either a T or an Error. Test with `if (r)`, read with value() or error().
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Images and strokes
// ---------------------------------------------------------------------------------------------

constexpr int kImageSide = 28;  // the network's input is 28x28
constexpr int kImagePixels = kImageSide * kImageSide;
constexpr int kNumClasses = 10;

// A normalised network input: white ink (1.0) on black (0.0), row-major, like MNIST.
using Image28 = std::array<float, kImagePixels>;

enum class PixelFormat { Gray8, RGB8, RGBA8 };

// A view of caller-owned 8-bit pixels. stride is the bytes between rows (0 = tightly packed).
struct ImageView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::Gray8;
  int stride = 0;
};

struct Point {
  float x = 0;
  float y = 0;
};
using Stroke = std::vector<Point>;  // one pen-down..pen-up path, in any coordinate space

struct PreprocessOptions {
  // Inputs larger than this are refused (protects against decompression bombs and typos).
  std::int64_t max_pixels = 4096LL * 4096LL;
  // Total points over all strokes; more is refused.
  std::size_t max_points = 100000;
  // Total length of all strokes, in multiples of the digit's larger side; more is refused. A
  // hand-drawn digit is 1-5 (an "8" about 3); only scribbling reaches this, and drawing time
  // grows with ink, so it also bounds the work one request can ask for.
  float max_stroke_length = 64.0f;
  // Pen width for strokes, as a fraction of the digit's larger side. MNIST's strokes are ~0.12.
  float stroke_width = 0.12f;
};

// What preprocessing produced (its intermediate stages: preprocess_*_stages below).
struct Preprocessed {
  Image28 image{};    // the network input (valid when !empty)
  bool empty = true;  // no ink (blank, uniform or near-empty input): do not predict
};

// Finds the ink (dark-on-light, light-on-dark or opaque-on-transparent, detected), crops it,
// scales it to fit 20x20 with anti-aliasing keeping the aspect ratio, and centres its centre of
// mass in 28x28 — the way MNIST was made.
Result<Preprocessed> preprocess_image(const ImageView& image, const PreprocessOptions& options = {});

// Rasterises anti-aliased strokes with a pen width relative to the digit's size, then normalises
// like preprocess_image. The result does not depend on canvas size, pen width or position.
Result<Preprocessed> preprocess_strokes(const std::vector<Stroke>& strokes, const PreprocessOptions& options = {});

// Introspection: the pictures preprocessing makes on its way to the 28x28, for tools that show
// *why* an input looks the way it does to the network (the studio). Same code path as
// preprocess_image / preprocess_strokes: `centred` is bit-identical to their `image`.
// Slower than those (it copies each stage), so use them when you only need the answer.

// A grey-scale picture: 0 = paper, 1 = full ink, row-major, width * height values.
struct GrayPlane {
  int width = 0;
  int height = 0;
  std::vector<float> values;
};

struct PreprocessStages {
  GrayPlane raw_ink;   // the input as ink, at its own size (strokes: rasterised, pen applied)
  GrayPlane cropped;   // the ink's bounding box (0x0 when no ink was found)
  GrayPlane scaled20;  // 20x20: the crop scaled so its larger side spans 20 pixels, aspect kept,
                       // centred (MNIST's 20x20 step; before the pen width is normalised)
  Image28 centred{};   // the network input: pen width in MNIST's range, centre of mass at
                       // (14, 14); bit-identical to Preprocessed::image
  bool empty = true;   // as Preprocessed::empty; scaled20 and centred are then all paper
};

Result<PreprocessStages> preprocess_image_stages(const ImageView& image, const PreprocessOptions& options = {});
Result<PreprocessStages> preprocess_strokes_stages(const std::vector<Stroke>& strokes,
                                                   const PreprocessOptions& options = {});

// For callers that make their own ink (the trainer's augmentation): an ink plane (1 = ink)
// normalised exactly as preprocess_image normalises the ink it finds (crop, fit 20x20, pen
// width, centre of mass). A size other than width * height, over max_pixels, or a value that is
// not finite is an error.
Result<Preprocessed> preprocess_ink(const GrayPlane& ink, const PreprocessOptions& options = {});

// One step of the pen-width rule's morphology (what preprocessing does to a too thin or too thick
// pen): the ink grown (`thicker`) or shrunk by one pixel towards its 4 neighbours, or its 8 with
// `square`. Same size errors as preprocess_ink.
Result<GrayPlane> change_pen_width(const GrayPlane& ink, bool thicker, bool square = false);

// ---------------------------------------------------------------------------------------------
// Reading numbers: where the digits are
// ---------------------------------------------------------------------------------------------

// A rectangle in the input's own coordinates (pixels for images, the strokes' units for strokes).
struct Box {
  float x = 0, y = 0, width = 0, height = 0;
};

struct ReadOptions {
  // An input with more separate digits than this, or more points, commas, colons and hyphens, is refused
  // (protects the work per request).
  int max_digits = 32;
};

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

struct Prediction {
  int digit = -1;        // 0..9, or -1 when empty
  float confidence = 0;  // calibrated probability of `digit`
  std::array<float, kNumClasses> probabilities{};
  std::array<float, kNumClasses> logits{};  // before temperature scaling
  bool empty = true;                        // no ink: digit is -1, probabilities are 0
  bool uncertain = false;                   // confidence below ModelOptions::uncertain_below, or
                                            // ink 4x wider than tall (a dash: no digit is that flat)
};

// A number read from an input: each digit with its Prediction and its place.
struct ReadDigit {
  Prediction prediction;     // as predict() gives it; uncertain is also set when `touching`
  Box box;                   // around its ink (strokes: around its points)
  std::vector<int> strokes;  // stroke input: indices of this digit's strokes, in writing order
  bool touching = false;     // cut out of ink that ran into a neighbour: the cut may be wrong
  Image28 image{};           // the 28x28 the network saw
};

// A decimal point or a comma written low between two digits ("12.50", "1,000"), a colon: two dots
// one over the other ("12:30"), a hyphen: a short flat stroke at mid-height ("2026-12-05"), or
// the same stroke before the first digit: a minus sign ("-12", after = -1), or a point low before
// it: a decimal point (".75", after = -1).
struct ReadSeparator {
  char symbol = '.';  // '.', ',' (a mark that reaches below the digits' baseline, taller than wide), ':' or '-'
  Box box;            // around its ink (strokes: around its points; a colon's: around both dots)
  int after = 0;      // it stands between digits[after] and digits[after + 1]; -1: before digits[0]
};

struct Reading {
  std::string text;                       // left to right: "2026", "12.50", "12:30" ("" when empty)
  std::vector<ReadDigit> digits;          // the digits alone, in the same order
  std::vector<ReadSeparator> separators;  // the points, commas, colons and hyphens of `text`, in order
  bool empty = true;                      // no ink
};

enum class Precision {
  F32,   // float everywhere: the reference
  Int8,  // conv2, conv3 and fc1 in int8 (per-channel conv weights, activation ranges measured
         // by the trainer and stored in the blob): faster, same MNIST accuracy
};

struct ModelOptions {
  int threads = 1;  // threads for one inference (1 = caller's thread only)
  Precision precision = Precision::F32;
  // Confidence under this sets Prediction::uncertain. Negative: the threshold fitted with the
  // model on real pen digits (blob metadata "uncertain_below"; 0.7 for a blob without one).
  float uncertain_below = -1;
  PreprocessOptions preprocess{};
};

// Facts about a loaded model, from its weights blob.
struct ModelInfo {
  std::string architecture;  // e.g. "cnn3-bn-fc512"
  int blob_version = 0;
  std::string storage;                                        // "f32" or "int8" (how weights were stored in the blob)
  Precision precision = Precision::F32;                       // how this instance computes
  float temperature = 1;                                      // softmax temperature fitted for calibration
  float uncertain_below = 0.7f;                               // the threshold this instance uses (see ModelOptions)
  std::vector<std::pair<std::string, std::string>> metadata;  // free-form facts (accuracy, ...)
};

class Model {
 public:
  // Loads a weights blob (see digits/weights.h). The bytes are copied; the caller may free them.
  static Result<Model> load(const std::uint8_t* blob, std::size_t size, const ModelOptions& options = {});
  // Loads the blob embedded at build time (requires linking digits::default_model).
  static Result<Model> load_default(const ModelOptions& options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  const ModelInfo& info() const;

  // Runs the network on an already normalised 28x28 image (see preprocess_*). It fails only if
  // XNNPACK reports that running the network failed: a message, never a made-up answer.
  Result<Prediction> predict(const Image28& image);
  // Runs it on what preprocess_* made: no ink (input.empty) gives a Prediction with empty = true
  // and no digit, without running the network. Every predict_* below goes through here.
  Result<Prediction> predict(const Preprocessed& input);
  // Same for many images; faster per image than calling predict() in a loop. The first call
  // with 64 or more images sets up a batch runtime; if that fails, so does the call (it does not
  // quietly go on one image at a time).
  Result<std::vector<Prediction>> predict_batch(const std::vector<Image28>& images);

  // Preprocess + predict. An input with no ink gives a Prediction with empty = true.
  Result<Prediction> predict_image(const ImageView& image);
  Result<Prediction> predict_strokes(const std::vector<Stroke>& strokes);

  // A whole number, left to right. Strokes are grouped by where they lie once the writing's
  // slant is taken out (a "4" or a barred "7" is several strokes, and a bar may come after later
  // digits); images by their ink's connected parts, grouped the same way, a part as wide as two
  // digits cut where its ink is thinnest, a narrower one wider than a digit where the network
  // reads its halves best if it is unsure of the whole (both `touching`). Close neighbours that
  // read better as one digit than as two (a "4" whose stem does not meet its bar, a "5" and its
  // flag) are joined.
  // Ink too small to be a digit joins its nearest digit, unless it sits low in the gap between
  // two digits: then it is a decimal point or a comma (ReadSeparator), in `text` too. One digit
  // reads exactly as predict_image / predict_strokes answer it; no ink gives an empty Reading.
  Result<Reading> read_image(const ImageView& image, const ReadOptions& read = {});
  Result<Reading> read_strokes(const std::vector<Stroke>& strokes, const ReadOptions& read = {});

  // Shapes a Prediction from logits using this model's temperature and thresholds.
  Prediction make_prediction(const std::array<float, kNumClasses>& logits) const;

  // Introspection: every layer's output for one image, in network order (conv1, pool1, conv2,
  // pool2, conv3, pool3 as NHWC feature maps after ReLU; fc1; logits). For the studio and for
  // calibration; slower than predict().
  struct Layer {
    std::string name;
    int height = 1, width = 1, channels = 0;
    std::vector<float> values;  // height * width * channels, channels last
  };
  Result<std::vector<Layer>> inspect(const Image28& image);

  // The largest activation conv1..3 and fc1 produce over `images`: the ranges the Int8
  // precision needs, stored in the blob's metadata as range.conv1..3 and range.fc1 by the trainer.
  Result<std::vector<std::pair<std::string, float>>> activation_ranges(const std::vector<Image28>& images);

  // Where predict() spends its time: `runs` single-image runs of this model's network, timed
  // operator by operator by XNNPACK's own profiler, on a runtime of its own (predict() never pays
  // for the timing). XNNPACK's operator names ("Convolution (NHWC, QD8, F32, QC8W) IGEMM", ...),
  // in the order they run, and each one's mean microseconds per run (XNNPACK times whole
  // microseconds per run, so an operator under 1 us reads low). For bench_core --layers. The
  // 2022 XNNPACK (the torch preset's) has no profiler: that is an error that says so.
  struct OperatorTime {
    std::string name;
    double microseconds = 0;
  };
  Result<std::vector<OperatorTime>> profile(const Image28& image, int runs);

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The bytes of the weights blob embedded in this binary (empty if none was linked).
std::pair<const std::uint8_t*, std::size_t> default_model_blob();

}  // namespace digits
