// libFuzzer target: PNG bytes -> decode_png (header checked before allocating) -> preprocess_image.
// What digits-server and the CLI do with an uploaded PNG, minus the network.
#include <cstddef>
#include <cstdint>

#include "digits/digits.h"
#include "digits/png.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  digits::PreprocessOptions options;
  options.max_pixels = 1024 * 1024;  // keep each run small; the limit logic itself is what's tested
  auto image = digits::decode_png(data, size, options.max_pixels);
  if (!image) return 0;
  auto pre = digits::preprocess_image(image.value().view(), options);
  if (pre && !pre.value().empty)
    for (float v : pre.value().image)
      if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();  // a network input must be normalised
  return 0;
}
