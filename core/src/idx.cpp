#include "digits/idx.h"

#include <string>

namespace digits {

namespace {
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
}  // namespace

Result<IdxImages> parse_idx_images(const std::uint8_t* data, std::size_t size) {
  if (size < 16 || be32(data) != 0x00000803)
    return Error{"not an IDX images file (expected magic 0x00000803, as in t10k-images-idx3-ubyte)"};
  IdxImages out;
  const std::uint32_t count = be32(data + 4), rows = be32(data + 8), cols = be32(data + 12);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) return Error{"IDX images file has implausible dimensions"};
  if (std::uint64_t(count) * rows * cols != size - 16)
    return Error{"IDX images file is truncated or has trailing bytes (" + std::to_string(count) + " images of " +
                 std::to_string(rows) + "x" + std::to_string(cols) + " need " +
                 std::to_string(std::uint64_t(count) * rows * cols + 16) + " bytes, file has " + std::to_string(size) +
                 ")"};
  out.count = static_cast<int>(count);
  out.rows = static_cast<int>(rows);
  out.cols = static_cast<int>(cols);
  out.pixels.assign(data + 16, data + size);
  return out;
}

Result<std::vector<std::uint8_t>> parse_idx_labels(const std::uint8_t* data, std::size_t size) {
  if (size < 8 || be32(data) != 0x00000801)
    return Error{"not an IDX labels file (expected magic 0x00000801, as in t10k-labels-idx1-ubyte)"};
  const std::uint32_t count = be32(data + 4);
  if (count != size - 8) return Error{"IDX labels file is truncated or has trailing bytes"};
  std::vector<std::uint8_t> labels(data + 8, data + size);
  for (auto l : labels)
    if (l > 9) return Error{"IDX labels file holds a label outside 0..9"};
  return labels;
}

}  // namespace digits
