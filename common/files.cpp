#include "files.h"

#include <fstream>
#include <iterator>

namespace frontend {

digits::Result<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return digits::Error{"cannot open " + path};
  std::vector<std::uint8_t> bytes(std::istreambuf_iterator<char>(f), {});
  if (f.bad()) return digits::Error{"cannot read " + path};
  return bytes;
}

digits::Result<digits::Model> load_model(const std::string& path, const digits::ModelOptions& options) {
  if (path.empty()) {
    auto m = digits::Model::load_default(options);
    if (!m) return digits::Error{"built-in model: " + m.error()};
    return m;
  }
  auto blob = read_file(path);
  if (!blob) return digits::Error{blob.error()};
  auto m = digits::Model::load(blob.value().data(), blob.value().size(), options);
  if (!m) return digits::Error{path + ": " + m.error()};
  return m;
}

}  // namespace frontend
