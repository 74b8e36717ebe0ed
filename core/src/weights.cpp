#include "digits/weights.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace digits {

std::size_t Tensor::element_count() const {
  std::size_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

const Tensor* WeightsBlob::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string WeightsBlob::meta(const std::string& key, const std::string& fallback) const {
  for (const auto& kv : metadata)
    if (kv.first == key) return kv.second;
  return fallback;
}

void WeightsBlob::set_meta(const std::string& key, const std::string& value) {
  for (auto& kv : metadata)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  metadata.emplace_back(key, value);
}

namespace {

// Round half away from zero, like std::lround, but inline: in WebAssembly lround is a libm call
// per weight, which made loading the int8 model ~15 ms slower. A float plus 0.5 is exact in
// double, so this is lround exactly; callers keep |x| <= 127 (plus rounding error).
std::int8_t round_to_int8(double x) {
  return static_cast<std::int8_t>(std::clamp(std::trunc(x + (x < 0 ? -0.5 : 0.5)), -127.0, 127.0));
}

}  // namespace

Int8Values requantize_per_tensor(const Int8Values& in) {
  Int8Values out;
  const std::size_t groups = in.scales.size();
  if (groups == 0) return out;
  const std::size_t per = in.values.size() / groups;
  float m = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    int amax = 0;
    for (std::size_t i = 0; i < per; ++i) amax = std::max(amax, std::abs(static_cast<int>(in.values[g * per + i])));
    m = std::max(m, static_cast<float>(amax) * in.scales[g]);
  }
  const float scale = m > 0 ? m / 127.0f : 1.0f;
  out.scales.assign(1, scale);
  out.values.resize(in.values.size());
  for (std::size_t g = 0; g < groups; ++g) {
    const double ratio = static_cast<double>(in.scales[g]) / scale;
    for (std::size_t i = 0; i < per; ++i) out.values[g * per + i] = round_to_int8(in.values[g * per + i] * ratio);
  }
  return out;
}

Int8Values quantize_int8(const std::vector<float>& values, std::size_t groups) {
  Int8Values out;
  const std::size_t per = values.size() / groups;
  out.values.resize(values.size());
  out.scales.resize(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    float m = 0;
    for (std::size_t i = 0; i < per; ++i) m = std::max(m, std::fabs(values[g * per + i]));
    const float scale = m > 0 ? m / 127.0f : 1.0f;
    out.scales[g] = scale;
    for (std::size_t i = 0; i < per; ++i) out.values[g * per + i] = round_to_int8(values[g * per + i] / scale);
  }
  return out;
}

std::uint32_t crc32(const std::uint8_t* data, std::size_t size) {
  // CRC-32 (zlib's polynomial), slicing by 8: eight bytes per step through eight tables, ~2.5x
  // fewer instructions than a byte at a time. It was over a third of a model load (the f32 blob is
  // 2.75 MB), which every CLI run, server start and page load pays. zlib is not in the WebAssembly
  // build, hence our own; the tables are built on the stack per call (8 KB) to keep core free of
  // globals.
  std::uint32_t t[8][256];
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) t[k][i] = t[0][t[k - 1][i] & 0xFF] ^ (t[k - 1][i] >> 8);
  }
  std::uint32_t crc = 0xFFFFFFFFu;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const std::uint8_t* p = data + i;
    const std::uint32_t lo =
        crc ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
          t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; i < size; ++i) crc = t[0][(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

namespace {

class Writer {
 public:
  void u8(std::uint8_t v) { bytes.push_back(v); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void f32(float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    u32(u);
  }
  void raw(const void* p, std::size_t n) {
    auto b = static_cast<const std::uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  std::vector<std::uint8_t> bytes;
};

class Reader {
 public:
  Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  bool has(std::size_t k) const { return n_ - pos_ >= k; }
  bool u8(std::uint8_t& v) {
    if (!has(1)) return false;
    v = p_[pos_++];
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (!has(4)) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t(p_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool f32(float& v) {
    std::uint32_t u;
    if (!u32(u)) return false;
    std::memcpy(&v, &u, 4);
    return true;
  }
  const std::uint8_t* take(std::size_t k) {
    if (!has(k)) return nullptr;
    const std::uint8_t* r = p_ + pos_;
    pos_ += k;
    return r;
  }
  std::size_t remaining() const { return n_ - pos_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

constexpr char kMagic[4] = {'D', 'G', 'T', 'W'};
constexpr std::uint32_t kMaxTensors = 256;
constexpr std::uint32_t kMaxRank = 4;
constexpr std::size_t kMaxElements = std::size_t(64) << 20;

Error corrupt(const std::string& what) {
  return Error{"weights blob is corrupt: " + what +
               " (re-export it with the trainer or use the blob shipped in models/)"};
}

}  // namespace

std::vector<std::uint8_t> encode_weights(const WeightsBlob& blob, DType dtype) {
  Writer w;
  w.raw(kMagic, 4);
  w.u32(kBlobVersion);
  w.u32(static_cast<std::uint32_t>(blob.tensors.size()));
  std::string meta;
  for (const auto& kv : blob.metadata)
    if (kv.first != "storage") meta += kv.first + "=" + kv.second + "\n";
  meta += std::string("storage=") + (dtype == DType::F32 ? "f32" : "int8") + "\n";
  w.u32(static_cast<std::uint32_t>(meta.size()));
  w.raw(meta.data(), meta.size());
  for (const auto& t : blob.tensors) {
    w.u8(static_cast<std::uint8_t>(t.name.size()));
    w.raw(t.name.data(), t.name.size());
    // 1-D tensors (biases) stay f32 in every storage: they are tiny and sensitive.
    DType dt = t.dims.size() >= 2 ? dtype : DType::F32;
    w.u8(static_cast<std::uint8_t>(dt));
    w.u8(static_cast<std::uint8_t>(t.dims.size()));
    for (auto d : t.dims) w.u32(d);
    const std::size_t n = t.element_count();
    if (dt == DType::F32) {
      w.u32(static_cast<std::uint32_t>(n * 4));
      for (float v : t.values) w.f32(v);
    } else {
      const Int8Values q = quantize_int8(t.values, t.dims[0]);
      w.u32(static_cast<std::uint32_t>(q.scales.size() * 4 + n));
      for (float sc : q.scales) w.f32(sc);
      w.raw(q.values.data(), q.values.size());
    }
  }
  w.u32(crc32(w.bytes.data(), w.bytes.size()));
  return std::move(w.bytes);
}

void dequantize(Tensor& t) {
  const Int8Values& q = t.stored_int8;
  if (!t.values.empty() || q.scales.empty()) return;
  const std::size_t per = q.values.size() / q.scales.size();
  t.values.resize(q.values.size());
  for (std::size_t c = 0; c < q.scales.size(); ++c)
    for (std::size_t k = c * per; k < (c + 1) * per; ++k) t.values[k] = static_cast<float>(q.values[k]) * q.scales[c];
}

Result<WeightsBlob> decode_weights(const std::uint8_t* data, std::size_t size, Dequantize mode) {
  if (data == nullptr || size < 20) return corrupt("too short (" + std::to_string(size) + " bytes)");
  if (std::memcmp(data, kMagic, 4) != 0) return Error{"not a digits weights blob (bad magic; expected \"DGTW\")"};
  std::uint32_t want = 0;
  Reader tail(data + size - 4, 4);
  tail.u32(want);
  if (crc32(data, size - 4) != want) return corrupt("checksum mismatch (truncated or damaged file)");

  Reader r(data + 4, size - 8);
  std::uint32_t version = 0, count = 0, meta_size = 0;
  r.u32(version);
  if (version != kBlobVersion)
    return Error{"weights blob version " + std::to_string(version) + " is not supported (this build reads version " +
                 std::to_string(kBlobVersion) + ")"};
  r.u32(count);
  r.u32(meta_size);
  if (count > kMaxTensors) return corrupt("implausible tensor count " + std::to_string(count));
  const std::uint8_t* meta = r.take(meta_size);
  if (!meta) return corrupt("metadata runs past the end");

  WeightsBlob blob;
  std::string text(reinterpret_cast<const char*>(meta), meta_size);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    std::size_t eq = line.find('=');
    if (eq != std::string::npos) blob.metadata.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    start = end + 1;
  }
  if (blob.meta("architecture").empty()) return corrupt("metadata has no architecture");

  for (std::uint32_t i = 0; i < count; ++i) {
    Tensor t;
    std::uint8_t name_len = 0, dtype = 0, rank = 0;
    if (!r.u8(name_len)) return corrupt("tensor table truncated");
    const std::uint8_t* name = r.take(name_len);
    if (!name || !r.u8(dtype) || !r.u8(rank)) return corrupt("tensor table truncated");
    t.name.assign(reinterpret_cast<const char*>(name), name_len);
    if (rank == 0 || rank > kMaxRank) return corrupt("tensor '" + t.name + "' has rank " + std::to_string(rank));
    std::size_t n = 1;
    for (std::uint8_t d = 0; d < rank; ++d) {
      std::uint32_t dim = 0;
      if (!r.u32(dim)) return corrupt("tensor table truncated");
      if (dim == 0 || dim > kMaxElements) return corrupt("tensor '" + t.name + "' has a bad dimension");
      t.dims.push_back(dim);
      n *= dim;
      if (n > kMaxElements) return corrupt("tensor '" + t.name + "' is implausibly large");
    }
    std::uint32_t payload = 0;
    if (!r.u32(payload)) return corrupt("tensor table truncated");
    const std::uint8_t* p = r.take(payload);
    if (!p) return corrupt("tensor '" + t.name + "' runs past the end");
    // Sizes are checked against the payload before anything is allocated: a few bytes claiming
    // a huge tensor must not cost memory (found by fuzz_weights: 126 bytes allocated 430 MB).
    if (dtype == static_cast<std::uint8_t>(DType::F32)) {
      if (payload != n * 4) return corrupt("tensor '" + t.name + "' has the wrong payload size");
      t.values.resize(n);
      Reader pr(p, payload);
      for (auto& v : t.values) pr.f32(v);
    } else if (dtype == static_cast<std::uint8_t>(DType::Int8PerChannel)) {
      const std::size_t channels = t.dims[0];
      if (payload != channels * 4 + n) return corrupt("tensor '" + t.name + "' has the wrong payload size");
      Reader pr(p, payload);
      std::vector<float> scales(channels);
      for (auto& s : scales) pr.f32(s);
      for (float s : scales)
        if (!std::isfinite(s)) return corrupt("tensor '" + t.name + "' holds a non-finite scale");
      const auto* q = reinterpret_cast<const std::int8_t*>(p + channels * 4);
      t.stored_int8.values.assign(q, q + n);
      t.stored_int8.scales = std::move(scales);
      if (mode == Dequantize::All) dequantize(t);
    } else {
      return corrupt("tensor '" + t.name + "' has unknown dtype " + std::to_string(dtype));
    }
    if (dtype == static_cast<std::uint8_t>(DType::F32))  // int8 * finite scale is finite
      for (float v : t.values)
        if (!std::isfinite(v)) return corrupt("tensor '" + t.name + "' holds a non-finite value");
    blob.tensors.push_back(std::move(t));
  }
  if (r.remaining() != 0) return corrupt("trailing bytes after the last tensor");
  return blob;
}

}  // namespace digits
