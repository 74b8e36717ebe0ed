// digits-server without HTTP: body parsing (requests.h), flags (config.h), MIME types and
// Accept-Encoding (static_files.h), metrics text (metrics.h), the request and response values
// the routes see (http.h).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "config.h"
#include "http.h"
#include "metrics.h"
#include "requests.h"
#include "server_test_util.h"
#include "static_files.h"
#include "test_util.h"

using nlohmann::json;
using server::Limits;

namespace {

std::string str(const std::vector<std::uint8_t>& v) { return std::string(v.begin(), v.end()); }

using testutil::encode_base64;
using testutil::png_data_url;

server::Parsed<digits::Preprocessed> item(const json& j, const Limits& limits = {}) {
  return server::parse_item(j, limits);
}

void expect_problem(const server::Parsed<digits::Preprocessed>& p, int status, const std::string& fragment) {
  ASSERT_FALSE(p) << "expected a problem mentioning '" << fragment << "'";
  EXPECT_EQ(p.problem.status, status);
  EXPECT_NE(p.problem.message.find(fragment), std::string::npos) << p.problem.message;
}

using testutil::strokes_json;

}  // namespace

TEST(ServerRequests, MediaTypeIgnoresCaseParametersAndSpaces) {
  EXPECT_EQ(server::media_type("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(server::media_type(" image/png "), "image/png");
  EXPECT_EQ(server::media_type(""), "");
}

TEST(ServerRequests, Base64DecodesPaddedTextAndRefusesTheRest) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = server::decode_base64(encode_base64(std::vector<std::uint8_t>(s.begin(), s.end())));
    ASSERT_TRUE(d) << s << ": " << d.error();
    EXPECT_EQ(str(d.value()), s);
  }
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  auto d = server::decode_base64(encode_base64(all));
  ASSERT_TRUE(d);
  EXPECT_EQ(d.value(), all);
  auto wrapped = server::decode_base64("Zm9v\nYmFy");  // line breaks, as some encoders emit
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(str(wrapped.value()), "foobar");
  for (const char* bad : {"Zm9", "Zm9v!", "Zm=v", "Zg==Zg==", "Zm9v-YmFy", "Zg===", "====", "Zm9vYmFy\x01"})
    EXPECT_FALSE(server::decode_base64(bad)) << "accepted '" << bad << "'";
}

TEST(ServerRequests, DataUrlsMustBeBase64Png) {
  EXPECT_TRUE(server::decode_png_data_url("data:image/png;base64,Zm9v"));
  EXPECT_TRUE(server::decode_png_data_url("data:IMAGE/PNG;BASE64,Zm9v"));
  EXPECT_FALSE(server::decode_png_data_url("Zm9v"));
  EXPECT_FALSE(server::decode_png_data_url("data:image/jpeg;base64,Zm9v"));
  EXPECT_FALSE(server::decode_png_data_url("data:image/png,foo"));
  EXPECT_FALSE(server::decode_png_data_url("data:image/png;base64"));
}

TEST(ServerRequests, PixelsBecomeTheSameInputAsCorePreprocessing) {
  // A 7 drawn light-on-dark into 60x40 gray pixels.
  digits::PixelFormat f;
  auto px = testutil::to_pixels(testutil::render(testutil::digit_strokes(7), 60, 40, 0.3f, 10, 5, 4),
                                testutil::Style::LightOnDark, f);
  json j{{"pixels", px}, {"width", 60}, {"height", 40}};
  auto p = item(j);
  ASSERT_TRUE(p) << p.problem.message;
  auto expected = digits::preprocess_image({px.data(), 60, 40, digits::PixelFormat::Gray8, 0});
  ASSERT_TRUE(expected);
  EXPECT_FALSE(p.value->empty);
  EXPECT_EQ(p.value->image, expected.value().image);
}

TEST(ServerRequests, PixelsWithoutSizeMustBe28x28) {
  std::vector<int> px(784, 0);
  for (int y = 6; y < 22; ++y) px[y * 28 + 14] = 255;  // a vertical bar: a 1
  auto p = item(json{{"pixels", px}});
  ASSERT_TRUE(p) << p.problem.message;
  EXPECT_FALSE(p.value->empty);
  expect_problem(item(json{{"pixels", std::vector<int>(783, 0)}}), 400, "784");
  expect_problem(item(json{{"pixels", std::vector<int>(784, 0)}, {"width", 28}}), 400, "both width and height");
}

TEST(ServerRequests, BlankPixelsAreEmpty) {
  auto p = item(json{{"pixels", std::vector<int>(784, 255)}});
  ASSERT_TRUE(p) << p.problem.message;
  EXPECT_TRUE(p.value->empty);
}

TEST(ServerRequests, BadPixelsSayWhatIsWrong) {
  json px = std::vector<int>(784, 0);
  auto with = [&](std::size_t i, json v) {
    json copy = px;
    copy[i] = std::move(v);
    return item(json{{"pixels", copy}});
  };
  expect_problem(with(5, -1), 400, "pixels[5]");
  expect_problem(with(6, 256), 400, "pixels[6]");
  expect_problem(with(7, "9"), 400, "pixels[7] is a string");
  expect_problem(with(8, nullptr), 400, "pixels[8] is null");
  // JSON has no NaN or infinity; 1e999 is the closest a client can send.
  expect_problem(server::parse_predict("application/json", R"({"pixels": [1e999]})", Limits{}), 400, "out of range");
  expect_problem(with(9, true), 400, "pixels[9] is a boolean");
  expect_problem(item(json{{"pixels", px}, {"width", 28}, {"height", 27}}), 400, "width x height is 756");
  expect_problem(item(json{{"pixels", px}, {"width", -28}, {"height", -28}}), 400, "width must be");
  expect_problem(item(json{{"pixels", px}, {"width", 2.5}, {"height", 28}}), 400, "width must be");
  expect_problem(item(json{{"pixels", "abc"}}), 400, "pixels must be an array");
  Limits small;
  small.max_pixels = 100;
  expect_problem(item(json{{"pixels", px}}, small), 400, "more than the limit of 100");
}

TEST(ServerRequests, StrokesAcceptPairsAndXYObjects) {
  const auto seven = testutil::digit_strokes(7);
  auto a = item(json{{"strokes", strokes_json(seven)}});
  ASSERT_TRUE(a) << a.problem.message;
  json objects = json::array();
  for (const auto& s : seven) {
    json pts = json::array();
    for (const auto& p : s) pts.push_back({{"x", p.x}, {"y", p.y}});
    objects.push_back(pts);
  }
  auto b = item(json{{"strokes", objects}});
  ASSERT_TRUE(b) << b.problem.message;
  EXPECT_EQ(a.value->image, b.value->image);
  EXPECT_EQ(a.value->image, digits::preprocess_strokes(seven).value().image);
  auto none = item(json{{"strokes", json::array()}});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none.value->empty);
}

TEST(ServerRequests, BadStrokesSayWhatIsWrong) {
  expect_problem(item(json{{"strokes", 5}}), 400, "strokes must be an array");
  expect_problem(item(json{{"strokes", {5}}}), 400, "strokes[0] must be an array");
  expect_problem(item(json::parse(R"({"strokes": [[[1, 2], [3]]]})")), 400, "strokes[0][1]");
  expect_problem(item(json::parse(R"({"strokes": [[[1, 2], [3, "4"]]]})")), 400, "strokes[0][1]");
  expect_problem(server::parse_predict("application/json", R"({"strokes": [[[1, 2], [3, 1e999]]]})", Limits{}), 400,
                 "out of range");
  expect_problem(item(json::parse(R"({"strokes": [[[1, 2], [3, 1e30]]]})")), 400, "strokes[0][1]");
  Limits small;
  small.max_strokes = 2;
  small.max_points = 5;
  expect_problem(item(json::parse(R"({"strokes": [[[1, 2]], [[1, 2]], [[1, 2]]]})"), small), 400, "too many strokes");
  expect_problem(item(json::parse(R"({"strokes": [[[1,2],[1,2],[1,2]], [[1,2],[1,2],[1,2]]]})"), small), 400,
                 "too many points");
}

TEST(ServerRequests, ImageDataUrlsArePngsInBase64) {
  auto p = item(json{{"image", png_data_url("seven-dark-on-light.png")}});
  ASSERT_TRUE(p) << p.problem.message;
  auto bytes = testutil::read_file(testutil::source_path("tests/fixtures/seven-dark-on-light.png"));
  auto direct = server::parse_png(bytes.data(), bytes.size(), Limits{});
  ASSERT_TRUE(direct);
  EXPECT_EQ(p.value->image, direct.value->image);
  expect_problem(item(json{{"image", 7}}), 400, "image must be a string");
  expect_problem(item(json{{"image", "data:image/gif;base64,R0lG"}}), 400, "image/png");
  expect_problem(item(json{{"image", "data:image/png;base64,Zm9vYmFy"}}), 400, "not a PNG");
}

TEST(ServerRequests, AnItemIsExactlyOneForm) {
  expect_problem(item(json{{"foo", 1}}), 400, "expected one of");
  expect_problem(item(json{{"pixels", json::array()}, {"strokes", json::array()}}), 400, "only one of");
  expect_problem(item(json::array()), 400, "JSON object");
}

TEST(ServerRequests, PredictBodiesDispatchOnContentType) {
  auto png = testutil::read_file(testutil::source_path("tests/fixtures/two-light-on-dark.png"));
  const std::string body(png.begin(), png.end());
  auto a = server::parse_predict("image/png", body, Limits{});
  ASSERT_TRUE(a) << a.problem.message;
  EXPECT_FALSE(a.value->empty);
  const std::string strokes = json{{"strokes", strokes_json(testutil::digit_strokes(4))}}.dump();
  EXPECT_TRUE(server::parse_predict("application/json; charset=utf-8", strokes, Limits{}));
  expect_problem(server::parse_predict("text/plain", strokes, Limits{}), 415, "image/png or application/json");
  expect_problem(server::parse_predict("", strokes, Limits{}), 415, "none was given");
  expect_problem(server::parse_predict("application/json", "", Limits{}), 400, "empty");
  expect_problem(server::parse_predict("application/json", "{\"strokes\": [", Limits{}), 400, "not valid JSON");
  expect_problem(server::parse_predict("application/json", "[1, 2]", Limits{}), 400, "JSON object");
  expect_problem(server::parse_predict("image/png", body.substr(0, body.size() / 2), Limits{}), 400, "PNG");
  expect_problem(server::parse_predict("image/png", "GIF89a....", Limits{}), 400, "not a PNG");
}

TEST(ServerRequests, BatchEnvelopeFailsWholeItemsFailAlone) {
  Limits limits;
  limits.max_batch = 3;
  const json good{{"strokes", strokes_json(testutil::digit_strokes(1))}};
  auto b = server::parse_batch("application/json", json{{"items", {good, json{{"bad", 1}}, good}}}.dump(), limits);
  ASSERT_TRUE(b) << b.problem.message;
  ASSERT_EQ(b.value->size(), 3u);
  EXPECT_TRUE((*b.value)[0]);
  EXPECT_FALSE((*b.value)[1]);
  EXPECT_TRUE((*b.value)[2]);
  auto many = server::parse_batch("application/json", json{{"items", {good, good, good, good}}}.dump(), limits);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.problem.status, 413);
  EXPECT_FALSE(server::parse_batch("application/json", R"({"items": []})", limits));
  EXPECT_FALSE(server::parse_batch("application/json", R"({"things": [1]})", limits));
  EXPECT_EQ(server::parse_batch("image/png", "x", limits).problem.status, 415);
}

TEST(ServerRequests, CompatBodyIsADataUrl) {
  auto p = server::parse_compat("application/json", json{{"image", png_data_url("blank.png")}}.dump(), Limits{});
  ASSERT_TRUE(p) << p.problem.message;
  EXPECT_TRUE(p.value->empty);
  EXPECT_FALSE(server::parse_compat("application/json", R"({"strokes": []})", Limits{}));
}

TEST(ServerConfig, FlagsThenEnvironmentThenDefaults) {
  std::map<std::string, std::string> env{{"DIGITS_PORT", "9000"}, {"DIGITS_HOST", "0.0.0.0"}, {"DIGITS_THREADS", ""}};
  auto getenv = [&](const char* k) -> const char* {
    auto it = env.find(k);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = server::parse_config({"--port", "9100", "--max-body=2M", "--precision", "f32", "--cors-origin", "*",
                                 "--connections", "8", "--max-buffered", "512M", "--connections-per-ip=3"},
                                getenv);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c.value().port, 9100);       // the flag wins over DIGITS_PORT
  EXPECT_EQ(c.value().host, "0.0.0.0");  // from the environment
  EXPECT_EQ(c.value().threads, 0);       // empty variable = not set
  EXPECT_EQ(c.value().max_body, 2u << 20);
  EXPECT_EQ(c.value().precision, digits::Precision::F32);
  EXPECT_EQ(c.value().cors_origin, "*");
  EXPECT_EQ(c.value().idle_timeout_s, 5);
  EXPECT_EQ(c.value().connections, 8);
  EXPECT_EQ(c.value().connections_per_ip, 3);
  EXPECT_EQ(c.value().max_buffered, 512u << 20);

  auto none = [](const char*) -> const char* { return nullptr; };
  EXPECT_TRUE(server::parse_config({"--help"}, none).value().help);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{{"--port", "70000"},
                                                                            {"--port"},
                                                                            {"--nope", "1"},
                                                                            {"stray"},
                                                                            {"--max-body", "1G"},
                                                                            {"--precision", "f16"},
                                                                            {"--threads", "-1"},
                                                                            {"--access-log", "syslog"},
                                                                            {"--idle-timeout", "0"},
                                                                            {"--max-buffered", "1K"},
                                                                            {"--connections-per-ip", "0"}})
    EXPECT_FALSE(server::parse_config(bad, none)) << bad[0];
  env["DIGITS_PORT"] = "eighty";
  auto e = server::parse_config({}, getenv);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("DIGITS_PORT"), std::string::npos) << e.error();
}

TEST(ServerStatic, APageSendsItsOwnPolicyWhenItCanGoIntoAHeader) {
  const std::string policy = "default-src 'self'; script-src 'self' 'sha256-AbC+/1='";
  EXPECT_EQ(server::page_policy("<head><meta http-equiv=\"Content-Security-Policy\"\n  content=\"" + policy +
                                "\"><title>x</title>"),
            policy + "; frame-ancestors 'none'");
  EXPECT_EQ(server::page_policy("<p>no policy</p>"), "");
  EXPECT_EQ(server::page_policy("<meta http-equiv=\"Content-Security-Policy\">"), "");  // no content
  EXPECT_EQ(server::page_policy("<meta http-equiv=\"Content-Security-Policy\"><p content=\"a\">"), "");
  EXPECT_EQ(server::page_policy("<meta http-equiv=\"Content-Security-Policy\" content=\"\">"), "");
  // What could split or end the header, or is no policy text, keeps the server's own.
  for (const char* bad : {"default-src 'self'\r\nSet-Cookie: a=b", "script-src 'self' <x>", "script-src \xc3\xa9"})
    EXPECT_EQ(server::page_policy(std::string("<meta http-equiv=\"Content-Security-Policy\" content=\"") + bad + "\">"),
              "")
        << bad;
}

TEST(ServerStatic, MimeTypesAndAcceptEncoding) {
  EXPECT_EQ(server::mime_type("/a/digits.wasm"), "application/wasm");
  EXPECT_EQ(server::mime_type("manifest.webmanifest"), "application/manifest+json");
  EXPECT_EQ(server::mime_type("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(server::mime_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(server::mime_type("noext"), "application/octet-stream");
  EXPECT_TRUE(server::accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(server::accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(server::accepts_gzip("*"));
  EXPECT_FALSE(server::accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(server::accepts_gzip("br"));
  EXPECT_FALSE(server::accepts_gzip(""));
}

TEST(ServerMetrics, CountsByRouteAndStatusWithCumulativeBuckets) {
  server::Metrics m;
  EXPECT_EQ(server::classify("POST", "/api/v1/predict"), server::Route::Predict);
  EXPECT_EQ(server::classify("GET", "/whatever.js"), server::Route::Static);
  EXPECT_EQ(server::classify("POST", "/whatever"), server::Route::Other);
  m.started();
  m.started();
  m.finished(server::Route::Predict, 200, 0.0007);
  m.finished(server::Route::Predict, 400, 0.003);
  m.finished(server::Route::Other, 400, -1);  // rejected before routing: counted, not timed
  m.started();
  const std::string text = m.render();
  EXPECT_NE(text.find("digits_http_requests_total{route=\"predict\",status=\"200\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("digits_http_requests_total{route=\"other\",status=\"400\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"predict\",le=\"0.0005\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"predict\",le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"predict\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"predict\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_count{route=\"predict\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("digits_http_requests_in_flight 1\n"), std::string::npos);
}

// --- the routes' view of a request (server/http.h) -------------------------------------------

TEST(HttpRequest, HeadersAreFoundWhateverTheirCase) {
  server::Request r;
  r.headers = {{"content-type", "image/png"}, {"X-Twice", "first"}, {"x-twice", "second"}};
  r.params = {{"include", "image"}};
  EXPECT_EQ(r.header("Content-Type"), "image/png");
  EXPECT_EQ(r.header("X-TWICE"), "first");
  EXPECT_EQ(r.header("Missing"), "");
  EXPECT_TRUE(r.has_header("CONTENT-TYPE"));
  EXPECT_FALSE(r.has_header("Content-Length"));
  EXPECT_EQ(r.param("include"), "image");
  EXPECT_EQ(r.param("Include"), "");  // query keys are case-sensitive
}

// A body follows the head when the server must read (or drain) it.
TEST(HttpRequest, HasBodyFromLengthOrTransferEncoding) {
  server::Request r;
  EXPECT_FALSE(r.has_body());
  r.headers = {{"Content-Length", "0"}};
  EXPECT_FALSE(r.has_body());
  r.headers = {{"Content-Length", "00"}};
  EXPECT_FALSE(r.has_body());
  r.headers = {{"Content-Length", "10"}};
  EXPECT_TRUE(r.has_body());
  r.headers = {{"Transfer-Encoding", "chunked"}};
  EXPECT_TRUE(r.has_body());
}

TEST(HttpResponse, SetHeaderReplacesAndBodyCarriesItsType) {
  server::Response res;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("cache-control", "no-store");
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].second, "no-store");
  auto shared = std::make_shared<const std::string>("abc");
  res.set_body(shared, "text/plain");
  EXPECT_EQ(res.body.get(), shared.get());  // shared, not copied
  EXPECT_EQ(server::find_field(res.headers, "Content-Type").value_or(""), "text/plain");
}
