// Files and models for the native front ends (CLI, server, studio, trainer, bench): core does no
// I/O, so reading a file and loading a model from a path live here, once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "digits/digits.h"

namespace frontend {

// The whole file, or "cannot open PATH" / "cannot read PATH".
digits::Result<std::vector<std::uint8_t>> read_file(const std::string& path);

// The weights blob at `path`, or the model built into the binary when path is empty. Errors name
// where the model came from ("PATH: ..." or "built-in model: ...").
digits::Result<digits::Model> load_model(const std::string& path, const digits::ModelOptions& options = {});

}  // namespace frontend
