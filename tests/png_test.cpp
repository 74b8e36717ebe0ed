// decode_png (native only): formats, interlacing, damaged and truncated files, the pixel limit
// checked from the header, and its two decoders (lodepng + libdeflate for what canvases send,
// libpng for the rest) giving the same pixels.
#include "digits/png.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "pen_digits.h"
#include "pen_eval.h"
#include "png_internal.h"
#include "test_util.h"

using digits::decode_png;
using digits::PixelFormat;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

void chunk(Bytes& png, const char* type, const Bytes& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put32(png, static_cast<std::uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size()))));
}

// A PNG of w x h samples(x, y) (`channels` samples of `depth` 8 or 16 bits per pixel), filter 0,
// optionally Adam7-interlaced.
template <class Sample>
Bytes make_png(int w, int h, int depth, int colour_type, int channels, bool interlaced, Sample sample) {
  Bytes raw;
  auto rows = [&](int x0, int y0, int dx, int dy) {
    if (x0 >= w || y0 >= h) return;
    for (int y = y0; y < h; y += dy) {
      raw.push_back(0);
      for (int x = x0; x < w; x += dx)
        for (int c = 0; c < channels; ++c) {
          const unsigned v = sample(x, y, c);
          if (depth == 16) raw.push_back(static_cast<std::uint8_t>(v >> 8));
          raw.push_back(static_cast<std::uint8_t>(v));
        }
    }
  };
  if (interlaced) {
    const int pass[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                            {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    for (const auto& p : pass) rows(p[0], p[1], p[2], p[3]);
  } else {
    rows(0, 0, 1, 1);
  }
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  Bytes z(n);
  compress(z.data(), &n, raw.data(), static_cast<uLong>(raw.size()));
  z.resize(n);
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put32(ihdr, static_cast<std::uint32_t>(w));
  put32(ihdr, static_cast<std::uint32_t>(h));
  ihdr.insert(ihdr.end(), {static_cast<std::uint8_t>(depth), static_cast<std::uint8_t>(colour_type), 0, 0,
                           static_cast<std::uint8_t>(interlaced)});
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}

// make_png with extra chunks (type, data) put between IHDR and IDAT.
Bytes with_chunks(const Bytes& png, const std::vector<std::pair<const char*, Bytes>>& extra) {
  Bytes out(png.begin(), png.begin() + 8 + 25);
  for (const auto& [type, data] : extra) chunk(out, type, data);
  out.insert(out.end(), png.begin() + 8 + 25, png.end());
  return out;
}

unsigned ramp(int x, int y, int c) { return static_cast<unsigned>((x * 37 + y * 11 + c * 70) % 256); }

Bytes grey_png(bool interlaced = false) { return make_png(23, 17, 8, 0, 1, interlaced, ramp); }

// Offset of the IDAT chunk's data in a PNG from make_png.
std::size_t idat_data(const Bytes& png) {
  for (std::size_t i = 8; i + 4 <= png.size(); ++i)
    if (std::string(png.begin() + i, png.begin() + i + 4) == "IDAT") return i + 4;
  return 0;
}

}  // namespace

TEST(Png, GreyStaysGreyAndEverythingElseBecomesRgba) {
  auto grey = decode_png(grey_png().data(), grey_png().size());
  ASSERT_TRUE(grey.ok()) << grey.error();
  EXPECT_EQ(grey.value().format, PixelFormat::Gray8);
  EXPECT_EQ(grey.value().width, 23);
  EXPECT_EQ(grey.value().height, 17);
  EXPECT_EQ(grey.value().pixels[5 * 23 + 4], ramp(4, 5, 0));

  const Bytes rgb = make_png(9, 4, 8, 2, 3, false, ramp);
  auto rgba = decode_png(rgb.data(), rgb.size());
  ASSERT_TRUE(rgba.ok()) << rgba.error();
  EXPECT_EQ(rgba.value().format, PixelFormat::RGBA8);
  const std::uint8_t* px = &rgba.value().pixels[(2 * 9 + 3) * 4];
  EXPECT_EQ(px[0], ramp(3, 2, 0));
  EXPECT_EQ(px[2], ramp(3, 2, 2));
  EXPECT_EQ(px[3], 255);  // opaque filler

  for (const char* f : {"seven-dark-on-light.png", "two-light-on-dark.png", "blank.png"}) {
    auto bytes = testutil::read_file(testutil::source_path(std::string("tests/fixtures/") + f));
    auto img = decode_png(bytes.data(), bytes.size());
    ASSERT_TRUE(img.ok()) << f << ": " << img.error();
    EXPECT_EQ(img.value().pixels.size(), static_cast<size_t>(img.value().width) * img.value().height *
                                             (img.value().format == PixelFormat::Gray8 ? 1 : 4))
        << f;
  }
}

TEST(Png, InterlacedGivesTheSamePixelsAsNonInterlaced) {
  for (int depth : {8, 16})
    for (int type : {0, 2, 6}) {
      const int channels = type == 0 ? 1 : type == 2 ? 3 : 4;
      auto sample = [&](int x, int y, int c) { return depth == 16 ? ramp(x, y, c) * 257 + 3 * c : ramp(x, y, c); };
      const Bytes plain = make_png(19, 13, depth, type, channels, false, sample);
      const Bytes adam7 = make_png(19, 13, depth, type, channels, true, sample);
      auto a = decode_png(plain.data(), plain.size());
      auto b = decode_png(adam7.data(), adam7.size());
      ASSERT_TRUE(a.ok() && b.ok()) << depth << "-bit type " << type;
      EXPECT_EQ(a.value().pixels, b.value().pixels) << depth << "-bit type " << type;
    }
}

TEST(Png, DamagedOrTruncatedDataIsAnError) {
  const Bytes png = grey_png();
  const std::size_t idat = idat_data(png);
  ASSERT_GT(idat, 0u);
  Bytes flipped = png;
  flipped[idat + 5] ^= 0x10;  // image data no longer matches the chunk's CRC
  auto r = decode_png(flipped.data(), flipped.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("PNG data is damaged or truncated"), std::string::npos) << r.error();

  for (std::size_t cut : {std::size_t{12}, std::size_t{30}, idat + 10, png.size() - 30}) {
    auto t = decode_png(png.data(), cut);
    EXPECT_FALSE(t.ok()) << "cut at " << cut;
  }
  Bytes bad_header = png;
  bad_header[17] ^= 0x01;  // width, so the IHDR CRC fails
  auto h = decode_png(bad_header.data(), bad_header.size());
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().find("PNG header is damaged"), std::string::npos) << h.error();
  EXPECT_FALSE(decode_png(reinterpret_cast<const std::uint8_t*>("GIF89a.."), 8).ok());
}

// The zlib stream's Adler-32 is not checked (every chunk's CRC-32 is): a stream whose only fault
// is its Adler-32, in a chunk with a matching CRC, decodes to the right pixels.
TEST(Png, OnlyChunkCrcsGuardTheImageData) {
  const Bytes png = grey_png();
  const std::size_t idat = idat_data(png);
  std::uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len = len << 8 | png[idat - 8 + i];
  Bytes data(png.begin() + idat, png.begin() + idat + len);
  data.back() ^= 0x01;  // last byte of the Adler-32
  Bytes damaged(png.begin(), png.begin() + idat - 8);
  chunk(damaged, "IDAT", data);
  chunk(damaged, "IEND", {});
  auto a = decode_png(png.data(), png.size());
  auto b = decode_png(damaged.data(), damaged.size());
  ASSERT_TRUE(a.ok() && b.ok()) << (b.ok() ? "" : b.error());
  EXPECT_EQ(a.value().pixels, b.value().pixels);
}

TEST(Png, PixelLimitIsCheckedFromTheHeader) {
  const Bytes png = grey_png();
  auto r = decode_png(png.data(), png.size(), 23 * 17 - 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("23x17 pixels, more than the limit of 390"), std::string::npos) << r.error();
  EXPECT_TRUE(decode_png(png.data(), png.size(), 23 * 17).ok());
}

// ---- the two decoders ------------------------------------------------------------------------

namespace {

// The fast path took the file, and gave exactly libpng's image.
void expect_fast_equals_libpng(const Bytes& png, const std::string& what) {
  auto fast = digits::detail::decode_png_fast(png.data(), png.size(), 1 << 24);
  auto ref = digits::detail::decode_png_libpng(png.data(), png.size(), 1 << 24);
  ASSERT_TRUE(fast.has_value()) << what << ": the fast path declined it";
  ASSERT_TRUE(ref.ok()) << what << ": " << ref.error();
  EXPECT_EQ(fast->width, ref.value().width) << what;
  EXPECT_EQ(fast->height, ref.value().height) << what;
  EXPECT_EQ(fast->format, ref.value().format) << what;
  EXPECT_TRUE(fast->pixels == ref.value().pixels) << what << ": pixels differ";
}

}  // namespace

TEST(PngPaths, EveryCanvasLayoutTakesTheFastPathWithLibpngsPixels) {
  // 8-bit grey, RGB, grey+alpha, RGBA; odd sizes, a single pixel, a canvas-sized picture.
  const std::pair<int, int> kLayouts[] = {{0, 1}, {2, 3}, {4, 2}, {6, 4}};
  for (auto [type, channels] : kLayouts)
    for (auto [w, h] : {std::pair{1, 1}, {23, 17}, {280, 280}, {3, 400}})
      expect_fast_equals_libpng(make_png(w, h, 8, type, channels, false, ramp),
                                "type " + std::to_string(type) + " " + std::to_string(w) + "x" + std::to_string(h));
  // Chunks that change no pixel do not send a file to libpng.
  expect_fast_equals_libpng(with_chunks(grey_png(), {{"sRGB", {0}}, {"pHYs", Bytes(9, 1)}, {"tEXt", {'a', 0, 'b'}}}),
                            "grey with sRGB, pHYs, tEXt");
  for (const char* f : {"seven-dark-on-light.png", "two-light-on-dark.png", "blank.png", "number-2026.png"})
    expect_fast_equals_libpng(testutil::read_file(testutil::source_path(std::string("tests/fixtures/") + f)), f);
}

TEST(PngPaths, EveryRenderedUploadStyleAndMnistDigitAgrees) {
  // What pen::render_png makes (cairo through libpng: RGB and RGBA, 64 to 400 px, every ink).
  const std::vector<digits::Stroke> strokes = {{{10, 10}, {60, 12}, {30, 90}}, {{15, 50}, {55, 48}}};
  for (std::size_t i = 0; i < 90; ++i) {
    auto png = pen::render_png(strokes, pen::upload_style(i));
    ASSERT_TRUE(png.ok()) << png.error();
    expect_fast_equals_libpng(png.value(), "upload style " + std::to_string(i));
  }
  // MNIST test digits as grey and grey+alpha PNGs.
  const auto& mnist = testutil::mnist_test();
  ASSERT_GE(mnist.images.count, 500);
  for (int i = 0; i < 500; ++i) {
    const std::uint8_t* px = mnist.images.pixels.data() + static_cast<std::size_t>(i) * 784;
    auto grey = [&](int x, int y, int) { return unsigned{px[y * 28 + x]}; };
    auto alpha = [&](int x, int y, int c) { return c == 0 ? 0u : unsigned{px[y * 28 + x]}; };
    expect_fast_equals_libpng(make_png(28, 28, 8, 0, 1, false, grey), "MNIST grey " + std::to_string(i));
    expect_fast_equals_libpng(make_png(28, 28, 8, 4, 2, false, alpha), "MNIST grey+alpha " + std::to_string(i));
  }
}

TEST(PngPaths, WhatTheFastPathDeclinesLibpngDecodes) {
  auto declined = [](const Bytes& png, const std::string& what) {
    EXPECT_FALSE(digits::detail::decode_png_fast(png.data(), png.size(), 1 << 24).has_value()) << what;
    auto r = decode_png(png.data(), png.size());
    EXPECT_TRUE(r.ok()) << what << ": " << (r.ok() ? "" : r.error());
  };
  auto sixteen = [](int x, int y, int c) { return ramp(x, y, c) * 257; };
  declined(make_png(9, 5, 16, 0, 1, false, sixteen), "16-bit grey");
  declined(make_png(9, 5, 16, 6, 4, false, sixteen), "16-bit RGBA");
  declined(grey_png(true), "interlaced");
  declined(make_png(9, 5, 4, 0, 1, false, [](int, int, int) { return 0u; }), "4-bit grey");
  // Chunks that change pixels in libpng: gamma, transparency.
  declined(with_chunks(grey_png(), {{"gAMA", {0, 0, 0x3a, 0x98}}}), "gAMA 0.15");
  declined(with_chunks(make_png(9, 5, 8, 2, 3, false, ramp), {{"tRNS", {0, 1, 0, 2, 0, 3}}}), "RGB with tRNS");
  // Streams whose scanlines are longer or shorter than the header says.
  const Bytes tall = make_png(23, 40, 8, 0, 1, false, ramp);
  Bytes lying = tall;
  lying[8 + 8 + 7] = 17;  // height 40 -> 17: the stream now overfills the rows
  std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, lying.data() + 12, 17));
  for (int i = 0; i < 4; ++i) lying[29 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  declined(lying, "more image data than rows");
  // The zlib stream's Adler-32 cut to 3 bytes: libpng wants the stream's end after the last row
  // (found by fuzz_png_paths; libdeflate alone would accept it).
  {
    const Bytes png = grey_png();
    const std::size_t idat = idat_data(png);
    std::uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len = len << 8 | png[idat - 8 + i];
    Bytes data(png.begin() + idat, png.begin() + idat + len - 1);
    Bytes cut(png.begin(), png.begin() + idat - 8);
    chunk(cut, "IDAT", data);
    chunk(cut, "IEND", {});
    EXPECT_FALSE(digits::detail::decode_png_fast(cut.data(), cut.size(), 1 << 24).has_value());
    auto r = decode_png(cut.data(), cut.size());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("Not enough image data"), std::string::npos) << r.error();
  }
  // The one place the paths differ (core/src/png_fast.cpp): a fixed-code deflate block using
  // length symbol 287, which RFC 1951 reserves, with every CRC right (fuzz_png_paths' finding).
  // zlib, under libpng, refuses it; libdeflate decodes it. If libdeflate gets stricter, this
  // fails: then both refuse it, and the comment, this test and fuzz_png_paths' exception go.
  {
    const Bytes odd = testutil::read_file(testutil::source_path("tests/fixtures/reserved-length-symbol.png"));
    ASSERT_FALSE(odd.empty());
    auto ref = digits::detail::decode_png_libpng(odd.data(), odd.size(), 1 << 24);
    ASSERT_FALSE(ref.ok());
    EXPECT_NE(ref.error().find("invalid literal/length code"), std::string::npos) << ref.error();
    EXPECT_TRUE(digits::detail::decode_png_fast(odd.data(), odd.size(), 1 << 24).has_value());
  }
  // Damage every path refuses: the fast path declines, libpng says what is wrong.
  Bytes flipped = grey_png();
  flipped[idat_data(flipped) + 5] ^= 0x10;
  EXPECT_FALSE(digits::detail::decode_png_fast(flipped.data(), flipped.size(), 1 << 24).has_value());
  EXPECT_FALSE(decode_png(flipped.data(), flipped.size()).ok());
  // Over the pixel limit: declined before any allocation, and libpng says so.
  const Bytes big = grey_png();
  EXPECT_FALSE(digits::detail::decode_png_fast(big.data(), big.size(), 23 * 17 - 1).has_value());
}
