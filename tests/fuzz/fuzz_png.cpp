// libFuzzer target: PNG bytes -> decode_png (header checked before allocating) -> preprocess_image,
// and the segmentation of the same picture into digits (what read_image runs before the network;
// every digit's box inside the picture, every 28x28 normalised, every join and split too).
// What digits-server and the CLI do with an uploaded PNG, minus the network.
#include <cstddef>
#include <cstdint>

#include "digits/digits.h"
#include "digits/png.h"
#include "segment_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  digits::PreprocessOptions options;
  options.max_pixels = 1024 * 1024;  // keep each run small; the limit logic itself is what's tested
  auto image = digits::decode_png(data, size, options.max_pixels);
  if (!image) return 0;
  auto pre = digits::preprocess_image(image.value().view(), options);
  if (pre && !pre.value().empty)
    for (float v : pre.value().image)
      if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();  // a network input must be normalised
  auto atoms = digits::detail::image_atoms(image.value().view(), options, {});
  if (!atoms) return 0;
  const auto& a = atoms.value();
  const float w = static_cast<float>(image.value().width), h = static_cast<float>(image.value().height);
  auto check = [&](const digits::detail::Segment& s) {
    if (!(s.box.x >= 0 && s.box.y >= 0 && s.box.x + s.box.width <= w && s.box.y + s.box.height <= h)) __builtin_trap();
    for (float v : s.image)
      if (!(v >= 0.0f && v <= 1.0f)) __builtin_trap();
  };
  for (std::size_t i = 0; i < a.atoms.size(); ++i) {
    check(a.atoms[i].segment);
    if (a.atoms[i].may_split) {
      auto cuts = a.split(a.atoms[i]);
      if (cuts)
        for (const auto& [left, right] : cuts.value()) check(left.segment), check(right.segment);
    }
    if (i + 1 < a.atoms.size()) {
      auto j = a.join(a.atoms[i], a.atoms[i + 1]);
      if (j) check(j.value().segment);
    }
  }
  return 0;
}
