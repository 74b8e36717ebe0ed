#include "io.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "files.h"

namespace train {

std::vector<std::uint8_t> read_file(const std::string& path) {
  auto r = frontend::read_file(path);
  if (!r) {
    std::cerr << "digits-train: " << r.error() << " (run `make deps` to fetch MNIST)\n";
    std::exit(2);
  }
  return std::move(r.value());
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::cerr << "digits-train: cannot write " << path << "\n";
    std::exit(2);
  }
}

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr)) {
    std::cerr << "digits-train: EVP_Digest(sha256) failed\n";
    std::exit(1);
  }
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) std::snprintf(buf, sizeof buf, "%02x", md[i]), hex += buf;
  return hex;
}

}  // namespace train
