// libFuzzer target: the two PNG decoders behind decode_png agree. Whatever the fast path
// (lodepng + libdeflate) accepts, libpng must accept too, with the same size, format and every
// pixel (but for one documented leniency: deflate's reserved length symbols, below); what it declines
// goes to libpng, so that is all decode_png's answer depends on.
//
// Every chunk's CRC-32 is recomputed before decoding: a mutated byte would otherwise almost always
// just fail its chunk's CRC in both decoders, and the decoders (uninstrumented system libraries,
// so libFuzzer sees no coverage inside them) would hardly ever see a damaged image stream.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "png_internal.h"

namespace {

void fix_crcs(std::vector<std::uint8_t>& png) {
  auto be32 = [&](std::size_t at) {
    return std::uint32_t{png[at]} << 24 | std::uint32_t{png[at + 1]} << 16 | std::uint32_t{png[at + 2]} << 8 |
           png[at + 3];
  };
  for (std::size_t at = 8; at + 12 <= png.size();) {
    const std::uint32_t length = be32(at);
    if (length > png.size() - at - 12) return;
    const auto crc = static_cast<std::uint32_t>(crc32(0, png.data() + at + 4, length + 4));
    for (int i = 0; i < 4; ++i) png[at + 8 + length + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
    at += 12 + length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t input_size) {
  std::vector<std::uint8_t> png(input, input + input_size);
  fix_crcs(png);
  const std::uint8_t* data = png.data();
  const std::size_t size = png.size();
  const std::int64_t max_pixels = 1024 * 1024;
  auto fast = digits::detail::decode_png_fast(data, size, max_pixels);
  if (!fast) return 0;
  auto ref = digits::detail::decode_png_libpng(data, size, max_pixels);
  if (!ref) {
    // The one known difference (core/src/png_fast.cpp, png_tests): libdeflate decodes the
    // length symbols RFC 1951 reserves, which zlib refuses with these words.
    if (ref.error().find("invalid literal/length code") != std::string::npos) return 0;
    __builtin_trap();  // the fast path accepted what libpng refuses
  }
  const auto& a = *fast;
  const auto& b = ref.value();
  if (a.width != b.width || a.height != b.height || a.format != b.format || a.pixels.size() != b.pixels.size() ||
      std::memcmp(a.pixels.data(), b.pixels.data(), a.pixels.size()) != 0)
    __builtin_trap();
  return 0;
}
