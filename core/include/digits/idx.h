// MNIST's IDX format (http://yann.lecun.com/exdb/mnist/), parsed from memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "digits/digits.h"

namespace digits {

struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols, 0 = paper, 255 = ink
  ImageView view(int i) const {
    return {pixels.data() + static_cast<std::size_t>(i) * rows * cols, cols, rows, PixelFormat::Gray8, 0};
  }
};

// Images file: magic 0x00000803, count, rows, cols, then bytes.
Result<IdxImages> parse_idx_images(const std::uint8_t* data, std::size_t size);
// Labels file: magic 0x00000801, count, then one byte 0..9 each.
Result<std::vector<std::uint8_t>> parse_idx_labels(const std::uint8_t* data, std::size_t size);

}  // namespace digits
