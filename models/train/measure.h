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

// The exported blobs loaded in core, the three ways the product can run them; a blob that does
// not load stops the trainer (exit 1).
struct Exported {
  digits::Model f32;           // the f32 blob
  digits::Model int8;          // the int8 blob, dequantised at load
  digits::Model int8_compute;  // the int8 blob in Int8 compute (what the page and the server run)
};
Exported load_exported(const std::vector<std::uint8_t>& f32_blob, const std::vector<std::uint8_t>& int8_blob);

// What core answers for `images`; a failure stops the trainer (exit 1).
std::vector<digits::Prediction> predict_all(digits::Model& model, const std::vector<digits::Image28>& images);

// The share of `predictions` whose digit is the label.
double accuracy(const std::vector<digits::Prediction>& predictions, const std::vector<std::uint8_t>& labels);

// The held-out pen digits as the product meets them: both paths (strokes, PNG uploads), each run
// the three ways; for f32 also the ECE and reliability table, and on the stroke path every miss,
// listed and drawn into OUT/pen-errors.png.
nlohmann::json pen_report(const Data& data, const Options& opt, Exported& core);

}  // namespace train
