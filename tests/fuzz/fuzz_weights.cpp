// libFuzzer target: the weights-blob loader. Odd inputs are taken as they are (the checksum
// must catch them); even inputs get a correct CRC-32 appended first, so mutations reach the
// parser and Model::load behind the checksum.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "digits/digits.h"
#include "digits/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> blob(data, data + size);
  if (size % 2 == 0) {
    const std::uint32_t crc = digits::crc32(blob.data(), blob.size());
    for (int i = 0; i < 4; ++i) blob.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  }
  auto decoded = digits::decode_weights(blob.data(), blob.size());
  if (!decoded) return 0;
  auto model = digits::Model::load(blob.data(), blob.size());
  if (model) {
    digits::Image28 image{};
    image[400] = 1.0f;
    (void)model.value().predict(image);
  }
  return 0;
}
