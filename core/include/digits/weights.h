// The weights blob: a small, versioned, checksummed container for the network's tensors.
//
// Layout (all integers little-endian):
//
//   offset  size  field
//   0       4     magic "DGTW"
//   4       4     version (1)
//   8       4     tensor count
//   12      4     metadata size in bytes (UTF-8 "key=value\n" lines)
//   16      m     metadata (must contain "architecture=...")
//   ...           tensor table, one entry per tensor:
//                   u8 name length, name bytes, u8 dtype (0 f32, 1 int8 per-channel),
//                   u8 rank, u32 dims[rank], u32 payload size in bytes
//                 then that tensor's payload:
//                   f32:  product(dims) floats
//                   int8: dims[0] float scales (one per output channel), then product(dims) int8
//   end-4   4     CRC-32 (IEEE) of every byte before it
//
// Tensors are stored in the layout the inference engine uses: convolution filters OHWI
// [out][kh][kw][in], fully-connected weights [out][in] with inputs in NHWC flatten order,
// BatchNorm already folded into the convolutions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "digits/digits.h"

namespace digits {

constexpr std::uint32_t kBlobVersion = 1;

enum class DType : std::uint8_t { F32 = 0, Int8PerChannel = 1 };

struct Int8Values {
  std::vector<std::int8_t> values;
  std::vector<float> scales;  // one per group (output channel), or one for the whole tensor
};

struct Tensor {
  std::string name;
  std::vector<std::uint32_t> dims;
  std::vector<float> values;  // f32 (dequantised if stored as int8, unless decoded with Dequantize::None)
  // The int8 values and per-output-channel scales as the blob stored them (empty if stored as
  // f32): the Int8 precision takes them as they are instead of quantising `values` again.
  Int8Values stored_int8;
  std::size_t element_count() const;
};

struct WeightsBlob {
  std::vector<std::pair<std::string, std::string>> metadata;  // "architecture" is required
  std::vector<Tensor> tensors;

  const Tensor* find(const std::string& name) const;
  std::string meta(const std::string& key, const std::string& fallback = "") const;
  void set_meta(const std::string& key, const std::string& value);
};

// Serialises a blob, storing every tensor as `dtype` (int8 = symmetric per-output-channel).
std::vector<std::uint8_t> encode_weights(const WeightsBlob& blob, DType dtype);

// What decode_weights does with int8-stored tensors: dequantise them into `values` (All), or
// leave `values` empty and only `stored_int8` filled (None), for a caller that needs the floats
// of a few tensors only and calls dequantize() on those. The Int8 precision needs conv1's and
// fc2's: skipping the other 2.7 MB of floats halves a browser's session open once compiled.
enum class Dequantize { All, None };

// Parses and verifies a blob: magic, version, bounds, checksum. Never reads out of bounds.
Result<WeightsBlob> decode_weights(const std::uint8_t* data, std::size_t size, Dequantize mode = Dequantize::All);

// Fills t.values from t.stored_int8 if it is empty (a tensor decoded with Dequantize::None).
void dequantize(Tensor& t);

// Symmetric int8 quantisation of `values` split into `groups` equal runs (e.g. one per output
// channel), one scale per run: q = round(v / scale), scale = max|v| / 127. Shared by the int8
// storage format and the Int8 compute path.
Int8Values quantize_int8(const std::vector<float>& values, std::size_t groups);

// One scale for the whole tensor from per-channel int8 (for kernels without per-channel scales):
// what quantize_int8(dequantised values, 1) gives, up to float rounding, without the floats.
Int8Values requantize_per_tensor(const Int8Values& per_channel);

// CRC-32 (IEEE 802.3), as used by the blob's trailer.
std::uint32_t crc32(const std::uint8_t* data, std::size_t size);

}  // namespace digits
