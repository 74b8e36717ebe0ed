// The real pen digits (DIGITS_PEN_DATA, ../shared/data/unipen-dev/digits.json) for the suites that
// need them, read once. Where the file is absent, `missing` says where it was looked for, so the
// tests that need it can report themselves skipped with that reason.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "pen_eval.h"

namespace testutil {

struct PenData {
  std::vector<pen::Sample> samples;
  std::vector<std::size_t> held_out;
  std::string missing;  // why there is no data
};

inline const PenData& pen_data() {
  static PenData d = [] {
    PenData out;
    std::ifstream f(DIGITS_PEN_DATA, std::ios::binary);
    if (!f) {
      out.missing = std::string("pen digits not found at ") + DIGITS_PEN_DATA;
      return out;
    }
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
    auto r = pen::parse(bytes.data(), bytes.size());
    if (!r) {
      ADD_FAILURE() << DIGITS_PEN_DATA << ": " << r.error();
      out.missing = r.error();
      return out;
    }
    out.samples = std::move(r.value());
    out.held_out = pen::select(out.samples, true);
    return out;
  }();
  return d;
}

}  // namespace testutil
