#include <libdeflate.h>
#include <lodepng.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "png_internal.h"

// Why a second decoder: for a 280x280 canvas PNG, libpng's zlib inflate was most of a request's
// time; libdeflate inflates the same stream in well under half the time, and lodepng lets it be
// the inflater. What this path takes is checked chunk by chunk before lodepng sees the file, so
// that its answer is always libpng's answer (tests/png_test.cpp and fuzz_png_paths check that).

namespace digits::detail {

namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// Chunks that leave the pixels alone in libpng's hands as decode_png sets it up (no gamma, no
// background, no shift), and that lodepng reads without inflating anything. A file with any other
// chunk (gAMA, cHRM, iCCP, sBIT, tRNS, PLTE, zTXt, iTXt, unknown ones, ...) goes to libpng.
bool harmless(const std::uint8_t* type) {
  static const char* const kHarmless[] = {"IDAT", "IEND", "sRGB", "pHYs", "tEXt", "tIME", "bKGD"};
  for (const char* t : kHarmless)
    if (std::memcmp(type, t, 4) == 0) return true;
  return false;
}

struct Layout {
  std::uint32_t width, height;
  int channels;  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
};

// The signature, an IHDR this path handles, then only harmless chunks, each inside the file and
// with its CRC-32 right, up to IEND. Nothing is allocated. (The CRCs are checked here, by
// libdeflate's CRC-32, several times faster than lodepng's table, which is then told to skip them;
// a file with a wrong one goes to libpng, which names the error.)
std::optional<Layout> inspect(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 + 25 || std::memcmp(data, kSignature, 8) != 0) return std::nullopt;
  const std::uint8_t* ihdr = data + 8;
  if (be32(ihdr) != 13 || std::memcmp(ihdr + 4, "IHDR", 4) != 0) return std::nullopt;
  if (libdeflate_crc32(0, ihdr + 4, 4 + 13) != be32(ihdr + 8 + 13)) return std::nullopt;
  const std::uint8_t* f = ihdr + 8;
  Layout l{be32(f), be32(f + 4), 0};
  // libpng refuses sides over PNG_USER_WIDTH_MAX / PNG_USER_HEIGHT_MAX (1 000 000).
  if (l.width == 0 || l.height == 0 || l.width > 1000000 || l.height > 1000000) return std::nullopt;
  const int depth = f[8], type = f[9];
  if (depth != 8 || f[10] != 0 || f[11] != 0 || f[12] != 0) return std::nullopt;  // 8-bit, deflate, filter 0, no Adam7
  l.channels = type == 0 ? 1 : type == 4 ? 2 : type == 2 ? 3 : type == 6 ? 4 : 0;
  if (l.channels == 0) return std::nullopt;
  bool idat = false;
  for (std::size_t at = 8 + 25;;) {
    if (size - at < 12) return std::nullopt;
    const std::uint32_t length = be32(data + at);
    if (length > size - at - 12) return std::nullopt;
    const std::uint8_t* type_bytes = data + at + 4;
    if (!harmless(type_bytes)) return std::nullopt;
    if (libdeflate_crc32(0, type_bytes, 4 + std::size_t{length}) != be32(type_bytes + 4 + length)) return std::nullopt;
    const bool is_idat = std::memcmp(type_bytes, "IDAT", 4) == 0;
    if (idat && !is_idat && std::memcmp(type_bytes, "IEND", 4) != 0) return std::nullopt;  // IDATs in one run
    idat = idat || is_idat;
    at += 12 + length;
    if (std::memcmp(type_bytes, "IEND", 4) == 0) return idat ? std::optional<Layout>(l) : std::nullopt;
  }
}

// lodepng's zlib step: libdeflate inflates into a buffer of exactly the scanlines' size (the
// output is capped before a byte is written), and the stream must fill it. The zlib header is
// checked here; its Adler-32 is not, as in the libpng path (every chunk's CRC-32 is checked).
// Where libdeflate is more lenient than zlib as libpng drives it, which fuzz_png_paths found or
// reading them showed: libpng inflates to the zlib stream's end after the last row, so the
// deflate data must end with its 4 Adler-32 bytes still in the IDAT data ("Not enough image
// data" otherwise; libdeflate reads missing input as zero bits); and zlib refuses a distance
// beyond the window the header declares, which libdeflate ignores, so a window under 32 kB is
// only taken when the whole output fits in it (no distance can then exceed it).
// One difference is left, as nothing short of a second inflater could find it: libdeflate decodes
// the length symbols RFC 1951 reserves (286 and 287 in a fixed-code block, found by
// fuzz_png_paths once lodepng was compiled with its instrumentation), which zlib refuses. No
// encoder writes them, and the file's CRCs must be right too, so only a file made so on purpose
// gets pixels here where libpng would say it is damaged; the output is capped as for any file
// (png_tests pins this, so that a stricter libdeflate shows).
unsigned inflate_scanlines(unsigned char** out, std::size_t* out_size, const unsigned char* in, std::size_t in_size,
                           const LodePNGDecompressSettings* settings) {
  const std::size_t expected = settings->max_output_size;
  if (in_size < 2 || (in[0] & 0x0f) != 8 || (in[0] >> 4) > 7 || (in[0] << 8 | in[1]) % 31 != 0 || (in[1] & 0x20))
    return 1;
  const int window_log2 = (in[0] >> 4) + 8;
  if (window_log2 < 15 && expected > (std::size_t{1} << window_log2)) return 1;
  auto* d = static_cast<libdeflate_decompressor*>(const_cast<void*>(settings->custom_context));
  auto* buffer = static_cast<unsigned char*>(std::malloc(expected));  // lodepng frees it with free()
  if (buffer == nullptr) return 1;
  std::size_t used = 0;
  if (libdeflate_deflate_decompress_ex(d, in + 2, in_size - 2, buffer, expected, &used, nullptr) !=
          LIBDEFLATE_SUCCESS ||
      used + 4 > in_size - 2) {
    std::free(buffer);
    return 1;
  }
  *out = buffer;
  *out_size = expected;
  return 0;
}

}  // namespace

std::optional<DecodedImage> decode_png_fast(const std::uint8_t* data, std::size_t size, std::int64_t max_pixels) {
  if (data == nullptr) return std::nullopt;
  const auto layout = inspect(data, size);
  if (!layout || static_cast<std::int64_t>(layout->width) * layout->height > max_pixels) return std::nullopt;
  const std::size_t w = layout->width, h = layout->height, channels = layout->channels;

  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> inflater(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  if (!inflater) return std::nullopt;
  LodePNGState state;
  lodepng_state_init(&state);
  state.decoder.color_convert = 0;  // the file's own layout; converted below in one pass
  state.decoder.ignore_crc = 1;     // inspect() checked every chunk's
  state.decoder.read_text_chunks = 0;
  state.decoder.remember_unknown_chunks = 0;
  state.decoder.zlibsettings.custom_zlib = inflate_scanlines;
  state.decoder.zlibsettings.custom_context = inflater.get();
  state.decoder.zlibsettings.max_output_size = h * (1 + w * channels);  // a filter byte per row
  unsigned char* raw = nullptr;
  unsigned rw = 0, rh = 0;
  const unsigned error = lodepng_decode(&raw, &rw, &rh, &state, data, size);
  lodepng_state_cleanup(&state);
  std::unique_ptr<unsigned char, decltype(&std::free)> owned(raw, std::free);
  if (error != 0 || raw == nullptr || rw != w || rh != h) return std::nullopt;

  // Grey stays Gray8; everything else becomes RGBA8, as libpng's path makes it.
  DecodedImage out;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.format = channels == 1 ? PixelFormat::Gray8 : PixelFormat::RGBA8;
  const std::size_t n = w * h;
  if (channels == 1 || channels == 4) {
    out.pixels.assign(raw, raw + n * channels);
    return out;
  }
  out.pixels.resize(n * 4);
  std::uint8_t* o = out.pixels.data();
  const std::uint8_t* p = raw;
  if (channels == 3) {
    for (std::size_t i = 0; i < n; ++i, p += 3, o += 4) o[0] = p[0], o[1] = p[1], o[2] = p[2], o[3] = 255;
  } else {
    for (std::size_t i = 0; i < n; ++i, p += 2, o += 4) o[0] = o[1] = o[2] = p[0], o[3] = p[1];
  }
  return out;
}

}  // namespace digits::detail
