#include "metrics.h"

#include <cstdio>

namespace server {

const char* route_name(Route r) {
  switch (r) {
    case Route::Predict:
      return "predict";
    case Route::PredictBatch:
      return "predict_batch";
    case Route::Read:
      return "read";
    case Route::PredictCompat:
      return "predict_compat";
    case Route::Model:
      return "model";
    case Route::OpenApi:
      return "openapi";
    case Route::Healthz:
      return "healthz";
    case Route::Readyz:
      return "readyz";
    case Route::Metrics:
      return "metrics";
    case Route::Static:
      return "static";
    case Route::Other:
      break;
  }
  return "other";
}

Route classify(const std::string& method, const std::string& path) {
  if (path == "/api/v1/predict") return Route::Predict;
  if (path == "/api/v1/predict/batch") return Route::PredictBatch;
  if (path == "/api/v1/read") return Route::Read;
  if (path == "/predict") return Route::PredictCompat;
  if (path == "/api/v1/model") return Route::Model;
  if (path == "/openapi.json") return Route::OpenApi;
  if (path == "/healthz") return Route::Healthz;
  if (path == "/readyz") return Route::Readyz;
  if (path == "/metrics") return Route::Metrics;
  if (method == "GET" || method == "HEAD") return Route::Static;
  return Route::Other;
}

void Metrics::finished(Route route, int status, double seconds) {
  if (seconds >= 0) in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{static_cast<int>(route), status}];
  if (seconds < 0) return;
  auto& h = latency_[static_cast<int>(route)];
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++h.counts[b];
  h.sum += seconds;
  ++h.count;
}

void Metrics::predicted(bool empty, std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  (empty ? empty_ : digits_) += n;
}

std::string Metrics::render() const {
  std::string o;
  char line[256];
  std::lock_guard<std::mutex> lock(mutex_);
  o += "# HELP digits_http_requests_total HTTP requests by route and status.\n";
  o += "# TYPE digits_http_requests_total counter\n";
  for (const auto& kv : requests_) {
    std::snprintf(line, sizeof line, "digits_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                  route_name(static_cast<Route>(kv.first.first)), kv.first.second,
                  static_cast<unsigned long long>(kv.second));
    o += line;
  }
  o += "# HELP digits_http_request_duration_seconds Time from request headers to response, by route.\n";
  o += "# TYPE digits_http_request_duration_seconds histogram\n";
  for (int r = 0; r < kRoutes; ++r) {
    const auto& h = latency_[r];
    if (h.count == 0) continue;
    const char* name = route_name(static_cast<Route>(r));
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      if (b < kBuckets.size())
        std::snprintf(line, sizeof line, "digits_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                      name, kBuckets[b], static_cast<unsigned long long>(cumulative));
      else
        std::snprintf(line, sizeof line, "digits_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                      name, static_cast<unsigned long long>(cumulative));
      o += line;
    }
    std::snprintf(line, sizeof line, "digits_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name, h.sum);
    o += line;
    std::snprintf(line, sizeof line, "digits_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
                  static_cast<unsigned long long>(h.count));
    o += line;
  }
  o += "# HELP digits_http_requests_in_flight Requests being handled now.\n";
  o += "# TYPE digits_http_requests_in_flight gauge\n";
  o += "digits_http_requests_in_flight " + std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  if (connections) {
    const HttpServer::Stats c = connections();
    o += "# HELP digits_http_connections Open connections by what they are doing.\n";
    o += "# TYPE digits_http_connections gauge\n";
    o += "digits_http_connections{state=\"idle\"} " + std::to_string(c.idle) + "\n";
    o += "digits_http_connections{state=\"reading\"} " + std::to_string(c.reading) + "\n";
    o += "digits_http_connections{state=\"processing\"} " + std::to_string(c.processing) + "\n";
    o += "digits_http_connections{state=\"writing\"} " + std::to_string(c.writing) + "\n";
    o += "# HELP digits_http_connections_total Connections accepted, refused at the limit, closed at a deadline.\n";
    o += "# TYPE digits_http_connections_total counter\n";
    o += "digits_http_connections_total{outcome=\"accepted\"} " + std::to_string(c.accepted) + "\n";
    o += "digits_http_connections_total{outcome=\"refused\"} " + std::to_string(c.refused) + "\n";
    o += "digits_http_connections_total{outcome=\"timed_out\"} " + std::to_string(c.timed_out) + "\n";
    o += "# HELP digits_http_buffered_bytes Bytes held for requests being received and answers being sent.\n";
    o += "# TYPE digits_http_buffered_bytes gauge\n";
    o += "digits_http_buffered_bytes{direction=\"in\"} " + std::to_string(c.buffered_in) + "\n";
    o += "digits_http_buffered_bytes{direction=\"out\"} " + std::to_string(c.buffered_out) + "\n";
  }
  o += "# HELP digits_predictions_total Inputs run through the network, by outcome.\n";
  o += "# TYPE digits_predictions_total counter\n";
  o += "digits_predictions_total{outcome=\"digit\"} " + std::to_string(digits_) + "\n";
  o += "digits_predictions_total{outcome=\"empty\"} " + std::to_string(empty_) + "\n";
  return o;
}

}  // namespace server
