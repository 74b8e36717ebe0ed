// PNG decoding for the native front ends. The browser decodes its own images.
// What canvases send (8-bit grey, grey+alpha, RGB, RGBA, not interlaced) is decoded by lodepng
// with libdeflate inflating; every other PNG by libpng. Both give the same pixels and errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "digits/digits.h"

namespace digits {

struct DecodedImage {
  int width = 0, height = 0;
  PixelFormat format = PixelFormat::RGBA8;
  std::vector<std::uint8_t> pixels;
  ImageView view() const { return {pixels.data(), width, height, format, 0}; }
};

// Decodes a PNG from memory to Gray8 (grey without alpha) or RGBA8 (everything else).
// The header's dimensions are checked against max_pixels before any pixel memory is allocated,
// so a tiny file that claims to be huge (a decompression bomb) is refused cheaply.
Result<DecodedImage> decode_png(const std::uint8_t* data, std::size_t size,
                                std::int64_t max_pixels = PreprocessOptions{}.max_pixels);

}  // namespace digits
