#include "loop.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <future>
#include <string>
#include <utility>

#include "calibration.h"

namespace train {

namespace {

void progress(int epoch, int epochs, size_t done, size_t total, double elapsed, double loss) {
  const int width = 30;
  const double frac = total ? double(done) / total : 1;
  const int fill = static_cast<int>(frac * width);
  const double eta = frac > 0 ? elapsed / frac - elapsed : 0;
  std::fprintf(stderr, "\repoch %2d/%d [%s%s] %3d%% %5.0fs ETA %4.0fs loss %.4f ", epoch, epochs,
               std::string(fill, '=').c_str(), std::string(width - fill, ' ').c_str(), static_cast<int>(frac * 100),
               elapsed, eta, loss);
  std::fflush(stderr);
}

}  // namespace

void train_epochs(Net& net, Net& ema, const Epochs& epochs, const Splits& splits, std::size_t pen_val_digits,
                  const Options& opt, bool frozen_batchnorm, nlohmann::json& curve,
                  const std::function<double()>& seconds) {
  const int epoch_offset = static_cast<int>(curve.size());
  auto make_epoch = [&epochs](int epoch) { return epochs.make(epoch); };
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  {
    torch::NoGradGuard ng;
    auto src = net->parameters(), dst = ema->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  const size_t epoch_size = epochs.size();
  const long steps_per_epoch = (static_cast<long>(epoch_size) + opt.batch - 1) / opt.batch;
  const long total_steps = steps_per_epoch * opt.epochs;
  long step = 0;
  std::future<std::pair<torch::Tensor, torch::Tensor>> next;
  if (opt.epochs > 0) next = std::async(std::launch::async, make_epoch, 1);

  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto [x, y] = next.get();
    if (epoch < opt.epochs) next = std::async(std::launch::async, make_epoch, epoch + 1);
    net->train();
    if (frozen_batchnorm)  // folded BatchNorm: the identity, frozen
      for (auto* b : {&net->b1, &net->b2, &net->b3}) (*b)->eval();
    double loss_sum = 0;
    long seen = 0, seen_labelled = 0, correct = 0;
    const double t0 = seconds();
    const long steps = (x.size(0) + opt.batch - 1) / opt.batch;
    for (long b = 0; b < steps; ++b, ++step) {
      // One-cycle schedule: linear warm-up for 15 % of steps, then cosine decay to ~0.
      const double warm = 0.15 * total_steps;
      const double lr = step < warm
                            ? opt.lr * (0.1 + 0.9 * step / warm)
                            : opt.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, (step - warm) / (total_steps - warm))));
      for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      auto xb = x.slice(0, b * opt.batch, std::min(x.size(0), (b + 1) * opt.batch));
      auto yb = y.slice(0, b * opt.batch, std::min(y.size(0), (b + 1) * opt.batch));
      optimizer.zero_grad();
      auto out = net->forward(xb);
      torch::Tensor loss;
      long labelled = xb.size(0);
      if (opt.touching > 0) {
        // The same smoothed targets cross_entropy makes, and for the touching pairs (label -1) a
        // flat one: one soft-target loss over the whole batch.
        const auto known = yb.ge(0);
        labelled = known.sum().item<long>();
        const double ls = opt.label_smoothing;
        const auto smoothed = torch::one_hot(yb.clamp_min(0), 10).to(out.dtype()) * (1 - ls) + ls / 10;
        const auto target = torch::where(known.unsqueeze(1), smoothed, torch::full_like(out, 0.1));
        loss = -(target * torch::log_softmax(out, 1)).sum(1).mean();
      } else {
        loss = torch::nn::functional::cross_entropy(
            out, yb, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(opt.label_smoothing));
      }
      loss.backward();
      optimizer.step();
      {
        // Exponential moving average of the weights: a cheap, reliable accuracy gain.
        torch::NoGradGuard ng;
        const double decay = std::min(0.999, (1.0 + step) / (10.0 + step));
        auto src = net->parameters(), dst = ema->parameters();
        for (size_t i = 0; i < src.size(); ++i) dst[i].mul_(decay).add_(src[i], 1 - decay);
        auto sb = net->buffers(), db = ema->buffers();
        for (size_t i = 0; i < sb.size(); ++i) db[i].copy_(sb[i]);
      }
      loss_sum += loss.item<double>() * xb.size(0);
      correct += out.argmax(1).eq(yb).sum().item<long>();  // a touching pair (-1) never counts
      seen += xb.size(0);
      seen_labelled += labelled;
      if (b % 20 == 0 || b + 1 == steps)
        progress(epoch, opt.epochs, static_cast<size_t>(seen), static_cast<size_t>(x.size(0)), seconds() - t0,
                 loss_sum / seen);
    }
    auto val_logits = logits_of(ema, splits.x_val);
    const double val_acc = val_logits.argmax(1).eq(splits.y_val).to(torch::kFloat).mean().item<double>();
    const double val_loss = nll_at(val_logits, splits.y_val, 1.0);
    nlohmann::json row = {{"epoch", epoch_offset + epoch},
                          {"train_loss", loss_sum / seen},
                          {"train_accuracy", double(correct) / seen_labelled},
                          {"val_loss", val_loss},
                          {"val_accuracy", val_acc}};
    double pen_acc = 0;
    if (pen_val_digits > 0) {
      auto pl = logits_of(ema, splits.x_pen_val);
      pen_acc = pl.argmax(1).eq(splits.y_pen_val).to(torch::kFloat).sum().item<double>() / pen_val_digits;
      row["pen_val_accuracy"] = pen_acc;
      row["pen_val_loss"] = nll_at(pl, splits.y_pen_val, 1.0);
    }
    std::fprintf(stderr, "| train acc %.4f | val acc %.4f loss %.4f | pen val acc %.4f | %.0fs\n",
                 double(correct) / seen_labelled, val_acc, val_loss, pen_acc, seconds());
    curve.push_back(row);
  }
}

}  // namespace train
