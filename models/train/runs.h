// Where a run starts: from scratch, from a previous run (--init, a second stage) or from the
// average of several (--soup), and what those runs say of themselves for metrics.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/weights.h"

namespace train {

// The previous runs' --out folders: --init's, or --soup's (comma-separated); none: from scratch.
std::vector<std::string> start_dirs(const std::string& init, const std::string& soup);

// The weights training starts from, and what the runs that made them say of themselves.
struct Start {
  digits::WeightsBlob weights;
  nlohmann::json curve = nlohmann::json::array();  // the first run's, every stage
  nlohmann::json previous_stage;                   // the first run's settings
  nlohmann::json runs = nlohmann::json::array();   // each run: its folder, settings and pen figures
};

// Previous runs' exported f32 weights, averaged (one run: its weights). Runs fine-tuned from the
// same start stay in one basin of the loss, where their average — a soup — is usually better than
// each. The runs' metrics.json carry the curve over, so the model card shows the whole training.
digits::Result<Start> load_start(const std::vector<std::string>& dirs);

}  // namespace train
