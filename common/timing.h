// Timing helpers shared by bench_core and `digits bench` (and any front end that times calls).
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace timing {

using Clock = std::chrono::steady_clock;

struct Stats {
  double median_us = 0, p99_us = 0;
};

// Runs fn `iterations` times after a warm-up and returns the median and 99th percentile.
inline Stats time_calls(int iterations, const std::function<void()>& fn) {
  for (int i = 0; i < iterations / 10 + 10; ++i) fn();
  std::vector<double> us(iterations);
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    fn();
    us[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

// Items per second over `rounds` calls of fn, each handling `batch` items.
inline double throughput(int rounds, int batch, const std::function<void()>& fn) {
  fn();
  auto t0 = Clock::now();
  for (int i = 0; i < rounds; ++i) fn();
  return rounds * batch / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace timing
