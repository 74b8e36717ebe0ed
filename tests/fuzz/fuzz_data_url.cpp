// libFuzzer target: a data URL ("data:image/png;base64,...") as digits-server's {"image": ...}
// and POST /predict receive it -> base64 (OpenSSL) -> PNG -> preprocessing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "requests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto png = server::decode_png_data_url(text);
  if (png) {
    server::Limits limits;
    limits.max_pixels = 1024 * 1024;
    (void)server::parse_png(png.value().data(), png.value().size(), limits);
  }
  (void)server::decode_base64(text);
  return 0;
}
