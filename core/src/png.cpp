#include "digits/png.h"

#include <png.h>

#include <string>

namespace digits {

Result<DecodedImage> decode_png(const std::uint8_t* data, std::size_t size, std::int64_t max_pixels) {
  if (data == nullptr || size < 8 || png_sig_cmp(data, 0, 8) != 0) return Error{"not a PNG file (bad signature)"};
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, size))
    return Error{std::string("PNG header is damaged: ") + img.message};
  if (static_cast<std::int64_t>(img.width) * img.height > max_pixels) {
    png_image_free(&img);
    return Error{"PNG is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                 " pixels, more than the limit of " + std::to_string(max_pixels)};
  }
  DecodedImage out;
  const bool gray = (img.format & PNG_FORMAT_FLAG_COLOR) == 0 && (img.format & PNG_FORMAT_FLAG_ALPHA) == 0;
  img.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGBA;
  out.format = gray ? PixelFormat::Gray8 : PixelFormat::RGBA8;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    return Error{"PNG data is damaged or truncated: " + msg};
  }
  return out;
}

}  // namespace digits
