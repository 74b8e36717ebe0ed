// libFuzzer target: every JSON body digits-server accepts — POST /api/v1/predict (pixels,
// strokes, image), /api/v1/predict/batch and the reference app's /predict.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "requests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  server::Limits limits;
  limits.max_pixels = 1024 * 1024;
  limits.max_batch = 8;
  auto one = server::parse_predict("application/json", body, limits);
  if (!one && (one.problem.status < 400 || one.problem.status > 499)) __builtin_trap();  // bad input is a 4xx
  auto batch = server::parse_batch("application/json", body, limits);
  if (!batch && (batch.problem.status < 400 || batch.problem.status > 499)) __builtin_trap();
  auto compat = server::parse_compat("application/json", body, limits);
  if (!compat && (compat.problem.status < 400 || compat.problem.status > 499)) __builtin_trap();
  return 0;
}
