#include <png.h>

#include <csetjmp>
#include <cstring>
#include <string>
#include <utility>

#include "png_internal.h"

// The reference decoder (decode_png_libpng): libpng's classic API, set up exactly as its simplified API (png_image_*)
// sets itself up for 8-bit Gray / RGBA output (same transforms, gamma handling, benign errors and messages), with one
// difference: zlib's Adler-32 check of the image data is off (PNG_IGNORE_ADLER32). Every chunk, the image data
// included, still has its CRC-32 checked, so a damaged file is still refused; the Adler-32 pass over the inflated
// pixels was a tenth of a request's time.
//
// libpng reports errors by longjmp. The two functions that call setjmp (read_header and
// read_rows) hold only plain data and raw pointers, so no C++ object is ever skipped over; the
// caller owns the vector the rows go to and destroys the libpng structs.

namespace digits {

namespace {

struct PngReader {
  const std::uint8_t* data;
  std::size_t size, pos;
  png_structp png;
  png_infop info;
  char message[64];  // libpng's last error, cut like png_image::message
  png_uint_32 width, height;
  bool gray;  // Gray8 output (grey without alpha); RGBA8 otherwise
};

void on_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::strncpy(r->message, message ? message : "unknown error", sizeof r->message - 1);
  r->message[sizeof r->message - 1] = '\0';
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // as png_image: warnings are not reported

void on_read(png_structp png, png_bytep out, std::size_t n) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "read beyond end of data");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

// Signature, IHDR and the chunks before the image data.
bool read_header(PngReader* r) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_set_benign_errors(r->png, 1);
  png_set_option(r->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
  png_read_info(r->png, r->info);
  r->width = png_get_image_width(r->png, r->info);
  r->height = png_get_image_height(r->png, r->info);
  const int type = png_get_color_type(r->png, r->info);
  r->gray = (type & PNG_COLOR_MASK_COLOR) == 0 && (type & PNG_COLOR_MASK_ALPHA) == 0 &&
            !png_get_valid(r->png, r->info, PNG_INFO_tRNS);
  return true;
}

// The transforms png_image_finish_read sets for 8-bit PNG_FORMAT_GRAY / PNG_FORMAT_RGBA output,
// then every row (every pass, if interlaced) into `pixels`.
bool read_rows(PngReader* r, std::uint8_t* pixels, std::size_t row_bytes) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_structp png = r->png;
  const int type = png_get_color_type(png, r->info);
  const bool sixteen = png_get_bit_depth(png, r->info) == 16;
  const bool alpha = (type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, r->info, PNG_INFO_tRNS);
  png_set_expand(png);
  if (!r->gray && (type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  // Input gamma when the file has none: linear for 16-bit data, sRGB otherwise.
  png_set_alpha_mode_fixed(png, PNG_ALPHA_PNG, sixteen ? PNG_GAMMA_LINEAR : PNG_DEFAULT_sRGB);
  if (sixteen) png_set_scale_16(png);
  if (!r->gray && !alpha) png_set_add_alpha(png, 255, PNG_FILLER_AFTER);
  png_set_alpha_mode_fixed(png, PNG_ALPHA_PNG, PNG_DEFAULT_sRGB);  // output: 8-bit sRGB
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, r->info);
  if (png_get_rowbytes(png, r->info) != row_bytes) png_error(png, "png_read_image: invalid transformations");
  while (--passes >= 0)
    for (png_uint_32 y = 0; y < r->height; ++y) png_read_row(png, pixels + y * row_bytes, nullptr);
  return true;
}

}  // namespace

Result<DecodedImage> decode_png(const std::uint8_t* data, std::size_t size, std::int64_t max_pixels) {
  if (auto fast = detail::decode_png_fast(data, size, max_pixels)) return std::move(*fast);
  return detail::decode_png_libpng(data, size, max_pixels);
}

Result<DecodedImage> detail::decode_png_libpng(const std::uint8_t* data, std::size_t size, std::int64_t max_pixels) {
  if (data == nullptr || size < 8 || png_sig_cmp(data, 0, 8) != 0) return Error{"not a PNG file (bad signature)"};
  PngReader r{};
  r.data = data;
  r.size = size;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
  if (r.png) r.info = png_create_info_struct(r.png);
  if (!r.png || !r.info) {
    png_destroy_read_struct(&r.png, nullptr, nullptr);
    return Error{"PNG header is damaged: png_image_read: out of memory"};
  }
  png_set_read_fn(r.png, &r, on_read);
  struct Free {
    PngReader& r;
    ~Free() { png_destroy_read_struct(&r.png, &r.info, nullptr); }
  } free_on_return{r};

  if (!read_header(&r)) return Error{std::string("PNG header is damaged: ") + r.message};
  if (static_cast<std::int64_t>(r.width) * r.height > max_pixels)
    return Error{"PNG is " + std::to_string(r.width) + "x" + std::to_string(r.height) +
                 " pixels, more than the limit of " + std::to_string(max_pixels)};
  DecodedImage out;
  out.format = r.gray ? PixelFormat::Gray8 : PixelFormat::RGBA8;
  out.width = static_cast<int>(r.width);
  out.height = static_cast<int>(r.height);
  const std::size_t row_bytes = static_cast<std::size_t>(r.width) * (r.gray ? 1 : 4);
  if (static_cast<std::uint64_t>(row_bytes) * r.height > 0xffffffffu)  // png_image's 32-bit limit
    return Error{"PNG data is damaged or truncated: png_image_finish_read: image too large"};
  out.pixels.resize(row_bytes * r.height);
  if (!read_rows(&r, out.pixels.data(), row_bytes))
    return Error{std::string("PNG data is damaged or truncated: ") + r.message};
  return out;
}

}  // namespace digits
