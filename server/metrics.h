// Request counters, a latency histogram, the in-flight gauge and connection gauges, rendered as Prometheus text
// (GET /metrics). Routes are a fixed set of labels, so the number of series stays bounded
// whatever paths clients invent.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "http_server.h"

namespace server {

// The label a request is counted under. Unknown paths are all "static" or "other".
enum class Route {
  Predict,
  PredictBatch,
  Read,
  PredictCompat,
  Model,
  OpenApi,
  Healthz,
  Readyz,
  Metrics,
  Static,
  Other
};
constexpr int kRoutes = 11;

const char* route_name(Route r);
// The route a method and path belong to (by exact path; static files are any other GET/HEAD).
Route classify(const std::string& method, const std::string& path);

class Metrics {
 public:
  void started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // One finished request. seconds < 0: rejected by the HTTP layer before started() (bad request
  // line, URI too long), so it is counted but neither timed nor in flight.
  void finished(Route route, int status, double seconds);
  void predicted(bool empty, std::size_t n = 1);

  std::string render() const;

  // Where the connection gauges come from (the server's event loop); unset in unit tests.
  std::function<HttpServer::Stats()> connections;

 private:
  // Upper bounds in seconds (Prometheus "le"), from a fast inference to a slow upload.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size() + 1> counts{};  // last is +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<int, int>, std::uint64_t> requests_;  // (route, status) -> count
  std::array<Histogram, kRoutes> latency_{};
  std::uint64_t digits_ = 0, empty_ = 0;
  std::atomic<std::int64_t> in_flight_{0};
};

}  // namespace server
