// digits-server without HTTP: body parsing (requests.h), flags (config.h), MIME types and
// Accept-Encoding (static_files.h), metrics text (metrics.h).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "config.h"
#include "http_framing.h"
#include "metrics.h"
#include "requests.h"
#include "static_files.h"
#include "server_test_util.h"
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
  auto c = server::parse_config(
      {"--port", "9100", "--max-body=2M", "--precision", "f32", "--cors-origin", "*", "--connections", "8",
       "--max-buffered", "512M"},
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
                                                                            {"--max-buffered", "1K"}})
    EXPECT_FALSE(server::parse_config(bad, none)) << bad[0];
  env["DIGITS_PORT"] = "eighty";
  auto e = server::parse_config({}, getenv);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("DIGITS_PORT"), std::string::npos) << e.error();
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

// --- HTTP framing (server/http_framing.h): where a request ends ------------------------------

namespace {
server::Framing frame(std::string in, std::size_t max_head = 4096, std::size_t max_body = 1024) {
  return server::frame_request(in, max_head, max_body);
}
}  // namespace

TEST(HttpFraming, FindsTheEndOfHeadAndBody) {
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(frame(get.substr(0, get.size() - 1)).kind, server::Framing::NeedMore);
  auto f = frame(get + "GET /next");  // pipelined: only the first request
  ASSERT_EQ(f.kind, server::Framing::Complete);
  EXPECT_EQ(f.length, get.size());
  const std::string post = "POST /p HTTP/1.1\r\ncontent-LENGTH:  5 \r\n\r\n";
  EXPECT_EQ(frame(post + "abcd").kind, server::Framing::NeedMore);
  f = frame(post + "abcdeGET");
  ASSERT_EQ(f.kind, server::Framing::Complete);
  EXPECT_EQ(f.length, post.size() + 5);
  EXPECT_FALSE(f.close_after);
}

TEST(HttpFraming, ChunkedBodiesEndAfterTheLastChunkAndTrailers) {
  const std::string head = "POST /p HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n";
  const std::string body = "5\r\nhello\r\na;ext=1\r\n0123456789\r\n0\r\n";
  EXPECT_EQ(frame(head + body).kind, server::Framing::NeedMore);
  auto f = frame(head + body + "\r\nGET");
  ASSERT_EQ(f.kind, server::Framing::Complete);
  EXPECT_EQ(f.length, head.size() + body.size() + 2);
  const std::string trailers = "X-Check: 1\r\nY: 2\r\n\r\n";
  f = frame(head + body + trailers + "GET");
  ASSERT_EQ(f.kind, server::Framing::Complete);
  EXPECT_EQ(f.length, head.size() + body.size() + trailers.size());
  EXPECT_EQ(frame(head + "zz\r\n").kind, server::Framing::Invalid);
  EXPECT_EQ(frame(head + "5\r\nhelloXX0\r\n\r\n").kind, server::Framing::Invalid);  // no CRLF after the data
  f = frame(head + "800\r\n");  // 2048 bytes of data > max_body 1024
  ASSERT_EQ(f.kind, server::Framing::Invalid);
  EXPECT_EQ(f.status, 413);
}

TEST(HttpFraming, AmbiguousOrOversizedRequestsAreRefused) {
  auto f = frame("POST /p HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_EQ(f.kind, server::Framing::Invalid);
  EXPECT_EQ(f.status, 400);
  EXPECT_EQ(frame("POST /p HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").status, 400);
  EXPECT_EQ(frame("POST /p HTTP/1.1\r\nContent-Length: -3\r\n\r\n").status, 400);
  EXPECT_EQ(frame("POST /p HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").status, 400);
  EXPECT_EQ(frame("GET / HTTP/1.1\r\nX: " + std::string(5000, 'a')).status, 431);  // before the head even ends
  EXPECT_EQ(frame("GET / HTTP/1.1\r\nX: " + std::string(5000, 'a') + "\r\n\r\n").status, 431);
  // A body over the limit is not waited for: the head alone goes on (to be answered 413), then close.
  const std::string big = "POST /p HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n";
  f = frame(big);
  ASSERT_EQ(f.kind, server::Framing::Complete);
  EXPECT_EQ(f.length, big.size());
  EXPECT_TRUE(f.close_after);
}

TEST(HttpFraming, ExpectContinueIsTakenOverByTheLoop) {
  std::string in = "POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n";
  auto f = server::frame_request(in, 4096, 1024);
  EXPECT_EQ(f.kind, server::Framing::NeedMore);
  EXPECT_TRUE(f.send_continue);
  EXPECT_EQ(in, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n");  // httplib must not answer 100 again
  in += "abcd";
  f = server::frame_request(in, 4096, 1024);
  ASSERT_EQ(f.kind, server::Framing::Complete);
  EXPECT_FALSE(f.send_continue);
  EXPECT_EQ(f.length, in.size());
}
