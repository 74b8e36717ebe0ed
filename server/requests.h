// Request bodies -> core inputs. Pure functions (no HTTP, no model), so every rule about what a
// client may send is unit-tested without a server (tests/server_requests_test.cpp).
//
// Accepted bodies for one digit (POST /api/v1/predict):
//   image/png                                         any size and ink polarity core handles
//   {"pixels": [0..255, ...], "width": W, "height": H} grayscale, W*H values (W, H optional for 784)
//   {"strokes": [[[x, y], ...], ...]}                  pen strokes, any units; points may be {x, y}
//   {"image": "data:image/png;base64,..."}             a PNG data URL (what canvas.toDataURL gives)
// A batch (POST /api/v1/predict/batch) is {"items": [<one of the JSON forms>, ...]}.
// POST /api/v1/read takes every body /api/v1/predict takes (a number instead of one digit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digits/digits.h"
#include "digits/png.h"

namespace server {

struct Limits {
  // Decoded image size. Smaller than core's default: a PNG under the body limit can claim a
  // 16-megapixel image, and each worker decodes one at a time (2048x2048 RGBA is 16 MiB).
  std::int64_t max_pixels = 2048LL * 2048LL;
  std::size_t max_strokes = 256;
  std::size_t max_points = 20000;  // over all strokes of one digit
  std::size_t max_batch = 64;
};

// Why a body cannot be used: the HTTP status to answer with and a message for the client.
struct Problem {
  int status = 400;
  std::string message;
};

// A value or the Problem that prevented it.
template <typename T>
struct Parsed {
  std::optional<T> value;
  Problem problem;

  Parsed(T v) : value(std::move(v)) {}          // NOLINT: implicit by design, like digits::Result
  Parsed(Problem p) : problem(std::move(p)) {}  // NOLINT
  explicit operator bool() const { return value.has_value(); }
};

// "Image/PNG; charset=x" -> "image/png": the media type alone, lower case.
std::string media_type(std::string_view content_type);

// Standard base64 (RFC 4648, padded; whitespace ignored), decoded with OpenSSL's EVP_Decode*.
digits::Result<std::vector<std::uint8_t>> decode_base64(std::string_view text);

// "data:image/png;base64,...." -> the PNG bytes. Other media types or encodings are refused.
digits::Result<std::vector<std::uint8_t>> decode_png_data_url(std::string_view url);

// What a client sent, before preprocessing: pixels (decoded PNG or a pixels array) or strokes.
struct Input {
  bool is_strokes = false;
  digits::DecodedImage image;
  std::vector<digits::Stroke> strokes;
};

// The body of POST /api/v1/predict or /api/v1/read, by its Content-Type (415 for anything but PNG
// or JSON), checked against the limits but not yet preprocessed.
Parsed<Input> parse_input(std::string_view content_type, std::string_view body, const Limits& limits);

// Core's preprocessing options under these limits (a Model reading a number uses them too).
digits::PreprocessOptions preprocess_options(const Limits& limits);

// One item in JSON form ({"pixels"...}, {"strokes"...} or {"image"...}) -> a network input.
Parsed<digits::Preprocessed> parse_item(const nlohmann::json& item, const Limits& limits);

// PNG bytes -> a network input.
Parsed<digits::Preprocessed> parse_png(const std::uint8_t* data, std::size_t size, const Limits& limits);

// The body of POST /api/v1/predict, by its Content-Type (415 for anything but PNG or JSON).
Parsed<digits::Preprocessed> parse_predict(std::string_view content_type, std::string_view body, const Limits& limits);

// The body of POST /api/v1/predict/batch. The envelope must be right (else one Problem for the
// whole request); each item then succeeds or fails on its own.
Parsed<std::vector<Parsed<digits::Preprocessed>>> parse_batch(std::string_view content_type, std::string_view body,
                                                              const Limits& limits);

// The body of the reference app's POST /predict: {"image": "data:image/png;base64,..."}.
Parsed<digits::Preprocessed> parse_compat(std::string_view content_type, std::string_view body, const Limits& limits);

}  // namespace server
