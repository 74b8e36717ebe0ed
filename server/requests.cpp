#include "requests.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "digits/png.h"

namespace server {
namespace {

using nlohmann::json;

Problem bad(std::string message) { return Problem{400, std::move(message)}; }

// A JSON body -> an object, with a message that says where parsing stopped.
Parsed<json> parse_json_object(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again only to find where it broke (the error path can afford it).
    try {
      const json again = json::parse(body.begin(), body.end());
      (void)again;
    } catch (const json::parse_error& e) {
      return bad("body is not valid JSON (error at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception&) {
      // out_of_range: a number such as 1e999 that no double holds (JSON's nearest to NaN/inf).
    }
    return bad("body is not valid JSON (a number is out of range)");
  }
  if (!j.is_object()) return bad("body must be a JSON object, e.g. {\"strokes\": [[[x, y], ...]]}");
  return j;
}

std::string describe(const json& v) {
  if (v.is_number()) return v.dump();
  if (v.is_string()) return "a string";
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  return "an object";
}

// A finite JSON number, or nothing (JSON cannot spell NaN, but 1e999 parses as infinity).
std::optional<double> number(const json& v) {
  if (!v.is_number()) return std::nullopt;
  const double d = v.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

Parsed<int> dimension(const json& item, const char* key) {
  const auto& v = item.at(key);
  if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > (1 << 20))
    return bad(std::string(key) + " must be a positive whole number, not " + describe(v));
  return static_cast<int>(v.get<long long>());
}

Parsed<digits::Preprocessed> from_preprocess(digits::Result<digits::Preprocessed> r) {
  if (!r) return bad(r.error());
  return std::move(r).value();
}

Parsed<Input> parse_pixels(const json& item, const Limits& limits) {
  const auto& px = item.at("pixels");
  if (!px.is_array()) return bad("pixels must be an array of gray values 0-255, not " + describe(px));
  int w = digits::kImageSide, h = digits::kImageSide;
  const bool has_w = item.contains("width"), has_h = item.contains("height");
  if (has_w != has_h) return bad("give both width and height, or neither for 784 pixels (28x28)");
  if (has_w) {
    auto pw = dimension(item, "width");
    if (!pw) return pw.problem;
    auto ph = dimension(item, "height");
    if (!ph) return ph.problem;
    w = *pw.value;
    h = *ph.value;
  } else if (px.size() != static_cast<std::size_t>(digits::kImagePixels)) {
    return bad("width and height are required unless there are 784 pixels (28x28); got " + std::to_string(px.size()) +
               " pixels");
  }
  const std::int64_t n = static_cast<std::int64_t>(w) * h;
  if (n > limits.max_pixels)
    return bad("image is " + std::to_string(w) + "x" + std::to_string(h) + " pixels, more than the limit of " +
               std::to_string(limits.max_pixels));
  if (static_cast<std::int64_t>(px.size()) != n)
    return bad("pixels has " + std::to_string(px.size()) + " values but width x height is " + std::to_string(n));
  Input in;
  in.image = {w, h, digits::PixelFormat::Gray8, std::vector<std::uint8_t>(static_cast<std::size_t>(n))};
  std::vector<std::uint8_t>& gray = in.image.pixels;
  for (std::size_t i = 0; i < gray.size(); ++i) {
    const auto v = number(px[i]);
    if (!v || *v < 0 || *v > 255)
      return bad("pixels[" + std::to_string(i) + "] is " + describe(px[i]) + "; values must be numbers 0-255");
    gray[i] = static_cast<std::uint8_t>(std::lround(*v));
  }
  return in;
}

std::optional<digits::Point> point(const json& p) {
  std::optional<double> x, y;
  if (p.is_array() && p.size() == 2) {
    x = number(p[0]);
    y = number(p[1]);
  } else if (p.is_object() && p.contains("x") && p.contains("y")) {
    x = number(p["x"]);
    y = number(p["y"]);
  }
  // Coordinates beyond float range would overflow in the rasteriser's arithmetic.
  if (!x || !y || std::fabs(*x) > 1e7 || std::fabs(*y) > 1e7) return std::nullopt;
  return digits::Point{static_cast<float>(*x), static_cast<float>(*y)};
}

Parsed<Input> parse_strokes(const json& item, const Limits& limits) {
  const auto& ss = item.at("strokes");
  if (!ss.is_array()) return bad("strokes must be an array of strokes, each an array of [x, y] points");
  if (ss.size() > limits.max_strokes)
    return bad("too many strokes: " + std::to_string(ss.size()) + " (limit " + std::to_string(limits.max_strokes) +
               ")");
  std::vector<digits::Stroke> strokes;
  strokes.reserve(ss.size());
  std::size_t total = 0;
  for (std::size_t s = 0; s < ss.size(); ++s) {
    if (!ss[s].is_array()) return bad("strokes[" + std::to_string(s) + "] must be an array of [x, y] points");
    total += ss[s].size();
    if (total > limits.max_points)
      return bad("too many points over all strokes (limit " + std::to_string(limits.max_points) + ")");
    digits::Stroke stroke;
    stroke.reserve(ss[s].size());
    for (std::size_t i = 0; i < ss[s].size(); ++i) {
      auto p = point(ss[s][i]);
      if (!p)
        return bad("strokes[" + std::to_string(s) + "][" + std::to_string(i) +
                   "] must be [x, y] or {\"x\": x, \"y\": y} with finite numbers (|v| <= 1e7)");
      stroke.push_back(*p);
    }
    strokes.push_back(std::move(stroke));
  }
  Input in;
  in.is_strokes = true;
  in.strokes = std::move(strokes);
  return in;
}

Parsed<Input> decode_png_input(const std::uint8_t* data, std::size_t size, const Limits& limits) {
  auto img = digits::decode_png(data, size, limits.max_pixels);
  if (!img) return bad(img.error());
  Input in;
  in.image = std::move(img.value());
  return in;
}

Parsed<Input> parse_image_field(const json& item, const Limits& limits) {
  const auto& v = item.at("image");
  if (!v.is_string()) return bad("image must be a string: a data URL such as data:image/png;base64,...");
  const auto& s = v.get_ref<const std::string&>();
  auto bytes = decode_png_data_url(s);
  if (!bytes) return bad(bytes.error());
  return decode_png_input(bytes.value().data(), bytes.value().size(), limits);
}

Parsed<Input> parse_input_item(const json& item, const Limits& limits) {
  if (!item.is_object()) return bad("each item must be a JSON object with pixels, strokes or image");
  const int forms = int(item.contains("pixels")) + int(item.contains("strokes")) + int(item.contains("image"));
  if (forms == 0) return bad("expected one of \"pixels\", \"strokes\" or \"image\"");
  if (forms > 1) return bad("send only one of \"pixels\", \"strokes\" or \"image\"");
  if (item.contains("pixels")) return parse_pixels(item, limits);
  if (item.contains("strokes")) return parse_strokes(item, limits);
  return parse_image_field(item, limits);
}

Parsed<digits::Preprocessed> preprocess(Parsed<Input> in, const Limits& limits) {
  if (!in) return in.problem;
  const Input& i = *in.value;
  if (i.is_strokes) return from_preprocess(digits::preprocess_strokes(i.strokes, preprocess_options(limits)));
  return from_preprocess(digits::preprocess_image(i.image.view(), preprocess_options(limits)));
}

// Checks the media type of a JSON-only route.
std::optional<Problem> require_json(std::string_view content_type, std::string_view body) {
  if (body.empty()) return bad("request body is empty: send a JSON object");
  const auto type = media_type(content_type);
  if (type != "application/json")
    return Problem{415, "Content-Type must be application/json" +
                            (type.empty() ? std::string(" (none was given)") : ", not " + type)};
  return std::nullopt;
}

}  // namespace

std::string media_type(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }), t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

digits::Result<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
  if (text.size() > (1u << 30)) return digits::Error{"base64 text is too long"};
  std::vector<std::uint8_t> out(text.size() / 4 * 3 + 3);
  std::unique_ptr<EVP_ENCODE_CTX, void (*)(EVP_ENCODE_CTX*)> ctx(EVP_ENCODE_CTX_new(), EVP_ENCODE_CTX_free);
  if (!ctx) return digits::Error{"out of memory decoding base64"};
  EVP_DecodeInit(ctx.get());
  int n = 0, tail = 0;
  const int r = EVP_DecodeUpdate(ctx.get(), out.data(), &n, reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()));
  if (r < 0 || EVP_DecodeFinal(ctx.get(), out.data() + n, &tail) < 0)
    return digits::Error{"image data is not valid base64"};
  // OpenSSL stops quietly at '-' (PEM's end marker) or at padding followed by more text: insist
  // that it consumed everything, so garbage after the data is an error rather than ignored.
  const auto expected = [&] {
    std::size_t chars = 0, pad = 0;
    for (char c : text) {
      if (c == '=')
        ++pad;
      else if (!std::isspace(static_cast<unsigned char>(c)))
        ++chars;
    }
    return std::make_pair(chars, pad);
  }();
  if (expected.second > 2 || (expected.first + expected.second) % 4 != 0 ||
      static_cast<std::size_t>(n + tail) != expected.first * 3 / 4)
    return digits::Error{"image data is not valid base64"};
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

digits::Result<std::vector<std::uint8_t>> decode_png_data_url(std::string_view url) {
  const std::string_view scheme = "data:";
  if (url.substr(0, scheme.size()) != scheme)
    return digits::Error{"image must be a data URL (data:image/png;base64,...)"};
  const auto comma = url.find(',');
  if (comma == std::string_view::npos) return digits::Error{"image data URL has no ',' before its data"};
  std::string header(url.substr(scheme.size(), comma - scheme.size()));
  std::transform(header.begin(), header.end(), header.begin(), [](unsigned char c) { return std::tolower(c); });
  if (header.rfind("image/png", 0) != 0)
    return digits::Error{"image data URL must be image/png, not '" + header.substr(0, 40) + "'"};
  if (header.size() < 7 || header.compare(header.size() - 7, 7, ";base64") != 0)
    return digits::Error{"image data URL must be base64-encoded (data:image/png;base64,...)"};
  return decode_base64(url.substr(comma + 1));
}

digits::PreprocessOptions preprocess_options(const Limits& limits) {
  digits::PreprocessOptions o;
  o.max_pixels = limits.max_pixels;
  o.max_points = limits.max_points;
  return o;
}

Parsed<digits::Preprocessed> parse_png(const std::uint8_t* data, std::size_t size, const Limits& limits) {
  return preprocess(decode_png_input(data, size, limits), limits);
}

Parsed<digits::Preprocessed> parse_item(const json& item, const Limits& limits) {
  return preprocess(parse_input_item(item, limits), limits);
}

Parsed<Input> parse_input(std::string_view content_type, std::string_view body, const Limits& limits) {
  if (body.empty()) return bad("request body is empty: send a PNG (image/png) or a JSON object (application/json)");
  const auto type = media_type(content_type);
  if (type == "image/png")
    return decode_png_input(reinterpret_cast<const std::uint8_t*>(body.data()), body.size(), limits);
  if (type != "application/json")
    return Problem{415, "Content-Type must be image/png or application/json" +
                            (type.empty() ? std::string(" (none was given)") : ", not " + type)};
  auto j = parse_json_object(body);
  if (!j) return j.problem;
  return parse_input_item(*j.value, limits);
}

Parsed<digits::Preprocessed> parse_predict(std::string_view content_type, std::string_view body, const Limits& limits) {
  return preprocess(parse_input(content_type, body, limits), limits);
}

Parsed<std::vector<Parsed<digits::Preprocessed>>> parse_batch(std::string_view content_type, std::string_view body,
                                                              const Limits& limits) {
  if (auto p = require_json(content_type, body)) return *p;
  auto j = parse_json_object(body);
  if (!j) return j.problem;
  const json& doc = *j.value;
  if (!doc.contains("items") || !doc["items"].is_array())
    return bad("body must be {\"items\": [...]}, each item like a POST /api/v1/predict JSON body");
  const auto& items = doc["items"];
  if (items.empty()) return bad("items is empty: send at least one item");
  if (items.size() > limits.max_batch)
    return Problem{413, "too many items: " + std::to_string(items.size()) + " (limit " +
                            std::to_string(limits.max_batch) + "); split the batch"};
  std::vector<Parsed<digits::Preprocessed>> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(parse_item(item, limits));
  return out;
}

Parsed<digits::Preprocessed> parse_compat(std::string_view content_type, std::string_view body, const Limits& limits) {
  if (auto p = require_json(content_type, body)) return *p;
  auto j = parse_json_object(body);
  if (!j) return j.problem;
  if (!j.value->contains("image")) return bad("expected {\"image\": \"data:image/png;base64,...\"}");
  return preprocess(parse_image_field(*j.value, limits), limits);
}

}  // namespace server
