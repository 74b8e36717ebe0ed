// What an exported blob measures when core runs it on XNNPACK — the figures metrics.json and the
// model card report, never libtorch's.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "data.h"
#include "digits/digits.h"
#include "options.h"

namespace train {

// The blob loaded in core; one that does not load stops the trainer (exit 1).
digits::Model load_exported(const std::vector<std::uint8_t>& blob, digits::Precision precision);

// The share of `images` core reads as `labels`.
double core_accuracy(const std::vector<std::uint8_t>& blob, const std::vector<digits::Image28>& images,
                     const std::vector<std::uint8_t>& labels, digits::Precision precision);

// The held-out pen digits as the product meets them: both paths (strokes, PNG uploads), each run
// three ways (`f32_model`; the int8 blob dequantised; the int8 blob in Int8 compute); for f32 also
// the ECE and reliability table, and on the stroke path every miss, listed and drawn into
// OUT/pen-errors.png.
nlohmann::json pen_report(const Data& data, const Options& opt, digits::Model& f32_model,
                          const std::vector<std::uint8_t>& int8_blob);

}  // namespace train
