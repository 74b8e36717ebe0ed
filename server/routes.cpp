#include "routes.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "answer_json.h"
#include "responses.h"

namespace server {

// Defined by the file cmake/Embed.cmake generates from server/openapi.json.
std::pair<const std::uint8_t*, std::size_t> openapi_blob();

std::string openapi_json() {
  const auto b = openapi_blob();
  return std::string(reinterpret_cast<const char*>(b.first), b.second);
}

namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::round(std::chrono::duration<double, std::milli>(Clock::now() - t0).count() * 1000) / 1000;
}

// The routes with a fixed path, and the methods each allows (OPTIONS answers CORS preflights).
struct RouteSpec {
  const char* path;
  const char* allow;
};
const RouteSpec kRouteSpecs[] = {
    {"/api/v1/predict", "POST, OPTIONS"},    {"/api/v1/predict/batch", "POST, OPTIONS"},
    {"/api/v1/read", "POST, OPTIONS"},       {"/predict", "POST, OPTIONS"},
    {"/api/v1/model", "GET, HEAD, OPTIONS"}, {"/openapi.json", "GET, HEAD, OPTIONS"},
    {"/healthz", "GET, HEAD, OPTIONS"},      {"/readyz", "GET, HEAD, OPTIONS"},
    {"/metrics", "GET, HEAD, OPTIONS"},
};

const RouteSpec* find_route(const std::string& path) {
  for (const auto& r : kRouteSpecs)
    if (path == r.path) return &r;
  return nullptr;
}

bool allows(const char* allow, const std::string& method) {
  const std::string list = std::string(", ") + allow + ",";
  return !method.empty() && list.find(" " + method + ",") != std::string::npos;
}

bool is_api(const std::string& path) { return path.rfind("/api/", 0) == 0 || path == "/predict"; }

using answer::prediction_json;
using answer::round6;

// An input with no ink is answered without the network: digit null, never a made-up digit.
// The 28x28 the network saw, as the web app draws it: 784 values 0-255 (white ink on black, row by
// row, the wasm build's rounding); all 0 when there was no ink.
json image_json(const digits::Image28& image) {
  json a = json::array();
  for (float v : image) a.push_back(static_cast<int>(v * 255.0f + 0.5f));
  return a;
}

// Fails only when XNNPACK does (answered 500: nothing the client can change).
digits::Result<digits::Prediction> predict(Context& ctx, digits::Model& model, const digits::Preprocessed& in) {
  ctx.metrics.predicted(in.empty);
  return model.predict(in);
}

// Body rules checked before a body is read: no compressed bodies (a small gzip body can inflate
// without limit), no chunked ones (their size is unknown until the end), none over the limit.
std::optional<Problem> check_body_headers(const Context& ctx, const Request& req) {
  const std::string encoding = req.header("Content-Encoding");
  if (!encoding.empty() && encoding != "identity")
    return Problem{415, "compressed request bodies (Content-Encoding: " + encoding.substr(0, 20) +
                            ") are not accepted; send the body uncompressed"};
  if (req.has_header("Transfer-Encoding") || !req.has_header("Content-Length"))
    return Problem{411, "send the body with a Content-Length header (chunked bodies are not accepted)"};
  const auto length = std::strtoull(req.header("Content-Length").c_str(), nullptr, 10);
  if (length > ctx.config.max_body)
    return Problem{413, "request body is " + std::to_string(length) + " bytes, more than the limit of " +
                            std::to_string(ctx.config.max_body)};
  return std::nullopt;
}

// What can be answered from the head alone; nullopt: read the body and call answer_request.
std::optional<Response> answer_head(const Context& ctx, const Request& req) {
  Response res;
  if (const RouteSpec* spec = find_route(req.path)) {
    if (!allows(spec->allow, req.method)) {
      res.set_header("Allow", spec->allow);
      send_error(res, 405, req.path + " does not allow " + req.method.substr(0, 16) + "; use " + spec->allow);
      return res;
    }
    if (req.method == "OPTIONS") {
      res.status = 204;
      res.set_header("Allow", spec->allow);
      if (!ctx.config.cors_origin.empty()) {
        res.set_header("Access-Control-Allow-Methods", spec->allow);
        res.set_header("Access-Control-Allow-Headers", "Content-Type");
        res.set_header("Access-Control-Max-Age", "600");
      }
      return res;
    }
    if (req.method == "POST") {
      if (auto p = check_body_headers(ctx, req)) {
        send_error(res, p->status, p->message);
        return res;
      }
    }
    return std::nullopt;  // on to the route's handler
  }
  if (req.path.rfind("/api/", 0) == 0) {
    send_error(res, 404, "no such API route; see /openapi.json");
    return res;
  }
  if (req.method == "GET" || req.method == "HEAD") return std::nullopt;  // a static file
  res.set_header("Allow", "GET, HEAD");
  send_error(res, 405, "static files allow only GET and HEAD");
  return res;
}

void add_cors(const Context& ctx, const Request& req, Response& res) {
  if (ctx.config.cors_origin.empty() || !is_api(req.path)) return;
  if (ctx.config.cors_origin == "*") {
    res.set_header("Access-Control-Allow-Origin", "*");
  } else if (req.header("Origin") == ctx.config.cors_origin) {
    res.set_header("Access-Control-Allow-Origin", ctx.config.cors_origin);
    res.set_header("Vary", "Origin");
  }
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Every answer ends here: CORS, the metrics and the access log.
Response finish(Context& ctx, const Request& req, Response res) {
  add_cors(ctx, req, res);
  const double seconds = std::chrono::duration<double>(Clock::now() - req.received).count();
  ctx.metrics.finished(classify(req.method, req.path), res.status, seconds);
  if (!ctx.access_log) return res;
  const json line{{"time", utc_now()},
                  {"remote", req.remote_addr},
                  {"method", req.method},
                  {"path", req.path.substr(0, 512)},
                  {"status", res.status},
                  {"bytes", res.body->size()},
                  {"ms", std::round(seconds * 1e6) / 1e3}};
  const std::string text = dump(line) + "\n";
  std::lock_guard<std::mutex> lock(ctx.access_log_mutex);
  std::fwrite(text.data(), 1, text.size(), ctx.access_log);
  std::fflush(ctx.access_log);
  return res;
}

// --- one handler per route ------------------------------------------------------------------

// The prediction handlers check a Model out before parsing: decoding and preprocessing are most
// of a request's CPU time, so the pool (one Model per core, first come first served) also keeps
// that work to one request per core, in arrival order, instead of time-slicing all connections.

void handle_predict(Context& ctx, const Request& req, Response& res) {
  auto model = ctx.models->acquire();
  const auto t0 = Clock::now();
  auto in = parse_predict(req.header("Content-Type"), req.body, ctx.limits);
  if (!in) return send_error(res, in.problem.status, in.problem.message);
  auto p = predict(ctx, *model, *in.value);
  if (!p) return send_error(res, 500, p.error());
  json out = prediction_json(p.value());
  out["model"] = ctx.model_name;
  if (req.param("include") == "image") out["image"] = image_json(in.value->image);
  out["elapsed_ms"] = ms_since(t0);
  send_json(res, 200, out);
}

// A whole number: the same bodies as /api/v1/predict, segmented and read by core.
void handle_read(Context& ctx, const Request& req, Response& res) {
  auto model = ctx.models->acquire();
  const auto t0 = Clock::now();
  auto in = parse_input(req.header("Content-Type"), req.body, ctx.limits);
  if (!in) return send_error(res, in.problem.status, in.problem.message);
  auto r = in.value->is_strokes ? model->read_strokes(in.value->strokes) : model->read_image(in.value->image.view());
  if (!r) return send_error(res, 400, r.error());
  ctx.metrics.predicted(r.value().empty, std::max<std::size_t>(1, r.value().digits.size()));
  json out = answer::reading_json(r.value());
  if (req.param("include") == "image")
    for (std::size_t i = 0; i < r.value().digits.size(); ++i)
      out["digits"][i]["image"] = image_json(r.value().digits[i].image);
  out["model"] = ctx.model_name;
  out["elapsed_ms"] = ms_since(t0);
  send_json(res, 200, out);
}

// Items that fail are answered in place ({"error": ...}); the others still get predictions, run
// through the network as one batch.
void handle_batch(Context& ctx, const Request& req, Response& res) {
  auto model = ctx.models->acquire();
  const auto t0 = Clock::now();
  auto batch = parse_batch(req.header("Content-Type"), req.body, ctx.limits);
  if (!batch) return send_error(res, batch.problem.status, batch.problem.message);
  const auto& items = *batch.value;
  std::vector<digits::Image28> images;
  std::size_t empty = 0;
  for (const auto& item : items) {
    if (item && !item.value->empty)
      images.push_back(item.value->image);
    else if (item)
      ++empty;
  }
  std::vector<digits::Prediction> preds;
  if (!images.empty()) {
    auto ran = model->predict_batch(images);
    if (!ran) return send_error(res, 500, ran.error());
    preds = std::move(ran.value());
  }
  ctx.metrics.predicted(false, images.size());
  ctx.metrics.predicted(true, empty);
  json results = json::array();
  std::size_t next = 0;
  for (const auto& item : items) {
    if (!item)
      results.push_back(json{{"error", item.problem.message}});
    else if (item.value->empty)
      results.push_back(prediction_json(digits::Prediction{}));
    else
      results.push_back(prediction_json(preds[next++]));
  }
  send_json(res, 200, json{{"results", std::move(results)}, {"model", ctx.model_name}, {"elapsed_ms", ms_since(t0)}});
}

// The reference Flask app's contract, for its existing clients: confidence in percent, and
// {"success": false, "error": ...} with a 4xx for anything that is not a digit (a blank image too).
void handle_compat(Context& ctx, const Request& req, Response& res) {
  auto model = ctx.models->acquire();
  auto in = parse_compat(req.header("Content-Type"), req.body, ctx.limits);
  if (!in) return send_json(res, in.problem.status, json{{"success", false}, {"error", in.problem.message}});
  if (in.value->empty)
    return send_json(res, 422, json{{"success", false}, {"error", "no digit found: the image is blank"}});
  const auto ran = predict(ctx, *model, *in.value);
  if (!ran) return send_json(res, 500, json{{"success", false}, {"error", ran.error()}});
  const auto& p = ran.value();
  json probs = json::array();
  for (float v : p.probabilities) probs.push_back(round6(v));
  send_json(res, 200,
            json{{"success", true},
                 {"prediction", p.digit},
                 {"confidence", std::round(p.confidence * 10000.0) / 100.0},
                 {"probabilities", std::move(probs)}});
}

void handle_model(Context& ctx, Response& res) {
  const auto& info = ctx.models->info();
  json meta = json::object();
  json accuracy = nullptr;
  for (const auto& kv : info.metadata) {
    meta[kv.first] = kv.second;
    if (kv.first == "test_accuracy") accuracy = std::strtod(kv.second.c_str(), nullptr);
  }
  send_json(res, 200,
            json{{"name", ctx.model_name},
                 {"architecture", info.architecture},
                 {"blob_version", info.blob_version},
                 {"storage", info.storage},
                 {"precision", info.precision == digits::Precision::Int8 ? "int8" : "f32"},
                 {"temperature", round6(info.temperature)},
                 {"mnist_test_accuracy", accuracy},
                 {"models", ctx.models->size()},
                 {"metadata", std::move(meta)}});
}

void handle_openapi(Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_body(openapi_json(), "application/json; charset=utf-8");
}

void handle_readyz(const Context& ctx, Response& res) {
  if (ctx.ready)
    send_json(res, 200, json{{"status", "ready"}});
  else
    send_json(res, 503, json{{"status", "not ready"}});
}

void handle_metrics(const Context& ctx, Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_body(ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

// A request answer_head let through, body and all.
Response answer_request(Context& ctx, const Request& req) {
  Response res;
  const std::string& p = req.path;
  if (req.method == "POST") {
    if (p == "/api/v1/predict")
      handle_predict(ctx, req, res);
    else if (p == "/api/v1/predict/batch")
      handle_batch(ctx, req, res);
    else if (p == "/api/v1/read")
      handle_read(ctx, req, res);
    else if (p == "/predict")
      handle_compat(ctx, req, res);
  } else if (p == "/api/v1/model") {
    handle_model(ctx, res);
  } else if (p == "/openapi.json") {
    handle_openapi(res);
  } else if (p == "/healthz") {
    send_json(res, 200, json{{"status", "ok"}});
  } else if (p == "/readyz") {
    handle_readyz(ctx, res);
  } else if (p == "/metrics") {
    handle_metrics(ctx, res);
  } else if (ctx.site) {
    ctx.site->serve(req, res);
  } else {
    send_error(res, 404, "this server has no site directory (start it with --site DIR)");
  }
  return res;
}

}  // namespace

HttpServer::Routes make_routes(Context& ctx) {
  HttpServer::Routes routes;
  routes.before_body = [&ctx](const Request& head) -> std::optional<Response> {
    auto early = answer_head(ctx, head);
    if (!early) return std::nullopt;
    ctx.metrics.started();
    return finish(ctx, head, std::move(*early));
  };
  routes.answer = [&ctx](const Request& req) {
    ctx.metrics.started();
    Response res;
    try {
      res = answer_request(ctx, req);
    } catch (...) {
      res = Response{};
      send_error(res, 500, "internal error");  // no details: they may name files or memory
    }
    return finish(ctx, req, std::move(res));
  };
  return routes;
}

}  // namespace server
