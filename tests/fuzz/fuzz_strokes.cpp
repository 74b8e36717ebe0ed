// libFuzzer target: pen strokes with any numbers (NaN, infinities, huge or identical points)
// -> preprocess_strokes. Input: a byte giving the stroke lengths' split, then float pairs.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "digits/digits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned split = data[0] % 16 + 1;  // points per stroke
  const std::size_t count = (size - 1) / 8;
  std::vector<digits::Stroke> strokes;
  for (std::size_t i = 0; i < count; ++i) {
    if (i % split == 0) strokes.emplace_back();
    float xy[2];
    std::memcpy(xy, data + 1 + 8 * i, 8);
    strokes.back().push_back({xy[0], xy[1]});
  }
  auto pre = digits::preprocess_strokes(strokes);
  if (pre && !pre.value().empty)
    for (float v : pre.value().image)
      if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();
  return 0;
}
