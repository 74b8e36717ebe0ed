#include "calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace train {

double nll_at(const torch::Tensor& logits, const torch::Tensor& labels, double t) {
  return torch::nn::functional::cross_entropy(logits / t, labels).item<double>();
}

double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels) {
  double best_t = 1, best_nll = nll_at(logits, labels, 1);
  for (double t = 0.3; t <= 4.0; t += 0.005) {
    const double n = nll_at(logits, labels, t);
    if (n < best_nll) best_nll = n, best_t = t;
  }
  return best_t;
}

double fit_uncertain_below(const torch::Tensor& logits, const torch::Tensor& labels, double temperature) {
  auto probs = torch::softmax(logits / temperature, 1);
  auto [conf, pred] = probs.max(1);
  auto right = pred.eq(labels);
  double below = 0.7;
  for (double t = 0.5; t <= 0.95 + 1e-9; t += 0.01) {
    auto sel = conf.ge(t);
    const long n = sel.sum().item<long>();
    if (n == 0) break;
    below = t;
    if (right.masked_select(sel).to(torch::kFloat).mean().item<double>() >= 0.99) break;
  }
  return below;
}

double ece(const torch::Tensor& probs, const torch::Tensor& labels) {
  auto [conf, pred] = probs.max(1);
  auto correct = pred.eq(labels).to(torch::kFloat);
  double total = 0;
  const int bins = 15;
  for (int b = 0; b < bins; ++b) {
    auto in = conf.gt(double(b) / bins).logical_and(conf.le(double(b + 1) / bins));
    const long n = in.sum().item<long>();
    if (n == 0) continue;
    double gap =
        std::fabs(conf.masked_select(in).mean().item<double>() - correct.masked_select(in).mean().item<double>());
    total += gap * n;
  }
  return total / probs.size(0);
}

nlohmann::json reliability(const std::vector<digits::Prediction>& preds, const std::vector<int>& labels) {
  const double edges[] = {0, 0.5, 0.7, 0.9, 0.97, 0.99, 1.0001};
  nlohmann::json rows = nlohmann::json::array();
  for (int b = 0; b + 1 < 7; ++b) {
    long n = 0, ok = 0;
    double conf = 0;
    for (size_t i = 0; i < preds.size(); ++i) {
      if (preds[i].empty || preds[i].confidence < edges[b] || preds[i].confidence >= edges[b + 1]) continue;
      ++n, ok += preds[i].digit == labels[i], conf += preds[i].confidence;
    }
    rows.push_back({{"from", edges[b]},
                    {"to", std::min(1.0, edges[b + 1])},
                    {"n", n},
                    {"accuracy", n ? double(ok) / n : 0},
                    {"mean_confidence", n ? conf / n : 0}});
  }
  return rows;
}

double ece_of(const std::vector<digits::Prediction>& preds, const std::vector<int>& labels) {
  auto probs = torch::empty({static_cast<long>(preds.size()), digits::kNumClasses});
  for (size_t i = 0; i < preds.size(); ++i)
    std::copy(preds[i].probabilities.begin(), preds[i].probabilities.end(), probs[i].data_ptr<float>());
  return ece(probs, torch::tensor(std::vector<long>(labels.begin(), labels.end())));
}

void add_activation_ranges(digits::WeightsBlob& blob, const std::vector<digits::Image28>& images) {
  const auto bytes = digits::encode_weights(blob, digits::DType::F32);
  auto model = digits::Model::load(bytes.data(), bytes.size());
  auto ranges = model ? model.value().activation_ranges(images) : digits::Error{model.error()};
  if (!ranges) {
    std::cerr << "digits-train: cannot measure activation ranges: " << ranges.error() << "\n";
    std::exit(1);
  }
  for (const auto& kv : ranges.value()) {
    std::ostringstream v;
    v.precision(7);
    v << kv.second;
    blob.set_meta(kv.first, v.str());
  }
}

}  // namespace train
