// The training loop: what one run does to the network between its start and its export.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>

#include "data.h"
#include "epoch.h"
#include "net.h"
#include "options.h"

namespace train {

// Trains `net` for opt.epochs epochs made by `epochs` (each made on a worker thread while the one
// before trains): AdamW, a one-cycle schedule (15 % linear warm-up, cosine decay), label smoothing,
// touching pairs against a flat target. `ema` starts as a copy of `net` and follows the
// exponential moving average of its weights; it is what gets evaluated and exported. After each
// epoch, ema is measured on the validation sets (`pen_val_digits`: how many pen digits they should
// hold, 0 without pen) and a row appended to `curve`. `frozen_batchnorm`: a run from exported
// weights, whose folded BatchNorm is the identity and stays so. `seconds`: since the run began.
void train_epochs(Net& net, Net& ema, const Epochs& epochs, const Splits& splits, std::size_t pen_val_digits,
                  const Options& opt, bool frozen_batchnorm, nlohmann::json& curve,
                  const std::function<double()>& seconds);

}  // namespace train
