// The two PNG decoders behind digits::decode_png, for the tests and the fuzz target that prove
// they agree pixel for pixel.
#pragma once

#include <optional>

#include "digits/png.h"

namespace digits::detail {

// libpng: every PNG there is (any depth, palette, tRNS, gamma, interlacing); the reference.
Result<DecodedImage> decode_png_libpng(const std::uint8_t* data, std::size_t size, std::int64_t max_pixels);

// lodepng with libdeflate as its inflater, for what canvases and scanners actually send: 8-bit
// grey, grey+alpha, RGB or RGBA, not interlaced, no chunk that changes pixels (gAMA, tRNS, iCCP,
// ...). nullopt when the file is anything else or fails to decode: libpng then decodes it, so
// every error message, and every file only libpng's leniency accepts, stays libpng's.
std::optional<DecodedImage> decode_png_fast(const std::uint8_t* data, std::size_t size, std::int64_t max_pixels);

}  // namespace digits::detail
