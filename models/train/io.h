// The trainer's file access: a file it cannot read or write stops it, naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace train {

// The file's bytes, or the trainer stops saying which file (the inputs come from `make deps`).
std::vector<std::uint8_t> read_file(const std::string& path);
void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes);
// The data set's fingerprint, recorded in the blobs and metrics.json.
std::string sha256_hex(const std::vector<std::uint8_t>& bytes);

}  // namespace train
