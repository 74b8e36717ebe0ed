// How far to trust the network: temperature scaling, the `uncertain` threshold, calibration
// error and reliability, and the activation ranges core's Int8 precision quantises with.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "digits/digits.h"
#include "digits/weights.h"

namespace train {

// Mean negative log-likelihood of `labels` under softmax(logits / t).
double nll_at(const torch::Tensor& logits, const torch::Tensor& labels, double t);
// Temperature scaling: the t in [0.3, 4] (steps of 0.005) of the lowest NLL; 1 if none is lower.
double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels);
// The `uncertain` threshold: the lowest confidence in [0.5, 0.95] (steps of 0.01) above which the
// answers, calibrated with `temperature`, are right at least 99 % of the time; 0.95 if none is,
// 0.7 if no answer is that confident.
double fit_uncertain_below(const torch::Tensor& logits, const torch::Tensor& labels, double temperature);
// Expected calibration error with 15 equal-width confidence bins.
double ece(const torch::Tensor& probs, const torch::Tensor& labels);
// Expected calibration error of core's predictions, by ece() above (an empty prediction has
// confidence 0 and falls in no bin, but counts in the total).
double ece_of(const std::vector<digits::Prediction>& preds, const std::vector<int>& labels);
// Reliability of core's predictions: per confidence bin, how often the answer was right.
nlohmann::json reliability(const std::vector<digits::Prediction>& preds, const std::vector<int>& labels);
// Records, in the blob's metadata, the activation ranges core's Int8 precision quantises with,
// measured by core itself on (unaugmented) training images.
void add_activation_ranges(digits::WeightsBlob& blob, const std::vector<digits::Image28>& images);

}  // namespace train
