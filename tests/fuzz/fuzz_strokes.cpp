// libFuzzer target: pen strokes with any numbers (NaN, infinities, huge or identical points)
// -> preprocess_strokes, and their segmentation into digits (read_strokes before the network:
// every stroke in at most one digit, every 28x28 normalised, every join too).
// Input: a byte giving the stroke lengths' split, then float pairs.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "digits/digits.h"
#include "segment_internal.h"

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
  auto atoms = digits::detail::stroke_atoms(strokes, {}, {});
  if (!atoms) return 0;
  const auto& a = atoms.value();
  std::vector<int> owner(strokes.size(), -1);
  auto check = [&](const digits::detail::Segment& s) {
    for (float v : s.image)
      if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();
  };
  for (std::size_t i = 0; i < a.atoms.size(); ++i) {
    check(a.atoms[i].segment);
    for (int s : a.atoms[i].segment.strokes) {
      if (s < 0 || static_cast<std::size_t>(s) >= strokes.size() || owner[s] >= 0) __builtin_trap();
      owner[s] = static_cast<int>(i);
    }
    if (i + 1 < a.atoms.size()) {
      auto j = a.join(a.atoms[i], a.atoms[i + 1]);
      if (j) check(j.value().segment);
    }
  }
  return 0;
}
